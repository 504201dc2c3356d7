/*
 * vmx.c - the Intel VMX half of the vCPU, after Linux arch/x86/kvm/vmx/vmx.c: VMCS
 * configuration from the capability MSRs (setup_vmcs_config / adjust_vmx_controls), VMXON,
 * VMCS initialisation (init_vmcs), the guest entry (vmx_vcpu_run) and the exit dispatcher
 * (vmx_handle_exit) with its table of handlers (kvm_vmx_exit_handlers).
 */
#include "hc_platform.h"
#include "kvm_host.h"
#include "lib.h"
#include "trace.h"
#include "vmx.h"
#include "vmx_ops.h"
#include "x86.h"

struct vmcs_config {
	uint32_t revision_id;
	uint32_t pin_based_exec_ctrl;
	uint32_t cpu_based_exec_ctrl;
	uint32_t cpu_based_2nd_exec_ctrl;
	uint32_t vmexit_ctrl;
	uint32_t vmentry_ctrl;
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};

static struct vmcs_config vmcs_config;
static hpa_t vmxon_region;
static hpa_t msr_bitmap;

/* Defined in vmenter.S: where the CPU continues after every VM exit (HOST_RIP). */
extern const char vmx_vmexit[];

void vmx_insn_failed(const char *insn, uint64_t operand)
{
	uint64_t error = 0;
	bool no_vmcs;

	/* A raw VMREAD: the checked one would come back here if it failed too. */
	asm volatile("vmread %[field], %[value]; setna %[f]"
		     : [value] "=rm"(error), [f] "=qm"(no_vmcs)
		     : [field] "r"((uint64_t)VM_INSTRUCTION_ERROR)
		     : "cc");
	if (no_vmcs)
		printk("hc-host: %s 0x%lx failed: VMfailInvalid (no current VMCS)\n", insn, operand);
	else
		printk("hc-host: %s 0x%lx failed: VM-instruction error %lu (%s)\n", insn, operand,
		       error, vmx_insn_error_name((uint32_t)error));
}

/*
 * Required bits (ctl_min) and wanted bits (ctl_opt) against a capability MSR (SDM A.3-A.5):
 * a 0 in the high word forbids the bit, a 1 in the low word forces it.
 */
static int adjust_vmx_controls(uint32_t ctl_min, uint32_t ctl_opt, uint32_t msr, uint32_t *result)
{
	uint64_t caps = rdmsr(msr);
	uint32_t allowed0 = (uint32_t)caps, allowed1 = (uint32_t)(caps >> 32);
	uint32_t ctl = ctl_min | ctl_opt;

	ctl &= allowed1;	/* bit == 0 in high word ==> must be zero */
	ctl |= allowed0;	/* bit == 1 in low word  ==> must be one  */

	if (ctl_min & ~ctl) {
		printk("hc-host: MSR 0x%x does not allow the required VMX controls 0x%x\n", msr,
		       ctl_min & ~ctl);
		return -1;
	}
	*result = ctl;
	return 0;
}

static bool setup_vmcs_config(struct vmcs_config *conf)
{
	uint64_t basic = rdmsr(MSR_IA32_VMX_BASIC);
	/* Bit 55: the TRUE_* MSRs exist and let default-1 controls be cleared (SDM A.2). */
	bool true_ctls = (basic & VMX_BASIC_TRUE_CTLS) != 0;
	uint64_t ept_cap;

	conf->revision_id = (uint32_t)(basic & VMX_BASIC_REVISION_MASK);

	/* No external interrupts or NMIs exist on this platform; take them anyway, as KVM does. */
	if (adjust_vmx_controls(0, PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING,
				true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS,
				&conf->pin_based_exec_ctrl))
		return false;

	/*
	 * HLT ends the VM, every port access exits (the guest owns no device), MSR bitmaps let
	 * the SYSCALL MSRs through, and EPT comes from the secondary controls. CR3 load/store
	 * exiting stays off with EPT unless the CPU cannot clear it (then handle_cr copes).
	 */
	if (adjust_vmx_controls(CPU_BASED_HLT_EXITING | CPU_BASED_UNCOND_IO_EXITING |
				CPU_BASED_USE_MSR_BITMAPS | CPU_BASED_ACTIVATE_SECONDARY_CONTROLS, 0,
				true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS,
				&conf->cpu_based_exec_ctrl))
		return false;

	if (adjust_vmx_controls(SECONDARY_EXEC_ENABLE_EPT, 0, MSR_IA32_VMX_PROCBASED_CTLS2,
				&conf->cpu_based_2nd_exec_ctrl))
		return false;

	ept_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	if (!(ept_cap & VMX_EPT_PAGE_WALK_4_BIT) || !(ept_cap & VMX_EPTP_WB_BIT)) {
		printk("hc-host: EPT lacks a 4-level walk or write-back paging structures\n");
		return false;
	}

	/* 64-bit host; EFER switched by the CPU on entry and exit (SDM 27.5.1, 26.3.2.1). */
	if (adjust_vmx_controls(VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_IA32_EFER |
				VM_EXIT_LOAD_IA32_EFER, 0,
				true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS,
				&conf->vmexit_ctrl))
		return false;

	if (adjust_vmx_controls(VM_ENTRY_IA32E_MODE | VM_ENTRY_LOAD_IA32_EFER, 0,
				true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS,
				&conf->vmentry_ctrl))
		return false;

	conf->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	conf->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	conf->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	conf->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	return true;
}

