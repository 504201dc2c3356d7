/*
 * traps.c - the guest's IDT: every exception prints what happened and where, then halts
 * with interrupts off, which ends the VM (the host's handle_halt).
 */
#include <stdint.h>
#include "kernel.h"
#include "x86.h"

struct idt_gate {
	uint16_t offset_low, selector;
	uint8_t ist, type_attr;
	uint16_t offset_mid;
	uint32_t offset_high, reserved;
};

extern const uint64_t asm_exc_table[32];
static struct idt_gate idt_table[32];

static const char *const exception_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "coprocessor overrun",
	"#TS", "#NP", "#SS", "#GP", "#PF", "reserved", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

void do_exception(struct pt_regs *regs, int vector)
{
	uint64_t cr2;

	asm volatile("mov %%cr2, %0" : "=r"(cr2));
	printk("guest: exception %s (vector %d) at rip 0x%lx cs 0x%lx, error code 0x%lx, cr2 0x%lx\n",
	       exception_names[vector] ? exception_names[vector] : "reserved", vector, regs->ip,
	       regs->cs, regs->orig_ax, cr2);
	halt_forever();
}

void trap_init(void)
{
	struct desc_ptr idt = { sizeof(idt_table) - 1, (uintptr_t)idt_table };
	int i;

	for (i = 0; i < 32; i++) {
		uint64_t handler = asm_exc_table[i];

		idt_table[i].offset_low = (uint16_t)handler;
		idt_table[i].selector = __KERNEL_CS;
		idt_table[i].type_attr = 0x8e;	/* present, DPL 0, 64-bit interrupt gate */
		idt_table[i].offset_mid = (uint16_t)(handler >> 16);
		idt_table[i].offset_high = (uint32_t)(handler >> 32);
	}
	load_idt(&idt);
}
