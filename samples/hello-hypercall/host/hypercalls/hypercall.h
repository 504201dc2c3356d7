/*
 * hypercall.h - what a custom hypercall handler may use. Each handler lives in its own file,
 * host/hypercalls/<name>.c: KVM_CUSTOM_HYPERCALL(KVM_HC_<NAME>, kvm_pv_<name>) gives the
 * handler its number, and the file defines kvm_pv_<name>().
 * Nothing else names it: the build lists the files in hc_hypercalls.h, and the same source
 * is compiled twice, into this sample host (kvm_emulate_hypercall in host/x86.c falls through
 * to the table of host/custom_hypercalls.c) and into the kernel module of realkvm/module/
 * that adds the hypercall to an unmodified kvm.ko. So a handler sticks to what both offer,
 * with Linux's names and types: struct kvm_vcpu, gpa_t, gpa_to_gfn(),
 * kvm_vcpu_is_visible_gfn(), kvm_vcpu_write_guest(), kvm_vcpu_read_guest(), trace_printk(),
 * and the KVM_E* codes of kvm_para.h. KVM has already checked CPL 0 and masked a0..a3 to 32
 * bits outside 64-bit mode; the return value goes to the guest's RAX.
 */
#ifndef HC_HYPERCALL_H
#define HC_HYPERCALL_H

#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/kvm_host.h>
#else
#include "kvm_host.h"
#include "trace.h"
#endif
#include "kvm_para.h"

typedef unsigned long kvm_custom_hypercall_fn(struct kvm_vcpu *vcpu, unsigned long a0, unsigned long a1,
					      unsigned long a2, unsigned long a3);

struct kvm_custom_hypercall {
	unsigned long nr;
	kvm_custom_hypercall_fn *handler;
};

/*
 * Declares the handler (so a definition with another signature is a conflicting-types error)
 * and the entry the tables find as <handler>_hypercall (hc_hypercalls.h lists
 * HC_CUSTOM(<handler>) per file).
 */
#define KVM_CUSTOM_HYPERCALL(number, fn)					\
	kvm_custom_hypercall_fn fn;						\
	extern const struct kvm_custom_hypercall fn##_hypercall;		\
	const struct kvm_custom_hypercall fn##_hypercall = { (number), fn }

#ifndef __KERNEL__
/* The sample host's table (host/custom_hypercalls.c): the entry for nr, or NULL. */
const struct kvm_custom_hypercall *kvm_find_custom_hypercall(unsigned long nr);
#endif

#endif /* HC_HYPERCALL_H */