#define X86_FEATURE_VMX_ECX (1u << 5)

/* Does the CPU have VMX, and can the VMCS be configured the way this host needs? */
bool vmx_hardware_setup(void)
{
	uint32_t a, b, c, d;

	cpuid_count(1, 0, &a, &b, &c, &d);
	if (!(c & X86_FEATURE_VMX_ECX)) {
		printk("hc-host: the CPU has no VMX (CPUID.1:ECX.VMX[bit 5] = 0)\n");
		return false;
	}
	return setup_vmcs_config(&vmcs_config);
}

/* Enter VMX operation (SDM 24.7): IA32_FEATURE_CONTROL, CR0/CR4 fixed bits, VMXON. */
bool vmx_hardware_enable(void)
{
	uint64_t feature_control = rdmsr(MSR_IA32_FEATURE_CONTROL);

	if (!(feature_control & FEAT_CTL_LOCKED)) {
		/* What a BIOS does; the platform leaves the MSR unlocked for us. */
		feature_control |= FEAT_CTL_LOCKED | FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX;
		wrmsr(MSR_IA32_FEATURE_CONTROL, feature_control);
	} else if (!(feature_control & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		printk("hc-host: VMX is locked off in IA32_FEATURE_CONTROL\n");
		return false;
	}

	write_cr0((read_cr0() | vmcs_config.cr0_fixed0) & vmcs_config.cr0_fixed1);
	write_cr4(((read_cr4() | X86_CR4_VMXE) | vmcs_config.cr4_fixed0) & vmcs_config.cr4_fixed1);

	vmxon_region = alloc_page();
	*(uint32_t *)(uintptr_t)vmxon_region = vmcs_config.revision_id;
	return vmxon(vmxon_region);
}

/*
 * MSR bitmap (SDM 25.6.9): one 4 KiB page, read-low at 0, read-high at 0x400, write-low at
 * 0x800, write-high at 0xc00; a set bit makes RDMSR/WRMSR of that MSR exit.
 */
static void vmx_disable_intercept_for_msr(uint32_t msr)
{
	uint8_t *bitmap = (uint8_t *)(uintptr_t)msr_bitmap;
	uint32_t bit = msr & 0x1fff;
	unsigned base = msr >= 0xc0000000u ? 0x400 : 0;

	bitmap[base + bit / 8] &= (uint8_t)~(1u << (bit % 8));		/* read */
	bitmap[0x800 + base + bit / 8] &= (uint8_t)~(1u << (bit % 8));	/* write */
}

static void vmx_setup_msr_bitmap(void)
{
	msr_bitmap = alloc_page();
	memset((void *)(uintptr_t)msr_bitmap, 0xff, 4096);
	/*
	 * The SYSCALL MSRs and the segment bases are the guest's own: the host never uses
	 * SYSCALL or SWAPGS, so it can leave the guest's values in the CPU across exits (what
	 * KVM does lazily with its "user return" MSRs). EFER is switched by the VM-entry/exit
	 * load-EFER controls and saved on exit, so the guest may access it directly too.
	 */
	vmx_disable_intercept_for_msr(MSR_EFER);
	vmx_disable_intercept_for_msr(MSR_STAR);
	vmx_disable_intercept_for_msr(MSR_LSTAR);
	vmx_disable_intercept_for_msr(MSR_CSTAR);
	vmx_disable_intercept_for_msr(MSR_SYSCALL_MASK);
	vmx_disable_intercept_for_msr(MSR_FS_BASE);
	vmx_disable_intercept_for_msr(MSR_GS_BASE);
	vmx_disable_intercept_for_msr(MSR_KERNEL_GS_BASE);
}

/* Host state the CPU loads on every VM exit (SDM 25.5, checked by SDM 26.2.2-26.2.4). */
static void vmx_set_constant_host_state(void)
{
	struct desc_ptr gdt, idt;
	uint16_t cs, ss, ds, tr;
	const uint8_t *tss_desc;

	store_gdt(&gdt);
	asm volatile("sidt %0" : "=m"(idt));
	asm volatile("str %0" : "=r"(tr));
	asm volatile("mov %%cs, %0" : "=r"(cs));
	asm volatile("mov %%ss, %0" : "=r"(ss));
	asm volatile("mov %%ds, %0" : "=r"(ds));
	tss_desc = (const uint8_t *)(uintptr_t)(gdt.address + tr);

	vmcs_writel(HOST_CR0, read_cr0());
	vmcs_writel(HOST_CR3, read_cr3());
	vmcs_writel(HOST_CR4, read_cr4());

	vmcs_write16(HOST_CS_SELECTOR, cs);
	vmcs_write16(HOST_SS_SELECTOR, ss);
	vmcs_write16(HOST_DS_SELECTOR, ds);
	vmcs_write16(HOST_ES_SELECTOR, ds);
	vmcs_write16(HOST_FS_SELECTOR, ds);
	vmcs_write16(HOST_GS_SELECTOR, ds);
	vmcs_write16(HOST_TR_SELECTOR, tr);

	vmcs_writel(HOST_FS_BASE, rdmsr(MSR_FS_BASE));
	vmcs_writel(HOST_GS_BASE, rdmsr(MSR_GS_BASE));
	/* The 16-byte TSS descriptor (SDM vol. 3A 8.2.3) holds the base in four pieces. */
	vmcs_writel(HOST_TR_BASE, tss_desc[2] | (uint64_t)tss_desc[3] << 8 | (uint64_t)tss_desc[4] << 16 |
		    (uint64_t)tss_desc[7] << 24 | (uint64_t)*(const uint32_t *)(tss_desc + 8) << 32);
	vmcs_writel(HOST_GDTR_BASE, gdt.address);
	vmcs_writel(HOST_IDTR_BASE, idt.address);

	vmcs_write32(HOST_IA32_SYSENTER_CS, 0);
	vmcs_writel(HOST_IA32_SYSENTER_ESP, 0);
	vmcs_writel(HOST_IA32_SYSENTER_EIP, 0);
	vmcs_write64(HOST_IA32_EFER, rdmsr(MSR_EFER));

	vmcs_writel(HOST_RIP, (uintptr_t)vmx_vmexit);
	/* HOST_RSP is written by __vmx_vcpu_run just before each entry. */
}

/* Segment access rights (SDM 25.4.1, Table 25-2). */
#define AR_CODE64_DPL0	0xa09b	/* G, L, P, S, type 11 (execute/read, accessed) */
#define AR_DATA_DPL0	0xc093	/* G, D/B, P, S, type 3 (read/write, accessed) */
#define AR_TSS_BUSY64	0x008b	/* P, type 11 (busy 64-bit TSS) */

static void vmx_set_segment(enum vmcs_field selector, uint16_t sel, uint32_t ar)
{
	/* Selector, limit, access rights and base fields of one register are at fixed offsets. */
	enum vmcs_field index = (enum vmcs_field)((selector - GUEST_ES_SELECTOR) / 2);

	vmcs_write16(selector, sel);
	vmcs_write32((enum vmcs_field)(GUEST_ES_LIMIT + 2 * index), ar & VMX_AR_UNUSABLE_MASK ? 0 : 0xffffffff);
	vmcs_write32((enum vmcs_field)(GUEST_ES_AR_BYTES + 2 * index), ar);
	vmcs_writel((enum vmcs_field)(GUEST_ES_BASE + 2 * index), 0);
}

/* The guest's entry state of docs/platform.md, from struct hc_boot_info. */
static void vmx_set_guest_state(const struct hc_boot_info *bi)
{
	const struct vmcs_config *c = &vmcs_config;
	uint64_t cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	uint64_t cr4 = X86_CR4_PAE;

	/*
	 * CR0 and CR4 must satisfy the VMX fixed bits (SDM 26.3.1.1), which for CR4 means VMXE.
	 * The host owns every bit the guest may not change freely: the guest reads those from
	 * the read shadow (its own view) and a MOV that changes them exits to handle_cr.
	 */
	vmcs_writel(GUEST_CR0, (cr0 | c->cr0_fixed0) & c->cr0_fixed1);
	vmcs_writel(CR0_READ_SHADOW, cr0);
	vmcs_writel(CR0_GUEST_HOST_MASK, c->cr0_fixed0 | ~c->cr0_fixed1);
	vmcs_writel(GUEST_CR4, (cr4 | c->cr4_fixed0) & c->cr4_fixed1);
	vmcs_writel(CR4_READ_SHADOW, cr4);
	vmcs_writel(CR4_GUEST_HOST_MASK, c->cr4_fixed0 | ~c->cr4_fixed1);
	vmcs_writel(GUEST_CR3, bi->guest_cr3);
	vmcs_writel(GUEST_DR7, 0x400);
	vmcs_write64(GUEST_IA32_EFER, EFER_SCE | EFER_LME | EFER_LMA);

	vmx_set_segment(GUEST_CS_SELECTOR, bi->guest_cs, AR_CODE64_DPL0);
	vmx_set_segment(GUEST_SS_SELECTOR, bi->guest_ds, AR_DATA_DPL0);
	vmx_set_segment(GUEST_DS_SELECTOR, bi->guest_ds, AR_DATA_DPL0);
	vmx_set_segment(GUEST_ES_SELECTOR, bi->guest_ds, AR_DATA_DPL0);
	vmx_set_segment(GUEST_FS_SELECTOR, bi->guest_ds, AR_DATA_DPL0);
	vmx_set_segment(GUEST_GS_SELECTOR, bi->guest_ds, AR_DATA_DPL0);
	vmx_set_segment(GUEST_LDTR_SELECTOR, 0, VMX_AR_UNUSABLE_MASK);
	/* TR must be a usable busy TSS even before the guest loads its own (SDM 26.3.1.2). */
	vmcs_write16(GUEST_TR_SELECTOR, 0);
	vmcs_write32(GUEST_TR_LIMIT, 0xffff);
	vmcs_write32(GUEST_TR_AR_BYTES, AR_TSS_BUSY64);
	vmcs_writel(GUEST_TR_BASE, 0);

	vmcs_writel(GUEST_GDTR_BASE, bi->guest_gdt_base);
	vmcs_write32(GUEST_GDTR_LIMIT, bi->guest_gdt_limit);
	vmcs_writel(GUEST_IDTR_BASE, 0);
	vmcs_write32(GUEST_IDTR_LIMIT, 0);

	vmcs_writel(GUEST_RSP, bi->guest_rsp);
	vmcs_writel(GUEST_RIP, bi->guest_entry);
	vmcs_writel(GUEST_RFLAGS, X86_EFLAGS_FIXED);

	vmcs_write32(GUEST_SYSENTER_CS, 0);
	vmcs_writel(GUEST_SYSENTER_ESP, 0);
	vmcs_writel(GUEST_SYSENTER_EIP, 0);
	vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, 0);		/* active */
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write64(VMCS_LINK_POINTER, ~0ull);		/* no shadow VMCS (SDM 26.3.1.5) */
}

