/*
 * main.c - test guest: a read of guest-physical 32 MiB, which the guest's page tables map
 * (they cover 1 GiB) but guest RAM (16 MiB, the host's EPT) does not: an EPT violation that
 * the host reports as an access to memory that is not RAM.
 */
#include "kernel.h"

void guest_main(void)
{
	volatile unsigned long *beyond_ram = (volatile unsigned long *)0x2000000;

	printk("guest: reading guest-physical 0x2000000\n");
	printk("guest: read 0x%lx\n", *beyond_ram);
}
