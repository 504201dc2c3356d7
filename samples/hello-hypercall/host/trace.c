/*
 * trace.c - fill a struct hc_trace_record and hand its address to the trace channel. The
 * emitting `out` is synchronous, so one static record and one message buffer suffice.
 */
#include <stdarg.h>
#include "hc_platform.h"
#include "kvm_host.h"
#include "lib.h"
#include "trace.h"
#include "x86.h"

static struct hc_trace_record record;
static char message[256];

static void trace_emit(uint32_t event, uint32_t vcpu, unsigned long ip)
{
	record.event = event;
	record.vcpu = vcpu;
	record.ip = ip;
	/* The host runs identity-mapped below 4 GiB: the record's linear address is physical. */
	outl(HC_PORT_TRACE, (uint32_t)(uintptr_t)&record);
	memset(&record, 0, sizeof(record));
}

void __trace_printk(unsigned long ip, const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	record.func = (uintptr_t)func;
	record.str = (uintptr_t)message;
	trace_emit(HC_TRACE_PRINTK, 0, ip);
}

void __trace_kvm_entry(unsigned long ip, struct kvm_vcpu *vcpu, unsigned long rip)
{
	record.args[0] = rip;
	trace_emit(HC_TRACE_KVM_ENTRY, vcpu->vcpu_id, ip);
}

void __trace_kvm_exit(unsigned long ip, struct kvm_vcpu *vcpu, uint32_t exit_reason, unsigned long rip,
		      uint64_t info1, uint64_t info2, uint32_t intr_info, uint32_t error_code)
{
	record.args[0] = exit_reason;
	record.args[1] = rip;
	record.args[2] = info1;
	record.args[3] = info2;
	record.args[4] = intr_info;
	record.args[5] = error_code;
	trace_emit(HC_TRACE_KVM_EXIT, vcpu->vcpu_id, ip);
}

void __trace_kvm_hypercall(unsigned long ip, unsigned long nr, unsigned long a0, unsigned long a1,
			   unsigned long a2, unsigned long a3)
{
	record.args[0] = nr;
	record.args[1] = a0;
	record.args[2] = a1;
	record.args[3] = a2;
	record.args[4] = a3;
	trace_emit(HC_TRACE_KVM_HYPERCALL, 0, ip);
}