static void init_vmcs(struct vcpu_vmx *vmx, const struct hc_boot_info *bi)
{
	const struct vmcs_config *c = &vmcs_config;

	vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, c->pin_based_exec_ctrl);
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, c->cpu_based_exec_ctrl);
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, c->cpu_based_2nd_exec_ctrl);
	vmcs_write32(VM_EXIT_CONTROLS, c->vmexit_ctrl);
	vmcs_write32(VM_ENTRY_CONTROLS, c->vmentry_ctrl);

	vmcs_write32(EXCEPTION_BITMAP, 0);		/* guest exceptions go to the guest's IDT */
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write32(CR3_TARGET_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write64(MSR_BITMAP, msr_bitmap);
	vmcs_write64(EPT_POINTER, construct_eptp(vmx->vcpu.kvm));

	vmx_set_constant_host_state();
	vmx_set_guest_state(bi);
}

bool vmx_vcpu_create(struct vcpu_vmx *vmx, const void *boot_info)
{
	hpa_t vmcs = alloc_page();

	*(uint32_t *)(uintptr_t)vmcs = vmcs_config.revision_id;
	vmx->loaded_vmcs.vmcs = vmcs;
	vmx->loaded_vmcs.launched = false;
	if (!vmcs_clear(vmcs) || !vmcs_load(vmcs))
		return false;
	vmx_setup_msr_bitmap();
	init_vmcs(vmx, boot_info);
	return true;
}

