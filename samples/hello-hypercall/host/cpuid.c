/*
 * cpuid.c - what CPUID returns inside the guest, after Linux arch/x86/kvm/cpuid.c: the host's
 * own leaves with VMX hidden and the hypervisor bit set, plus the KVM paravirtual leaves.
 */
#include "kvm_host.h"
#include "kvm_para.h"
#include "x86.h"

#define X86_FEATURE_VMX_ECX		(1u << 5)	/* CPUID.1:ECX.VMX */
#define X86_FEATURE_HYPERVISOR_ECX	(1u << 31)	/* CPUID.1:ECX: running under a hypervisor */

/*
 * KVM_FEATURE_* bits this host implements. It emulates no paravirtual device (no kvmclock,
 * no async page faults, no PV EOI), and the KICK_CPU/SEND_IPI/SCHED_YIELD hypercalls are
 * answered without any effect on a one-vCPU VM, so advertising them would promise nothing
 * useful: the honest answer is none.
 */
#define KVM_SUPPORTED_FEATURES		0u

static void kvm_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *eax, uint32_t *ebx,
		      uint32_t *ecx, uint32_t *edx)
{
	if ((leaf & 0xffff0000u) == 0x40000000u) {
		*eax = *ebx = *ecx = *edx = 0;
		if (leaf == KVM_CPUID_SIGNATURE) {
			*eax = KVM_CPUID_FEATURES;
			*ebx = 0x4b4d564b;	/* "KVMK" */
			*ecx = 0x564b4d56;	/* "VMKV" */
			*edx = 0x0000004d;	/* "M\0\0\0" */
		} else if (leaf == KVM_CPUID_FEATURES) {
			*eax = KVM_SUPPORTED_FEATURES;
		}
		return;
	}

	cpuid_count(leaf, subleaf, eax, ebx, ecx, edx);
	if (leaf == 1) {
		*ecx &= ~X86_FEATURE_VMX_ECX;	/* no nested VMX */
		*ecx |= X86_FEATURE_HYPERVISOR_ECX;
	}
}

int kvm_emulate_cpuid(struct kvm_vcpu *vcpu)
{
	uint32_t eax, ebx, ecx, edx;

	kvm_cpuid((uint32_t)vcpu->arch.regs[VCPU_REGS_RAX], (uint32_t)vcpu->arch.regs[VCPU_REGS_RCX],
		  &eax, &ebx, &ecx, &edx);
	/* CPUID writes the 32-bit registers, which zero-extends into the 64-bit ones. */
	vcpu->arch.regs[VCPU_REGS_RAX] = eax;
	vcpu->arch.regs[VCPU_REGS_RBX] = ebx;
	vcpu->arch.regs[VCPU_REGS_RCX] = ecx;
	vcpu->arch.regs[VCPU_REGS_RDX] = edx;
	++vcpu->stat.cpuid_exits;
	return kvm_skip_emulated_instruction(vcpu);
}
