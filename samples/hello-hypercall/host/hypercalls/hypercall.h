/*
 * hypercall.h - what a custom hypercall handler may use. Each handler lives in its own file,
 * host/hypercalls/<name>.c, defines kvm_pv_<name>() for KVM_HC_<NAME>, and is compiled twice
 * from that one source: into this sample host (called from kvm_emulate_hypercall's switch in
 * host/x86.c) and into the kernel module of realkvm/module/ that adds the hypercall to an
 * unmodified kvm.ko. So a handler sticks to what both offer, with Linux's names and types:
 * struct kvm_vcpu, gpa_t, gpa_to_gfn(), kvm_vcpu_is_visible_gfn(), kvm_vcpu_write_guest(),
 * kvm_vcpu_read_guest(), trace_printk(), and the KVM_E* codes of kvm_para.h. KVM has already
 * checked CPL 0 and masked a0..a3 to 32 bits outside 64-bit mode; the return value goes to
 * the guest's RAX.
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

unsigned long kvm_pv_hello_hypercall(struct kvm_vcpu *vcpu, unsigned long a0, unsigned long a1,
				     unsigned long a2, unsigned long a3);
unsigned long kvm_pv_hello_string(struct kvm_vcpu *vcpu, unsigned long a0, unsigned long a1,
				  unsigned long a2, unsigned long a3);

#endif /* HC_HYPERCALL_H */