/* CPL is SS.DPL (SDM vol. 3A 5.5), as vmx_get_cpl() reads it. */
int vmx_get_cpl(struct kvm_vcpu *vcpu)
{
	(void)vcpu;
	return VMX_AR_DPL(vmcs_read32(GUEST_SS_AR_BYTES));
}

void vmx_skip_emulated_instruction(struct kvm_vcpu *vcpu)
{
	unsigned long rip = vmcs_readl(GUEST_RIP) + vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	uint32_t interruptibility;

	/* Outside 64-bit mode RIP is EIP: it wraps at 4 GiB. */
	if (!is_64_bit_mode(vcpu))
		rip = (uint32_t)rip;
	vmcs_writel(GUEST_RIP, rip);

	/* The skipped instruction ends any STI/MOV SS interrupt shadow (SDM 26.7.1). */
	interruptibility = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	if (interruptibility & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO,
			     interruptibility & ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
}

/* Deliver #GP(error_code) into the guest on the next entry (SDM 26.6, event injection). */
void kvm_inject_gp(struct kvm_vcpu *vcpu, uint32_t error_code)
{
	(void)vcpu;
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, GP_VECTOR | INTR_TYPE_HARD_EXCEPTION |
		     INTR_INFO_DELIVER_CODE_MASK | INTR_INFO_VALID_MASK);
	vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, error_code);
}

