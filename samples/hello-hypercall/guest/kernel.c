/*
 * kernel.c - guest kernel start-up: its own GDT with a TSS (RSP0 for exceptions taken at
 * CPL 3), the IDT, the SYSCALL MSRs, then the image's guest_main() at CPL 0.
 */
#include <stdint.h>
#include "kernel.h"
#include "lib.h"
#include "x86.h"

extern char kernel_stack_top[];

static struct tss_struct cpu_tss;

/* Flat descriptors (SDM vol. 3A 3.4.5): base 0, limit 4 GiB, access byte and flags as named. */
static uint64_t gdt_table[] = {
	[__KERNEL_CS / 8]	= 0x00af9b000000ffffull,	/* 64-bit code, DPL 0 */
	[__KERNEL_DS / 8]	= 0x00cf93000000ffffull,	/* data, DPL 0 */
	[__USER32_CS / 8]	= 0x00cffb000000ffffull,	/* 32-bit code, DPL 3 */
	[__USER_DS / 8]		= 0x00cff3000000ffffull,	/* data, DPL 3 */
	[__USER_CS / 8]		= 0x00affb000000ffffull,	/* 64-bit code, DPL 3 */
	[GDT_TSS_SELECTOR / 8]	= 0, 0,				/* 64-bit TSS, filled in at run time */
	[__KERNEL32_CS / 8]	= 0x00cf9b000000ffffull,	/* 32-bit code, DPL 0 */
};

static void gdt_init(void)
{
	struct desc_ptr gdt = { sizeof(gdt_table) - 1, (uintptr_t)gdt_table };

	cpu_tss.sp0 = (uintptr_t)kernel_stack_top;
	cpu_tss.io_bitmap_base = sizeof(cpu_tss);	/* no I/O bitmap: CPL 3 port access faults */
	set_tss_desc(&gdt_table[GDT_TSS_SELECTOR / 8], &cpu_tss);

	load_gdt(&gdt);
	/* Reload CS with a far return, then the data segments, from the new table. */
	asm volatile("pushq %[cs]\n\t"
		     "lea 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "lretq\n"
		     "1:\n\t"
		     "mov %[ds], %%eax\n\t"
		     "mov %%eax, %%ds\n\t"
		     "mov %%eax, %%es\n\t"
		     "mov %%eax, %%ss\n\t"
		     "mov %%eax, %%fs\n\t"
		     "mov %%eax, %%gs"
		     :
		     : [cs] "i"(__KERNEL_CS), [ds] "i"(__KERNEL_DS)
		     : "rax", "memory");
	load_tr(GDT_TSS_SELECTOR);
}

/*
 * SYSCALL enters at LSTAR with CS = STAR[47:32] and SS = +8; SYSRET returns with
 * CS = STAR[63:48] + 16 and SS = STAR[63:48] + 8, both RPL 3 (SDM vol. 2B): hence the GDT order.
 */
static void syscall_init(void)
{
	wrmsr(MSR_STAR, (uint64_t)(__USER32_CS & ~3) << 48 | (uint64_t)__KERNEL_CS << 32);
	wrmsr(MSR_LSTAR, (uintptr_t)entry_SYSCALL_64);
	wrmsr(MSR_SYSCALL_MASK, X86_EFLAGS_IF | X86_EFLAGS_TF | X86_EFLAGS_DF | X86_EFLAGS_AC);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

__attribute__((noreturn)) void start_kernel(void)
{
	apply_hypercall_alternatives();
	gdt_init();
	trap_init();
	syscall_init();
	guest_main();
	printk("guest: guest_main returned, halting\n");
	halt_forever();
}
