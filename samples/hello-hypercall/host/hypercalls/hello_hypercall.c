/*
 * hello_hypercall.c - KVM_HC_HELLO_HYPERCALL: trace "Hello World" and return 0, the 2017
 * "hello hypercall" patch's whole handler.
 */
#include "hypercall.h"

KVM_CUSTOM_HYPERCALL(KVM_HC_HELLO_HYPERCALL, kvm_pv_hello_hypercall);

unsigned long kvm_pv_hello_hypercall(struct kvm_vcpu *vcpu, unsigned long a0, unsigned long a1,
				     unsigned long a2, unsigned long a3)
{
	(void)vcpu, (void)a0, (void)a1, (void)a2, (void)a3;
	trace_printk("Hello World"); /* MARK: host-hello */
	return 0;
}