void vmx_vcpu_run(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	trace_kvm_entry(vcpu, vmcs_readl(GUEST_RIP));

	vmx->fail = __vmx_vcpu_run(vcpu->arch.regs, vmx->loaded_vmcs.launched);
	if (vmx->fail) {
		vmx->exit_reason = 0xdead;	/* KVM's marker: no exit happened */
		return;
	}
	vmx->exit_reason = vmcs_read32(VM_EXIT_REASON);
	if (!(vmx->exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY))
		vmx->loaded_vmcs.launched = true;
	++vcpu->stat.exits;
}

static unsigned long vmx_get_exit_qual(struct kvm_vcpu *vcpu)
{
	(void)vcpu;
	return vmcs_readl(EXIT_QUALIFICATION);
}

/* A GPR named by an exit qualification; RSP lives in the VMCS, not in regs[]. */
static unsigned long kvm_gpr_read(struct kvm_vcpu *vcpu, int reg)
{
	return reg == VCPU_REGS_RSP ? vmcs_readl(GUEST_RSP) : vcpu->arch.regs[reg];
}

static void kvm_gpr_write(struct kvm_vcpu *vcpu, int reg, unsigned long v)
{
	if (reg == VCPU_REGS_RSP)
		vmcs_writel(GUEST_RSP, v);
	else
		vcpu->arch.regs[reg] = v;
}

static int handle_unexpected_exit(struct kvm_vcpu *vcpu)
{
	vcpu->run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	vcpu->run->internal.suberror = KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON;
	vcpu->run->internal.data[0] = to_vmx(vcpu)->exit_reason;
	vcpu->run->internal.data[1] = vmx_get_exit_qual(vcpu);
	return 0;
}

static int handle_triple_fault(struct kvm_vcpu *vcpu)
{
	vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
	return 0;
}

static int handle_cpuid(struct kvm_vcpu *vcpu)
{
	return kvm_emulate_cpuid(vcpu);
}

/*
 * Without an in-kernel local APIC, KVM hands a guest HLT to userspace (KVM_EXIT_HLT) once the
 * instruction is skipped; main.c ends the VM there.
 */
static int handle_halt(struct kvm_vcpu *vcpu)
{
	kvm_skip_emulated_instruction(vcpu);
	vcpu->run->exit_reason = KVM_EXIT_HLT;
	return 0;
}

static int handle_vmcall(struct kvm_vcpu *vcpu)
{
	return kvm_emulate_hypercall(vcpu); /* MARK: host-handle-vmcall */
}

/* The guest's COM1 is a 16550 that is always ready and whose output goes to COM2. */
static void guest_serial_out(uint16_t port, uint32_t val)
{
	if (port == HC_PORT_COM1)
		outb(HC_PORT_COM2, (uint8_t)val);
	/* Divisor, IER, LCR, MCR, scratch: accepted and ignored. */
}

static uint32_t guest_serial_in(uint16_t port)
{
	return port == HC_PORT_COM1 + HC_UART_LSR ? 0x60 : 0;	/* THRE | TEMT */
}

static bool is_guest_serial_port(uint16_t port)
{
	return port >= HC_PORT_COM1 && port <= HC_PORT_COM1 + 7;
}

