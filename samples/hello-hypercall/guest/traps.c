/*
 * traps.c - the guest's IDT: every exception prints what happened and where, then halts
 * with interrupts off, which ends the VM (the host's handle_halt).
 */
#include <stdint.h>
#include "kernel.h"
#include "x86.h"

extern const uint64_t asm_exc_table[32];
static struct idt_gate idt_table[32];

void do_exception(struct pt_regs *regs, int vector)
{
	uint64_t cr2;

	asm volatile("mov %%cr2, %0" : "=r"(cr2));
	printk("guest: exception %s (vector %d) at rip 0x%lx cs 0x%lx, error code 0x%lx, cr2 0x%lx\n",
	       exception_name(vector), vector, regs->ip,
	       regs->cs, regs->orig_ax, cr2);
	halt_forever();
}

void trap_init(void)
{
	struct desc_ptr idt = { sizeof(idt_table) - 1, (uintptr_t)idt_table };
	int i;

	for (i = 0; i < 32; i++)
		set_intr_gate(&idt_table[i], asm_exc_table[i], __KERNEL_CS);
	load_idt(&idt);
}
