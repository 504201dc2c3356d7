/*
 * hello_string.c - KVM_HC_HELLO_STRING: a0 = guest-physical buffer, a1 = its length. Writes
 * "Hello World" (no NUL) there and returns its length. The whole buffer must be guest RAM,
 * even the part the string does not need, so a guest learns about a bad buffer however long
 * the answer is.
 */
#include "hypercall.h"

KVM_CUSTOM_HYPERCALL(KVM_HC_HELLO_STRING, kvm_pv_hello_string);

unsigned long kvm_pv_hello_string(struct kvm_vcpu *vcpu, unsigned long a0, unsigned long a1,
				  unsigned long a2, unsigned long a3)
{
	static const char hello[] = "Hello World";
	const unsigned long n = sizeof(hello) - 1;	/* no NUL: the return value is the length */
	gpa_t buf = a0, last = a0 + a1 - 1;

	(void)a2, (void)a3;
	if (a1 < n)
		return -KVM_EINVAL;
	/* One memory slot covers guest RAM, so its first and last page decide (last < buf: wraps). */
	if (last < buf || !kvm_vcpu_is_visible_gfn(vcpu, gpa_to_gfn(buf)) ||
	    !kvm_vcpu_is_visible_gfn(vcpu, gpa_to_gfn(last)))
		return -KVM_EFAULT;
	if (kvm_vcpu_write_guest(vcpu, buf, hello, n))
		return -KVM_EFAULT;
	return n;
}