/* OUT/IN (not INS/OUTS), as kvm_fast_pio() handles them. */
static int kvm_fast_pio(struct kvm_vcpu *vcpu, int size, uint16_t port, bool in)
{
	uint32_t mask = size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
	unsigned long rax = kvm_rax_read(vcpu);

	if (!in) {
		if (is_guest_serial_port(port))
			guest_serial_out(port, (uint32_t)rax & mask);
		/* Any other port has no device behind it: the write is dropped. */
	} else {
		uint32_t val = is_guest_serial_port(port) ? guest_serial_in(port) : 0xffffffffu;

		/* IN AL/AX merges into RAX; IN EAX zero-extends, like any 32-bit destination. */
		if (size < 4)
			kvm_rax_write(vcpu, (rax & ~(unsigned long)mask) | (val & mask));
		else
			kvm_rax_write(vcpu, val);
	}
	return kvm_skip_emulated_instruction(vcpu);
}

/*
 * OUTS/REP OUTS, which KVM hands to its instruction emulator: the bytes come from guest-linear
 * DS:RSI (the exit's GUEST_LINEAR_ADDRESS), RSI moves by the bytes sent (backwards if DF),
 * and REP consumes RCX. One exit for a whole string keeps console output cheap.
 */
static int kvm_emulate_outs(struct kvm_vcpu *vcpu, int size, uint16_t port, bool rep)
{
	bool op64 = is_64_bit_mode(vcpu);
	unsigned long count = rep ? kvm_rcx_read(vcpu) : 1;
	uint64_t linear = vmcs_readl(GUEST_LINEAR_ADDRESS);
	long step = vmcs_readl(GUEST_RFLAGS) & X86_EFLAGS_DF ? -size : size;
	unsigned long done;

	if (!op64)
		count = (uint32_t)count;
	for (done = 0; done < count; done++, linear += step) {
		uint32_t val = 0;
		gpa_t gpa;

		/* A string that crosses into an unmapped page would need a guest #PF: not emulated. */
		if (!kvm_mmu_gva_to_gpa(vcpu, linear, &gpa) ||
		    kvm_vcpu_read_guest(vcpu, gpa, &val, (unsigned long)size))
			return handle_unexpected_exit(vcpu);
		if (is_guest_serial_port(port))
			guest_serial_out(port, val);
	}
	kvm_register_write(vcpu, VCPU_REGS_RSI, kvm_rsi_read(vcpu) + done * step);
	if (rep)
		kvm_register_write(vcpu, VCPU_REGS_RCX, op64 ? 0 : kvm_rcx_read(vcpu) & ~0xffffffffull);
	return kvm_skip_emulated_instruction(vcpu);
}

static int handle_io(struct kvm_vcpu *vcpu)
{
	unsigned long qual = vmx_get_exit_qual(vcpu);
	int size = IO_QUAL_SIZE(qual);
	uint16_t port = IO_QUAL_PORT(qual);

	++vcpu->stat.io_exits;
	if (qual & IO_QUAL_STRING) {
		/* INS would need guest-memory writes with #PF injection; nothing here uses it. */
		if (qual & IO_QUAL_IN)
			return handle_unexpected_exit(vcpu);
		return kvm_emulate_outs(vcpu, size, port, (qual & IO_QUAL_REP) != 0);
	}
	return kvm_fast_pio(vcpu, size, port, (qual & IO_QUAL_IN) != 0);
}

/*
 * MOV to CR0/CR4 that touched a host-owned bit (CRx_GUEST_HOST_MASK), after handle_set_cr0/4.
 * The guest sees its value through the read shadow; the CPU runs with the VMX fixed bits.
 * False means #GP: a bit the CPU lacks, nested VMX, or (CR0) leaving protected mode or paging,
 * which would need the real-mode emulation this host does not have.
 */
static bool handle_set_cr(struct kvm_vcpu *vcpu, int cr, unsigned long val)
{
	const struct vmcs_config *c = &vmcs_config;
	uint64_t fixed0 = cr == 0 ? c->cr0_fixed0 : c->cr4_fixed0;
	uint64_t fixed1 = cr == 0 ? c->cr0_fixed1 : c->cr4_fixed1;

	(void)vcpu;
	if (val & ~fixed1)
		return false;
	if (cr == 4 && (val & X86_CR4_VMXE))
		return false;
	if (cr == 0 && (val & fixed0) != fixed0)
		return false;
	vmcs_writel(cr == 0 ? GUEST_CR0 : GUEST_CR4, val | fixed0);
	vmcs_writel(cr == 0 ? CR0_READ_SHADOW : CR4_READ_SHADOW, val);
	return true;
}

