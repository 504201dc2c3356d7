/*
 * custom_hypercalls.c - the table kvm_emulate_hypercall falls through to for numbers stock
 * KVM does not know: one entry per handler file in host/hypercalls/, listed by the Makefile in
 * build/gen/hc_hypercalls.h. realkvm/module/hc_hook.c builds the same table from the same
 * list for the kernel module.
 */
#include "hypercalls/hypercall.h"

#define HC_CUSTOM(fn) extern const struct kvm_custom_hypercall fn##_hypercall;
#include "hc_hypercalls.h"
#undef HC_CUSTOM

/* NULL-terminated, so that a host with no custom hypercall still has a valid table. */
#define HC_CUSTOM(fn) &fn##_hypercall,
static const struct kvm_custom_hypercall *const kvm_custom_hypercalls[] = {
#include "hc_hypercalls.h"
	NULL
};
#undef HC_CUSTOM

const struct kvm_custom_hypercall *kvm_find_custom_hypercall(unsigned long nr)
{
	const struct kvm_custom_hypercall *const *c;

	for (c = kvm_custom_hypercalls; *c; c++)
		if ((*c)->nr == nr)
			return *c;
	return NULL;
}
