/*
 * x86.c - the architecture-neutral half of the vCPU, after Linux arch/x86/kvm/x86.c: the run
 * loop (vcpu_run / vcpu_enter_guest), hypercall emulation (kvm_emulate_hypercall), skipping
 * an emulated instruction, and guest memory access through the memory slot.
 */
#include "hypercalls/hypercall.h"
#include "kvm_host.h"
#include "kvm_para.h"
#include "lib.h"
#include "trace.h"
#include "vmx.h"
#include "vmx_ops.h"
#include "x86.h"

/*
 * One guest entry and the handling of its exit. Returns > 0 to re-enter the guest, 0 to
 * return to "userspace" (main.c) with vcpu->run->exit_reason set.
 */
static int vcpu_enter_guest(struct kvm_vcpu *vcpu)
{
	vmx_vcpu_run(vcpu);
	return vmx_handle_exit(vcpu);
}

static int vcpu_run(struct kvm_vcpu *vcpu)
{
	int r;

	for (;;) {
		r = vcpu_enter_guest(vcpu);
		if (r <= 0)
			break;
	}
	return r;
}

/* The KVM_RUN ioctl: run until something needs the VMM. */
int kvm_arch_vcpu_ioctl_run(struct kvm_vcpu *vcpu)
{
	vcpu->run->exit_reason = KVM_EXIT_UNKNOWN;
	return vcpu_run(vcpu);
}

/* IA-32e mode with CS.L = 1 (SDM vol. 3A 5.2.1), read from the VMCS like is_64_bit_mode(). */
bool is_64_bit_mode(struct kvm_vcpu *vcpu)
{
	(void)vcpu;
	if (!(vmcs_readl(GUEST_IA32_EFER) & EFER_LMA))
		return false;
	return (vmcs_read32(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK) != 0;
}

/* Without protected guest state (SEV-ES/TDX) this is just is_64_bit_mode(). */
static bool is_64_bit_hypercall(struct kvm_vcpu *vcpu)
{
	return is_64_bit_mode(vcpu);
}

int kvm_skip_emulated_instruction(struct kvm_vcpu *vcpu)
{
	vmx_skip_emulated_instruction(vcpu);
	return 1;
}

/* Does [gpa, gpa + len) lie wholly in the memory slot? Written so that no sum can overflow. */
static bool kvm_memslot_contains(const struct kvm_memory_slot *slot, gpa_t gpa, unsigned long len)
{
	uint64_t start = slot->base_gfn << PAGE_SHIFT;
	uint64_t size = slot->npages << PAGE_SHIFT;

	return gpa >= start && gpa - start <= size && len <= size - (gpa - start);
}

static void *gpa_to_hva(const struct kvm_memory_slot *slot, gpa_t gpa)
{
	return (void *)(uintptr_t)(slot->userspace_addr + (gpa - (slot->base_gfn << PAGE_SHIFT)));
}

/*
 * Guest memory through the memory slot, as kvm_vcpu_write_guest()/kvm_vcpu_read_guest() do:
 * the whole range must lie in a slot (here the only one), otherwise nothing is copied.
 */
int kvm_vcpu_write_guest(struct kvm_vcpu *vcpu, gpa_t gpa, const void *data, unsigned long len)
{
	if (!kvm_memslot_contains(&vcpu->kvm->memslot, gpa, len))
		return -KVM_EFAULT;
	memcpy(gpa_to_hva(&vcpu->kvm->memslot, gpa), data, len);
	return 0;
}

int kvm_vcpu_read_guest(struct kvm_vcpu *vcpu, gpa_t gpa, void *data, unsigned long len)
{
	if (!kvm_memslot_contains(&vcpu->kvm->memslot, gpa, len))
		return -KVM_EFAULT;
	memcpy(data, gpa_to_hva(&vcpu->kvm->memslot, gpa), len);
	return 0;
}

/* Is the page a memory slot holds (here: the only one)? kvm_main.c's answer for a handler. */
bool kvm_vcpu_is_visible_gfn(struct kvm_vcpu *vcpu, gfn_t gfn)
{
	return kvm_memslot_contains(&vcpu->kvm->memslot, gfn << PAGE_SHIFT, 1ul << PAGE_SHIFT);
}

/*
 * The VMCALL exit, after kvm_emulate_hypercall() of Linux 6.1 for a VM with one vCPU, no
 * in-kernel irqchip, no Xen/Hyper-V emulation, KVM_CAP_ENFORCE_PV_FEATURE_CPUID off and no
 * hypercall exits to userspace enabled. Documentation/virt/kvm/x86/hypercalls.rst has the ABI.
 */
int kvm_emulate_hypercall(struct kvm_vcpu *vcpu)
{
	unsigned long nr, a0, a1, a2, a3, ret;
	int op_64_bit;

	nr = kvm_rax_read(vcpu);
	a0 = kvm_rbx_read(vcpu);
	a1 = kvm_rcx_read(vcpu);
	a2 = kvm_rdx_read(vcpu);
	a3 = kvm_rsi_read(vcpu);

	/* Traced as the registers hold them, before any masking (as 6.1 does). */
	trace_kvm_hypercall(nr, a0, a1, a2, a3);

	op_64_bit = is_64_bit_hypercall(vcpu);
	if (!op_64_bit) {
		/* Compatibility mode (or 32-bit): only the low halves of the registers exist. */
		nr &= 0xFFFFFFFF;
		a0 &= 0xFFFFFFFF;
		a1 &= 0xFFFFFFFF;
		a2 &= 0xFFFFFFFF;
		a3 &= 0xFFFFFFFF;
	}

	if (vmx_get_cpl(vcpu) != 0) {
		ret = -KVM_EPERM;
		goto out;
	}

	ret = -KVM_ENOSYS;

	switch (nr) {
	case KVM_HC_VAPIC_POLL_IRQ:
		ret = 0;
		break;
	case KVM_HC_KICK_CPU:
		/*
		 * Wakes the vCPU with APIC ID a1 out of a halt. Only one vCPU exists and it is
		 * running, so there is nobody to kick; KVM returns 0 all the same.
		 */
		ret = 0;
		break;
	case KVM_HC_CLOCK_PAIRING:
		/*
		 * kvm_pv_clock_pairing(): only KVM_CLOCK_PAIRING_WALLCLOCK (0) exists, and even
		 * that needs a host clocksource KVM can pair with the TSC. This host has no wall
		 * clock, so every request fails the way KVM's does without one.
		 */
		ret = -KVM_EOPNOTSUPP;
		break;
	case KVM_HC_SEND_IPI:
		/* kvm_pv_send_ipi() needs the in-kernel APIC map, which this VM does not have. */
		ret = -KVM_EOPNOTSUPP;
		break;
	case KVM_HC_SCHED_YIELD:
		/* Yield to the vCPU with APIC ID a0: with one vCPU there is nothing to yield to. */
		ret = 0;
		break;
	case KVM_HC_MAP_GPA_RANGE:
		/* Forwarded to userspace only if it enabled KVM_CAP_EXIT_HYPERCALL; it did not. */
		ret = -KVM_ENOSYS;
		break;
	default: {
		/* Not stock KVM's: one of the custom hypercalls, one file each in host/hypercalls/. */
		const struct kvm_custom_hypercall *custom = kvm_find_custom_hypercall(nr);

		if (custom)
			ret = custom->handler(vcpu, a0, a1, a2, a3);
		break;
	}
	}
out:
	if (!op_64_bit)
		ret = (uint32_t)ret;
	kvm_rax_write(vcpu, ret);

	++vcpu->stat.hypercalls;
	return kvm_skip_emulated_instruction(vcpu);
}