static int handle_cr(struct kvm_vcpu *vcpu)
{
	unsigned long qual = vmx_get_exit_qual(vcpu);
	int cr = CR_QUAL_CR(qual), reg = CR_QUAL_GPR(qual);

	switch (CR_QUAL_TYPE(qual)) {
	case 0:	/* mov to cr */
		if (cr == 3) {
			vmcs_writel(GUEST_CR3, kvm_gpr_read(vcpu, reg));
			return kvm_skip_emulated_instruction(vcpu);
		}
		if (cr == 0 || cr == 4) {
			if (!handle_set_cr(vcpu, cr, kvm_gpr_read(vcpu, reg))) {
				kvm_inject_gp(vcpu, 0);
				return 1;
			}
			return kvm_skip_emulated_instruction(vcpu);
		}
		break;
	case 1:	/* mov from cr */
		if (cr == 3) {
			kvm_gpr_write(vcpu, reg, vmcs_readl(GUEST_CR3));
			return kvm_skip_emulated_instruction(vcpu);
		}
		break;
	}
	return handle_unexpected_exit(vcpu);
}

/*
 * RDMSR/WRMSR of an MSR the bitmap intercepts. None of them is emulated, so like KVM with
 * ignore_msrs=0 the guest gets #GP(0).
 */
static int handle_rdmsr(struct kvm_vcpu *vcpu)
{
	printk("hc-host: unhandled rdmsr 0x%lx: #GP into the guest\n", vcpu->arch.regs[VCPU_REGS_RCX]);
	kvm_inject_gp(vcpu, 0);
	return 1;
}

static int handle_wrmsr(struct kvm_vcpu *vcpu)
{
	printk("hc-host: unhandled wrmsr 0x%lx: #GP into the guest\n", vcpu->arch.regs[VCPU_REGS_RCX]);
	kvm_inject_gp(vcpu, 0);
	return 1;
}

/*
 * Guest RAM is mapped in full before the first entry (mmu.c), so an EPT violation is an
 * access to guest-physical memory that no slot covers: KVM would hand it to userspace as
 * MMIO, and this VMM has no MMIO device.
 */
static int handle_ept_violation(struct kvm_vcpu *vcpu)
{
	vcpu->run->exit_reason = KVM_EXIT_MMIO;
	vcpu->run->mmio.phys_addr = vmcs_read64(GUEST_PHYSICAL_ADDRESS);
	vcpu->run->mmio.is_write = (vmx_get_exit_qual(vcpu) & 2) != 0;
	return 0;
}

static int (*const kvm_vmx_exit_handlers[])(struct kvm_vcpu *vcpu) = {
	[EXIT_REASON_TRIPLE_FAULT]	= handle_triple_fault,
	[EXIT_REASON_CPUID]		= handle_cpuid,
	[EXIT_REASON_HLT]		= handle_halt,
	[EXIT_REASON_VMCALL]		= handle_vmcall,
	[EXIT_REASON_CR_ACCESS]		= handle_cr,
	[EXIT_REASON_IO_INSTRUCTION]	= handle_io,
	[EXIT_REASON_MSR_READ]		= handle_rdmsr,
	[EXIT_REASON_MSR_WRITE]		= handle_wrmsr,
	[EXIT_REASON_EPT_VIOLATION]	= handle_ept_violation,
};

static const int kvm_vmx_max_exit_handlers = ARRAY_SIZE(kvm_vmx_exit_handlers);

/* info1/info2/intr_info/error_code as vmx_get_exit_info() reports them to trace_kvm_exit. */
static void vmx_get_exit_info(struct kvm_vcpu *vcpu, uint64_t *info1, uint64_t *info2,
			      uint32_t *intr_info, uint32_t *error_code)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	*info1 = vmx_get_exit_qual(vcpu);
	*info2 = 0;
	*intr_info = 0;
	*error_code = 0;
	if (vmx->exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY)
		return;
	*info2 = vmcs_read32(IDT_VECTORING_INFO_FIELD);
	*intr_info = vmcs_read32(VM_EXIT_INTR_INFO);
	if ((*intr_info & (INTR_INFO_VALID_MASK | INTR_INFO_DELIVER_CODE_MASK)) ==
	    (INTR_INFO_VALID_MASK | INTR_INFO_DELIVER_CODE_MASK))
		*error_code = vmcs_read32(VM_EXIT_INTR_ERROR_CODE);
}

/* Returns 1 to re-enter the guest, 0 to return to main.c with vcpu->run filled in. */
int vmx_handle_exit(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	uint32_t exit_reason = vmx->exit_reason;
	uint16_t basic = VMX_BASIC_EXIT_REASON(exit_reason);
	uint64_t info1, info2;
	uint32_t intr_info, error_code;

	if (vmx->fail) {
		vcpu->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		vcpu->run->fail_entry.vmfail = true;
		vcpu->run->fail_entry.hardware_entry_failure_reason = vmcs_read32(VM_INSTRUCTION_ERROR);
		return 0;
	}

	vmx_get_exit_info(vcpu, &info1, &info2, &intr_info, &error_code);
	trace_kvm_exit(vcpu, exit_reason, vmcs_readl(GUEST_RIP), info1, info2, intr_info, error_code);

	if (exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY) {
		vcpu->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		vcpu->run->fail_entry.vmfail = false;
		vcpu->run->fail_entry.hardware_entry_failure_reason = exit_reason;
		return 0;
	}

	if (basic >= kvm_vmx_max_exit_handlers || !kvm_vmx_exit_handlers[basic])
		return handle_unexpected_exit(vcpu);
	return kvm_vmx_exit_handlers[basic](vcpu);
}

