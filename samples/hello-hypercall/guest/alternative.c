/*
 * alternative.c - pick the hypercall instruction for this CPU's vendor, as Linux's
 * ALTERNATIVE(KVM_HYPERCALL, "vmmcall", X86_FEATURE_VMMCALL) does (arch/x86/include/asm/
 * kvm_para.h; init_amd() sets X86_FEATURE_VMMCALL on AMD and Hygon). Every hypercall site was
 * assembled as VMCALL and listed in .kvm_hypercall_sites (kvm_para.h); on AMD each becomes
 * VMMCALL (0f 01 c1 -> 0f 01 d9: only the ModRM byte differs). On Intel nothing changes.
 */
#include <stdint.h>
#include "kernel.h"
#include "x86.h"

extern const uint64_t __kvm_hypercall_sites_start[], __kvm_hypercall_sites_end[];

#define VMMCALL_MODRM	0xd9

/* CPUID leaf 0's vendor string, first four bytes in EBX: "Auth"enticAMD, "Hygo"nGenuine. */
static int cpu_has_vmmcall(void)
{
	uint32_t a, b, c, d;

	cpuid_count(0, 0, &a, &b, &c, &d);
	return b == 0x68747541 || b == 0x6f677948;
}

void apply_hypercall_alternatives(void)
{
	const uint64_t *site;

	if (!cpu_has_vmmcall())
		return;
	for (site = __kvm_hypercall_sites_start; site < __kvm_hypercall_sites_end; site++)
		((volatile uint8_t *)(uintptr_t)*site)[2] = VMMCALL_MODRM;
}
