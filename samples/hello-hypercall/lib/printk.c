/*
 * printk.c - printk() for both sides: formats with vsnprintf into a static buffer and hands
 * the text to console_write(), which each side provides for its own console.
 */
#include <stdarg.h>
#include "lib.h"

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
