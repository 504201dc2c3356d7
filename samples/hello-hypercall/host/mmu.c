/*
 * mmu.c - EPT for the one memory slot, a much reduced arch/x86/kvm/mmu: the whole slot is
 * mapped up front with 4 KiB pages, read/write/execute, write-back (SDM 29.3), so the guest
 * never takes an EPT violation inside its RAM and one outside it is always an error.
 */
#include "kvm_host.h"
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
