/*
 * vsnprintf.c - a tiny vsnprintf for the host's printk/trace_printk and the guest's console.
 * Like the C library's: always NUL-terminates when size > 0 and returns the length the
 * whole output would have had.
 */
#include <stdint.h>
#include "lib.h"

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_number(struct out *o, uint64_t v, int negative, unsigned base, int width,
		       int zero_pad, int left, const char *prefix)
{
	char digits[24];
	int n = 0, plen = (int)strlen(prefix) + negative;

	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);

	width -= n + plen;
	if (!left && !zero_pad)
		for (; width > 0; width--)
			put(o, ' ');
	if (negative)
		put(o, '-');
	while (*prefix)
		put(o, *prefix++);
	if (!left && zero_pad)
		for (; width > 0; width--)
			put(o, '0');
	while (n)
		put(o, digits[--n]);
	for (; width > 0; width--)
		put(o, ' ');
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		int zero_pad = 0, left = 0, alt = 0, width = 0, longs = 0;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		for (fmt++;; fmt++) {
			if (*fmt == '0')
				zero_pad = 1;
			else if (*fmt == '-')
				left = 1;
			else if (*fmt == '#')
				alt = 1;
			else
				break;
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + (*fmt - '0');
		for (; *fmt == 'l' || *fmt == 'z'; fmt++)
			longs++;

		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
			uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;

			put_number(&o, mag, v < 0, 10, width, zero_pad, left, "");
			break;
		}
		case 'u':
		case 'x': {
			uint64_t v = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int);

			put_number(&o, v, 0, *fmt == 'u' ? 10 : 16, width, zero_pad, left,
				   alt && *fmt == 'x' ? "0x" : "");
			break;
		}
		case 'p':
			put_number(&o, (uintptr_t)va_arg(ap, void *), 0, 16, width, zero_pad, left, "0x");
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			int n;

			if (!s)
				s = "(null)";
			n = (int)strlen(s);
			if (!left)
				for (; width > n; width--)
					put(&o, ' ');
			while (*s)
				put(&o, *s++);
			for (; width > n; width--)
				put(&o, ' ');
			break;
		}
		case '%':
			put(&o, '%');
			break;
		case '\0':
			fmt--;
			break;
		default:	/* unknown conversion: show it rather than guess */
			put(&o, '%');
			put(&o, *fmt);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
