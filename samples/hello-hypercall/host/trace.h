/*
 * trace.h - the host's ftrace: the kvm_entry, kvm_exit and kvm_hypercall tracepoints of
 * Linux arch/x86/kvm/trace.h and trace_printk() of include/linux/kernel.h, all emitted
 * through the platform's trace channel (port 0x510, docs/platform.md) which renders them
 * in the layout of /sys/kernel/tracing/trace.
 */
#ifndef HC_TRACE_H
#define HC_TRACE_H

#include <stdint.h>

struct kvm_vcpu;

/* The address of the current instruction, as include/linux/instruction_pointer.h defines it. */
#define _THIS_IP_ ({ __label__ __here; __here: (unsigned long)&&__here; })

/* trace_printk("fmt", ...): the trace line reads "<calling function>: <message>". */
#define trace_printk(fmt, ...) __trace_printk(_THIS_IP_, __func__, fmt, ##__VA_ARGS__)

void __trace_printk(unsigned long ip, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The tracepoints record where they are called, like trace_printk: the record's ip is the
 * call site (_THIS_IP_), not the return address, so a viewer opens the tracing line itself.
 */
#define trace_kvm_entry(...) __trace_kvm_entry(_THIS_IP_, __VA_ARGS__)
#define trace_kvm_exit(...) __trace_kvm_exit(_THIS_IP_, __VA_ARGS__)
#define trace_kvm_hypercall(...) __trace_kvm_hypercall(_THIS_IP_, __VA_ARGS__)

void __trace_kvm_entry(unsigned long ip, struct kvm_vcpu *vcpu, unsigned long rip);
void __trace_kvm_exit(unsigned long ip, struct kvm_vcpu *vcpu, uint32_t exit_reason, unsigned long rip,
		      uint64_t info1, uint64_t info2, uint32_t intr_info, uint32_t error_code);
void __trace_kvm_hypercall(unsigned long ip, unsigned long nr, unsigned long a0, unsigned long a1,
			   unsigned long a2, unsigned long a3);

#endif /* HC_TRACE_H */
