/*
 * main.c - test guest: INSB, a string input the host does not emulate, so its handle_io
 * reports an unexpected VM exit and the machine stops with status 3.
 */
#include "hc_platform.h"
#include "kernel.h"

void guest_main(void)
{
	static char buf[4];
	char *rdi = buf;

	printk("guest: insb from COM1\n");
	asm volatile("insb" : "+D"(rdi) : "d"(HC_PORT_COM1) : "memory");
	printk("guest: insb returned\n");
}
