/*
 * console.c - the guest kernel's console: COM1 at 0x3f8, whose LSR always reads ready on this
 * platform, so a whole string goes to the transmit register with one REP OUTSB (one VM exit,
 * where a byte-at-a-time OUT loop would take one exit per byte).
 */
#include <stdarg.h>
#include "hc_platform.h"
#include "kernel.h"
#include "lib.h"

void console_write(const char *s, unsigned long len)
{
	if (len)
		asm volatile("rep outsb" : "+S"(s), "+c"(len) : "d"(HC_PORT_COM1) : "memory");
}

void printk(const char *fmt, ...)
{
	static char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_write(buf, n < (int)sizeof(buf) ? (unsigned long)n : sizeof(buf) - 1);
}
