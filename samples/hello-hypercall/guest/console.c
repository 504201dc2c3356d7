/*
 * console.c - the guest kernel's console: COM1 at 0x3f8, whose LSR always reads ready on this
 * platform, so a whole string goes to the transmit register with one REP OUTSB (one VM exit,
 * where a byte-at-a-time OUT loop would take one exit per byte).
 */
#include "hc_platform.h"
#include "kernel.h"
#include "lib.h"

void console_write(const char *s, unsigned long len)
{
	if (len)
		asm volatile("rep outsb" : "+S"(s), "+c"(len) : "d"(HC_PORT_COM1) : "memory");
}
