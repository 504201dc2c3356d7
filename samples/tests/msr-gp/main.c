/*
 * main.c - test guest: RDMSR of an MSR the host neither passes through nor emulates
 * (IA32_APIC_BASE): the host's handle_rdmsr injects #GP(0), as KVM does with ignore_msrs=0,
 * and the guest's IDT reports it at the RDMSR.
 */
#include "kernel.h"
#include "x86.h"

void guest_main(void)
{
	printk("guest: rdmsr 0x1b\n");
	printk("guest: read 0x%lx\n", rdmsr(0x1b));
}
