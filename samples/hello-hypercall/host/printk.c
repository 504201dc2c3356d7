/*
 * printk.c - the host console on COM1, a 16550 whose transmitter is polled through LSR:
 * console_write() for lib/printk.c.
 */
#include "hc_platform.h"
#include "lib.h"
#include "x86.h"

static void serial_putc(char c)
{
	while (!(inb(HC_PORT_COM1 + HC_UART_LSR) & HC_UART_LSR_THRE))
		;
	outb(HC_PORT_COM1, (uint8_t)c);
}

void console_write(const char *s, unsigned long len)
{
	while (len--)
		serial_putc(*s++);
}
