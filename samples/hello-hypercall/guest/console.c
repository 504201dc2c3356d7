/*
 * console.c - the guest kernel's console: COM1 at 0x3f8, whose LSR always reads ready on this
 * platform, so bytes go straight to the transmit register (each OUT is one VM exit).
 */
#include <stdarg.h>
#include "hc_platform.h"
#include "kernel.h"
#include "lib.h"
#include "x86.h"

void console_write(const char *s, unsigned long len)
{
	while (len--)
		outb(HC_PORT_COM1, (uint8_t)*s++);
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
