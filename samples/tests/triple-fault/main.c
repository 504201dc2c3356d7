/*
 * main.c - test guest: a #UD with an IDT that cannot deliver it (limit 0) escalates to #DF
 * and then to a triple fault, which exits to the host (SDM 25.2, exit reason 2).
 */
#include "kernel.h"
#include "x86.h"

void guest_main(void)
{
	struct desc_ptr no_idt = { 0, 0 };

	printk("guest: about to triple fault\n");
	load_idt(&no_idt);
	asm volatile("ud2");
}
