/*
 * kvm_host.h - the host's VM and vCPU objects, shaped like Linux's struct kvm, struct
 * kvm_vcpu (include/linux/kvm_host.h, arch/x86/include/asm/kvm_host.h) and struct vcpu_vmx
 * (arch/x86/kvm/vmx/vmx.h), cut down to one VM with one vCPU and one memory slot.
 */
#ifndef HC_KVM_HOST_H
#define HC_KVM_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t gpa_t;
typedef uint64_t gfn_t;
typedef uint64_t hpa_t;

#define PAGE_SHIFT 12

static inline gfn_t gpa_to_gfn(gpa_t gpa)
{
	return gpa >> PAGE_SHIFT;
}

/* Index into vcpu->arch.regs[], in the hardware (ModRM) order KVM uses. */
enum kvm_reg {
	VCPU_REGS_RAX = 0,
	VCPU_REGS_RCX = 1,
	VCPU_REGS_RDX = 2,
	VCPU_REGS_RBX = 3,
	VCPU_REGS_RSP = 4,	/* lives in the VMCS (GUEST_RSP); the slot is unused */
	VCPU_REGS_RBP = 5,
	VCPU_REGS_RSI = 6,
	VCPU_REGS_RDI = 7,
	VCPU_REGS_R8 = 8,
	VCPU_REGS_R9 = 9,
	VCPU_REGS_R10 = 10,
	VCPU_REGS_R11 = 11,
	VCPU_REGS_R12 = 12,
	VCPU_REGS_R13 = 13,
	VCPU_REGS_R14 = 14,
	VCPU_REGS_R15 = 15,
	NR_VCPU_REGS = 16,
};

/* Why KVM_RUN returned to "userspace" (include/uapi/linux/kvm.h). */
#define KVM_EXIT_UNKNOWN		0
#define KVM_EXIT_HLT			5
#define KVM_EXIT_MMIO			6
#define KVM_EXIT_SHUTDOWN		8
#define KVM_EXIT_FAIL_ENTRY		9
#define KVM_EXIT_INTERNAL_ERROR		17

#define KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON	4

struct kvm_run {
	uint32_t exit_reason;
	union {
		struct {
			uint64_t hardware_entry_failure_reason;	/* exit reason or VM-instruction error */
			bool vmfail;				/* VMfailValid rather than an entry-failure exit */
		} fail_entry;
		struct {
			uint32_t suberror;
			uint64_t data[2];			/* exit reason, exit qualification */
		} internal;
		struct {
			uint64_t phys_addr;
			bool is_write;
		} mmio;
	};
};

/* Guest-physical [base_gfn, base_gfn + npages) is host memory at userspace_addr. */
struct kvm_memory_slot {
	uint64_t base_gfn;
	uint64_t npages;
	uint64_t userspace_addr;
};

struct kvm {
	struct kvm_memory_slot memslot;
	hpa_t ept_root;				/* EPT PML4 */
};

struct kvm_vcpu_stat {
	uint64_t exits;
	uint64_t hypercalls;
	uint64_t io_exits;
	uint64_t cpuid_exits;
};

struct kvm_vcpu_arch {
	unsigned long regs[NR_VCPU_REGS];
};

struct kvm_vcpu {
	struct kvm *kvm;
	int vcpu_id;
	struct kvm_run *run;
	struct kvm_vcpu_arch arch;
	struct kvm_vcpu_stat stat;
};

struct loaded_vmcs {
	hpa_t vmcs;
	bool launched;
};

struct vcpu_vmx {
	struct kvm_vcpu vcpu;
	struct loaded_vmcs loaded_vmcs;
	uint32_t exit_reason;			/* full 32 bits, bit 31 = failed VM entry */
	bool fail;				/* VMLAUNCH/VMRESUME VMfailed */
};

static inline struct vcpu_vmx *to_vmx(struct kvm_vcpu *vcpu)
{
	return (struct vcpu_vmx *)((char *)vcpu - offsetof(struct vcpu_vmx, vcpu));
}

static inline unsigned long kvm_register_read(struct kvm_vcpu *vcpu, enum kvm_reg reg)
{
	return vcpu->arch.regs[reg];
}

static inline void kvm_register_write(struct kvm_vcpu *vcpu, enum kvm_reg reg, unsigned long v)
{
	vcpu->arch.regs[reg] = v;
}

#define kvm_rax_read(vcpu)	kvm_register_read(vcpu, VCPU_REGS_RAX)
#define kvm_rbx_read(vcpu)	kvm_register_read(vcpu, VCPU_REGS_RBX)
#define kvm_rcx_read(vcpu)	kvm_register_read(vcpu, VCPU_REGS_RCX)
#define kvm_rdx_read(vcpu)	kvm_register_read(vcpu, VCPU_REGS_RDX)
#define kvm_rsi_read(vcpu)	kvm_register_read(vcpu, VCPU_REGS_RSI)
#define kvm_rax_write(vcpu, v)	kvm_register_write(vcpu, VCPU_REGS_RAX, v)

/* x86.c */
int kvm_arch_vcpu_ioctl_run(struct kvm_vcpu *vcpu);
int kvm_emulate_hypercall(struct kvm_vcpu *vcpu);
int kvm_skip_emulated_instruction(struct kvm_vcpu *vcpu);
bool is_64_bit_mode(struct kvm_vcpu *vcpu);
int kvm_vcpu_write_guest(struct kvm_vcpu *vcpu, gpa_t gpa, const void *data, unsigned long len);
int kvm_vcpu_read_guest(struct kvm_vcpu *vcpu, gpa_t gpa, void *data, unsigned long len);
bool kvm_vcpu_is_visible_gfn(struct kvm_vcpu *vcpu, gfn_t gfn);

/* cpuid.c */
int kvm_emulate_cpuid(struct kvm_vcpu *vcpu);

/* mmu.c */
void kvm_init_ept(struct kvm *kvm);
bool kvm_mmu_gva_to_gpa(struct kvm_vcpu *vcpu, uint64_t gva, gpa_t *gpa);
uint64_t construct_eptp(struct kvm *kvm);

/* vmx.c */
bool vmx_hardware_setup(void);
bool vmx_hardware_enable(void);
bool vmx_vcpu_create(struct vcpu_vmx *vmx, const void *boot_info);
void vmx_vcpu_run(struct kvm_vcpu *vcpu);
int vmx_handle_exit(struct kvm_vcpu *vcpu);
int vmx_get_cpl(struct kvm_vcpu *vcpu);
void vmx_skip_emulated_instruction(struct kvm_vcpu *vcpu);
void kvm_inject_gp(struct kvm_vcpu *vcpu, uint32_t error_code);
const char *vmx_exit_reason_name(uint32_t reason);
const char *vmx_insn_error_name(uint32_t error);

/* vmenter.S: returns 0 after a VM exit, 1 if VMLAUNCH/VMRESUME VMfailed. */
int __vmx_vcpu_run(unsigned long *regs, bool launched);

/* main.c: zeroed 4 KiB pages from the boot info's free range (never fails: it stops the machine). */
hpa_t alloc_page(void);

#endif /* HC_KVM_HOST_H */
