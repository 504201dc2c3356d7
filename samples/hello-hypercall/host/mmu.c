/*
 * mmu.c - a much reduced arch/x86/kvm/mmu: EPT for the one memory slot, mapped up front with
 * 4 KiB pages, read/write/execute, write-back (SDM 29.3), so the guest never takes an EPT
 * violation inside its RAM and one outside it is always an error; and a walk of the guest's
 * own page tables for the instructions the host emulates on guest-linear addresses.
 */
#include "kvm_host.h"
#include "vmx.h"
#include "vmx_ops.h"
#include "vmx.h"

#define PAGE_SIZE	4096ull
#define PT_ENTRIES	512
#define ADDR_MASK	0x000ffffffffff000ull

static uint64_t *table(hpa_t pa)
{
	return (uint64_t *)(uintptr_t)pa;	/* the host is identity-mapped */
}

/* The next-level table under entry `index` of `t`, allocated on first use. */
static uint64_t *ept_next_level(uint64_t *t, unsigned index)
{
	if (!(t[index] & VMX_EPT_RWX_MASK))
		t[index] = alloc_page() | VMX_EPT_RWX_MASK;
	return table(t[index] & ADDR_MASK);
}

/* The last-level table (PT) that maps `gpa`, with the tables above it allocated as needed. */
static uint64_t *ept_pt_for(struct kvm *kvm, gpa_t gpa)
{
	uint64_t *pml4 = table(kvm->ept_root);
	uint64_t *pdpt = ept_next_level(pml4, (gpa >> 39) & 511);
	uint64_t *pd = ept_next_level(pdpt, (gpa >> 30) & 511);

	return ept_next_level(pd, (gpa >> 21) & 511);
}

void kvm_init_ept(struct kvm *kvm)
{
	const struct kvm_memory_slot *slot = &kvm->memslot;
	uint64_t *pt = NULL;
	uint64_t i;

	kvm->ept_root = alloc_page();
	for (i = 0; i < slot->npages; i++) {
		gpa_t gpa = (slot->base_gfn + i) * PAGE_SIZE;

		/* One walk per 2 MiB: consecutive pages share a PT. */
		if (!pt || (gpa >> 12) % PT_ENTRIES == 0)
			pt = ept_pt_for(kvm, gpa);
		pt[(gpa >> 12) % PT_ENTRIES] = (slot->userspace_addr + i * PAGE_SIZE) | VMX_EPT_RWX_MASK |
					       (VMX_EPTP_MT_WB << VMX_EPT_MT_SHIFT);
	}
}

/* EPTP (SDM 25.6.11): write-back paging structures, 4-level walk, no accessed/dirty flags. */
uint64_t construct_eptp(struct kvm *kvm)
{
	return kvm->ept_root | VMX_EPTP_PWL_4 | VMX_EPTP_MT_WB;
}

/*
 * Guest-linear to guest-physical through the guest's 4-level paging (SDM vol. 3A 4.5), as
 * kvm_mmu_gva_to_gpa_read() does for the emulator. Only presence is checked: the host walks
 * for instructions that already passed the CPU's privilege checks.
 */
bool kvm_mmu_gva_to_gpa(struct kvm_vcpu *vcpu, uint64_t gva, gpa_t *gpa)
{
	uint64_t table = vmcs_readl(GUEST_CR3) & ADDR_MASK, entry;
	int level;

	for (level = 4; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);

		if (kvm_vcpu_read_guest(vcpu, table + ((gva >> shift) & 511) * 8, &entry, sizeof(entry)))
			return false;
		if (!(entry & 1))					/* P */
			return false;
		if ((level == 3 || level == 2) && (entry & 0x80)) {	/* PS: 1 GiB or 2 MiB page */
			uint64_t offset_mask = (1ull << shift) - 1;

			*gpa = (entry & ADDR_MASK & ~offset_mask) | (gva & offset_mask);
			return true;
		}
		table = entry & ADDR_MASK;
	}
	*gpa = table | (gva & 0xfff);
	return true;
}
