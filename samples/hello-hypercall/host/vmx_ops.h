/*
 * vmx_ops.h - the VMX instructions as C functions, after Linux arch/x86/kvm/vmx/vmx_ops.h.
 * Each VMX instruction reports VMfailInvalid in CF and VMfailValid in ZF (SDM 31.2); the
 * wrappers turn either into a message through vmx_insn_failed() so a bad field or a bad
 * pointer is reported where it happens instead of surfacing later as a failed VM entry.
 */
#ifndef HC_VMX_OPS_H
#define HC_VMX_OPS_H

#include <stdbool.h>
#include <stdint.h>
#include "vmx.h"

void vmx_insn_failed(const char *insn, uint64_t operand);

static inline uint64_t vmcs_readl(enum vmcs_field field)
{
	uint64_t value;
	bool failed;

	asm volatile("vmread %[field], %[value]; setna %[failed]"
		     : [value] "=rm"(value), [failed] "=qm"(failed)
		     : [field] "r"((uint64_t)field)
		     : "cc");
	if (failed)
		vmx_insn_failed("vmread", field);
	return value;
}

static inline uint32_t vmcs_read32(enum vmcs_field field) { return (uint32_t)vmcs_readl(field); }
static inline uint16_t vmcs_read16(enum vmcs_field field) { return (uint16_t)vmcs_readl(field); }
static inline uint64_t vmcs_read64(enum vmcs_field field) { return vmcs_readl(field); }

static inline void vmcs_writel(enum vmcs_field field, uint64_t value)
{
	bool failed;

	asm volatile("vmwrite %[value], %[field]; setna %[failed]"
		     : [failed] "=qm"(failed)
		     : [field] "r"((uint64_t)field), [value] "rm"(value)
		     : "cc");
	if (failed)
		vmx_insn_failed("vmwrite", field);
}

static inline void vmcs_write16(enum vmcs_field field, uint16_t v) { vmcs_writel(field, v); }
static inline void vmcs_write32(enum vmcs_field field, uint32_t v) { vmcs_writel(field, v); }
static inline void vmcs_write64(enum vmcs_field field, uint64_t v) { vmcs_writel(field, v); }

/* VMXON, VMCLEAR and VMPTRLD take the physical address in a memory operand. */
#define DEFINE_VMX_PA_INSN(name, insn)							\
static inline bool name(uint64_t pa)							\
{											\
	bool failed;									\
											\
	asm volatile(insn " %[pa]; setna %[f]"						\
		     : [f] "=qm"(failed) : [pa] "m"(pa) : "cc", "memory");		\
	if (failed)									\
		vmx_insn_failed(insn, pa);						\
	return !failed;									\
}

DEFINE_VMX_PA_INSN(vmxon, "vmxon")
DEFINE_VMX_PA_INSN(vmcs_clear, "vmclear")
DEFINE_VMX_PA_INSN(vmcs_load, "vmptrld")

#endif /* HC_VMX_OPS_H */
