/*
 * main.c - the host's start-up and its "userspace VMM": checks the boot info, enables VMX,
 * builds the one VM and vCPU, runs it (the KVM_RUN loop) and turns the reason the run loop
 * stopped into a console message and a platform exit status (docs/sample.md).
 */
#include "hc_platform.h"
#include "host.h"
#include "kvm_host.h"
#include "lib.h"
#include "vmx.h"
#include "vmx_ops.h"
#include "x86.h"

#define PAGE_SIZE 4096ull

static uint64_t free_next, free_end;

static struct kvm kvm;
static struct vcpu_vmx vmx;
static struct kvm_run run;

void power_off(uint32_t status)
{
	outl(HC_PORT_EXIT, status);
	halt_forever();		/* not reached on the platform: the write powers the machine off */
}

hpa_t alloc_page(void)
{
	hpa_t pa = free_next;

	if (free_end - free_next < PAGE_SIZE) {
		printk("hc-host: out of free memory for VMX structures\n");
		power_off(HC_EXIT_HOST_ERROR);
	}
	free_next += PAGE_SIZE;
	memset((void *)(uintptr_t)pa, 0, PAGE_SIZE);
	return pa;
}

/* What the VMM makes of the reason KVM_RUN returned: the exit status of the machine. */
static uint32_t handle_run_exit(struct kvm_vcpu *vcpu)
{
	const struct kvm_run *r = vcpu->run;

	switch (r->exit_reason) {
	case KVM_EXIT_HLT:
		if (vmcs_readl(GUEST_RFLAGS) & X86_EFLAGS_IF)
			printk("hc-host: guest halted with interrupts enabled, but nothing can interrupt it here\n");
		else
			printk("hc-host: guest halted\n");
		return HC_EXIT_OK;
	case KVM_EXIT_SHUTDOWN:
		printk("hc-host: guest triple fault at rip 0x%lx\n", vmcs_readl(GUEST_RIP));
		return HC_EXIT_TRIPLE_FAULT;
	case KVM_EXIT_FAIL_ENTRY:
		if (r->fail_entry.vmfail)
			printk("hc-host: VM entry failed: VM-instruction error %lu (%s)\n",
			       r->fail_entry.hardware_entry_failure_reason,
			       vmx_insn_error_name((uint32_t)r->fail_entry.hardware_entry_failure_reason));
		else
			printk("hc-host: VM entry failed: exit reason 0x%lx (%s), exit qualification 0x%lx\n",
			       r->fail_entry.hardware_entry_failure_reason,
			       vmx_exit_reason_name((uint32_t)r->fail_entry.hardware_entry_failure_reason),
			       vmcs_readl(EXIT_QUALIFICATION));
		return HC_EXIT_HOST_ERROR;
	case KVM_EXIT_MMIO:
		printk("hc-host: guest %s guest-physical 0x%lx, which is not RAM (rip 0x%lx)\n",
		       r->mmio.is_write ? "wrote" : "read", r->mmio.phys_addr, vmcs_readl(GUEST_RIP));
		return HC_EXIT_UNEXPECTED;
	case KVM_EXIT_INTERNAL_ERROR:
		printk("hc-host: unexpected VM exit %lu (%s) at rip 0x%lx, exit qualification 0x%lx\n",
		       r->internal.data[0], vmx_exit_reason_name((uint32_t)r->internal.data[0]),
		       vmcs_readl(GUEST_RIP), r->internal.data[1]);
		return HC_EXIT_UNEXPECTED;
	default:
		printk("hc-host: the vCPU stopped for no known reason (%u)\n", r->exit_reason);
		return HC_EXIT_UNEXPECTED;
	}
}

void host_main(const struct hc_boot_info *bi)
{
	struct kvm_vcpu *vcpu = &vmx.vcpu;
	uint32_t status;

	printk("hc-host: hello-hypercall host, a KVM-style VMX hypervisor\n");
	if (bi->magic != HC_BOOT_INFO_MAGIC || bi->version != HC_BOOT_INFO_VERSION) {
		printk("hc-host: no struct hc_boot_info at 0x1000 (magic 0x%x, version %u)\n",
		       bi->magic, bi->version);
		power_off(HC_EXIT_HOST_ERROR);
	}
	free_next = bi->free_base;
	free_end = bi->free_base + bi->free_size;
	host_traps_init();

	if (!vmx_hardware_setup() || !vmx_hardware_enable())
		power_off(HC_EXIT_HOST_ERROR);

	/* One memory slot: guest-physical 0 .. guest_mem_size is host memory at guest_mem_base. */
	kvm.memslot.base_gfn = 0;
	kvm.memslot.npages = bi->guest_mem_size / PAGE_SIZE;
	kvm.memslot.userspace_addr = bi->guest_mem_base;
	kvm_init_ept(&kvm);

	vcpu->kvm = &kvm;
	vcpu->vcpu_id = 0;
	vcpu->run = &run;
	if (!vmx_vcpu_create(&vmx, bi))
		power_off(HC_EXIT_HOST_ERROR);

	printk("hc-host: guest RAM %lu MiB at host-physical 0x%lx, entry 0x%lx\n",
	       bi->guest_mem_size >> 20, bi->guest_mem_base, bi->guest_entry);
	kvm_arch_vcpu_ioctl_run(vcpu);

	status = handle_run_exit(vcpu);
	printk("hc-host: %lu VM exits, %lu hypercalls, %lu I/O exits, %lu CPUID exits; exit status %u\n",
	       vcpu->stat.exits, vcpu->stat.hypercalls, vcpu->stat.io_exits, vcpu->stat.cpuid_exits,
	       status);
	power_off(status);
}
