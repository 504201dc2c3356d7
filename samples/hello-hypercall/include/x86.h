/*
 * x86.h - the handful of privileged x86 instructions both the host and the guest kernel use
 * (port I/O, MSRs, CPUID, control registers), as inline functions, and the descriptor
 * formats both build (64-bit TSS and its descriptor, interrupt gates).
 */
#ifndef HC_X86_H
#define HC_X86_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory"); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline void cpuid_count(uint32_t leaf, uint32_t subleaf, uint32_t *a, uint32_t *b,
			       uint32_t *c, uint32_t *d)
{
	asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(subleaf));
}

static inline uint64_t read_cr0(void) { uint64_t v; asm volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr3(void) { uint64_t v; asm volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr4(void) { uint64_t v; asm volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(uint64_t v) { asm volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline void write_cr4(uint64_t v) { asm volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }

struct desc_ptr {
	uint16_t size;
	uint64_t address;
} __attribute__((packed));

static inline void store_gdt(struct desc_ptr *p) { asm volatile("sgdt %0" : "=m"(*p)); }
static inline void load_gdt(const struct desc_ptr *p) { asm volatile("lgdt %0" : : "m"(*p)); }
static inline void load_idt(const struct desc_ptr *p) { asm volatile("lidt %0" : : "m"(*p)); }
static inline void load_tr(uint16_t sel) { asm volatile("ltr %0" : : "r"(sel)); }

/* The 64-bit TSS (SDM vol. 3A 8.7; Linux's struct x86_hw_tss). */
struct tss_struct {
	uint32_t reserved0;
	uint64_t sp0, sp1, sp2;
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t io_bitmap_base;
} __attribute__((packed));

/* An available 64-bit TSS descriptor, 16 bytes (SDM vol. 3A 8.2.3), written to desc[0..1]. */
static inline void set_tss_desc(uint64_t *desc, const struct tss_struct *tss)
{
	uint64_t base = (uintptr_t)tss, limit = sizeof(*tss) - 1;

	desc[0] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ull << 40 |
		  ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	desc[1] = base >> 32;
}

/* A 64-bit IDT gate (SDM vol. 3A 6.14.1; Linux's struct gate_struct). */
struct idt_gate {
	uint16_t offset_low, selector;
	uint8_t ist, type_attr;
	uint16_t offset_mid;
	uint32_t offset_high, reserved;
};

/* Present, DPL 0, 64-bit interrupt gate to handler through code selector cs. */
static inline void set_intr_gate(struct idt_gate *gate, uint64_t handler, uint16_t cs)
{
	gate->offset_low = (uint16_t)handler;
	gate->selector = cs;
	gate->type_attr = 0x8e;
	gate->offset_mid = (uint16_t)(handler >> 16);
	gate->offset_high = (uint32_t)(handler >> 32);
}

/* "#GP" and the like for exception vectors 0-31 (SDM vol. 3A Table 6-1). */
static inline const char *exception_name(unsigned long vector)
{
	static const char *const names[32] = {
		"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "coprocessor overrun",
		"#TS", "#NP", "#SS", "#GP", "#PF", "reserved", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
	};

	return vector < 32 && names[vector] ? names[vector] : "reserved";
}

static inline __attribute__((noreturn)) void halt_forever(void)
{
	for (;;)
		asm volatile("cli; hlt");
}

/* MSR indices (Intel SDM vol. 4). */
#define MSR_IA32_FEATURE_CONTROL	0x0000003a
#define MSR_IA32_SYSENTER_CS		0x00000174
#define MSR_IA32_SYSENTER_ESP		0x00000175
#define MSR_IA32_SYSENTER_EIP		0x00000176
#define MSR_IA32_PAT			0x00000277
#define MSR_EFER			0xc0000080
#define MSR_STAR			0xc0000081
#define MSR_LSTAR			0xc0000082
#define MSR_CSTAR			0xc0000083
#define MSR_SYSCALL_MASK		0xc0000084
#define MSR_FS_BASE			0xc0000100
#define MSR_GS_BASE			0xc0000101
#define MSR_KERNEL_GS_BASE		0xc0000102

#define EFER_SCE	(1ull << 0)
#define EFER_LME	(1ull << 8)
#define EFER_LMA	(1ull << 10)
#define EFER_NX		(1ull << 11)

#define X86_CR0_PE	(1ull << 0)
#define X86_CR0_MP	(1ull << 1)
#define X86_CR0_ET	(1ull << 4)
#define X86_CR0_NE	(1ull << 5)
#define X86_CR0_WP	(1ull << 16)
#define X86_CR0_PG	(1ull << 31)
#define X86_CR4_PAE	(1ull << 5)
#define X86_CR4_VMXE	(1ull << 13)

#define X86_EFLAGS_FIXED	(1ull << 1)
#define X86_EFLAGS_TF		(1ull << 8)
#define X86_EFLAGS_IF		(1ull << 9)
#define X86_EFLAGS_DF		(1ull << 10)
#define X86_EFLAGS_AC		(1ull << 18)

#endif /* HC_X86_H */