/* SDM Appendix C names, as arch/x86/include/uapi/asm/vmx.h spells them. */
static const char *const vmx_exit_reason_names[EXIT_REASON_MAX] = {
	[0] = "EXCEPTION_NMI", [1] = "EXTERNAL_INTERRUPT", [2] = "TRIPLE_FAULT",
	[3] = "INIT_SIGNAL", [4] = "SIPI_SIGNAL", [7] = "INTERRUPT_WINDOW", [8] = "NMI_WINDOW",
	[9] = "TASK_SWITCH", [10] = "CPUID", [12] = "HLT", [13] = "INVD", [14] = "INVLPG",
	[15] = "RDPMC", [16] = "RDTSC", [18] = "VMCALL", [19] = "VMCLEAR", [20] = "VMLAUNCH",
	[21] = "VMPTRLD", [22] = "VMPTRST", [23] = "VMREAD", [24] = "VMRESUME", [25] = "VMWRITE",
	[26] = "VMOFF", [27] = "VMON", [28] = "CR_ACCESS", [29] = "DR_ACCESS",
	[30] = "IO_INSTRUCTION", [31] = "MSR_READ", [32] = "MSR_WRITE", [33] = "INVALID_STATE",
	[34] = "MSR_LOAD_FAIL", [36] = "MWAIT_INSTRUCTION", [37] = "MONITOR_TRAP_FLAG",
	[39] = "MONITOR_INSTRUCTION", [40] = "PAUSE_INSTRUCTION", [41] = "MCE_DURING_VMENTRY",
	[43] = "TPR_BELOW_THRESHOLD", [44] = "APIC_ACCESS", [45] = "EOI_INDUCED",
	[46] = "GDTR_IDTR", [47] = "LDTR_TR", [48] = "EPT_VIOLATION", [49] = "EPT_MISCONFIG",
	[50] = "INVEPT", [51] = "RDTSCP", [52] = "PREEMPTION_TIMER", [53] = "INVVPID",
	[54] = "WBINVD", [55] = "XSETBV", [56] = "APIC_WRITE", [57] = "RDRAND", [58] = "INVPCID",
	[59] = "VMFUNC", [60] = "ENCLS", [61] = "RDSEED", [62] = "PML_FULL", [63] = "XSAVES",
	[64] = "XRSTORS", [67] = "UMWAIT", [68] = "TPAUSE", [74] = "BUS_LOCK",
};

const char *vmx_exit_reason_name(uint32_t reason)
{
	uint32_t basic = VMX_BASIC_EXIT_REASON(reason);

	if (basic < EXIT_REASON_MAX && vmx_exit_reason_names[basic])
		return vmx_exit_reason_names[basic];
	return "UNKNOWN";
}

/* VM-instruction error numbers (SDM 31.4, Table 31-1). */
static const char *const vmx_insn_error_names[] = {
	[1] = "VMCALL executed in VMX root operation",
	[2] = "VMCLEAR with invalid physical address",
	[3] = "VMCLEAR with VMXON pointer",
	[4] = "VMLAUNCH with non-clear VMCS",
	[5] = "VMRESUME with non-launched VMCS",
	[6] = "VMRESUME after VMXOFF",
	[7] = "VM entry with invalid control field(s)",
	[8] = "VM entry with invalid host-state field(s)",
	[9] = "VMPTRLD with invalid physical address",
	[10] = "VMPTRLD with VMXON pointer",
	[11] = "VMPTRLD with incorrect VMCS revision identifier",
	[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
	[13] = "VMWRITE to read-only VMCS component",
	[15] = "VMXON executed in VMX root operation",
	[26] = "VM entry with events blocked by MOV SS",
	[28] = "invalid operand to INVEPT/INVVPID",
};

const char *vmx_insn_error_name(uint32_t error)
{
	if (error < ARRAY_SIZE(vmx_insn_error_names) && vmx_insn_error_names[error])
		return vmx_insn_error_names[error];
	return "unknown VM-instruction error";
}
