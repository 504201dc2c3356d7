/*
 * string.c - the memory and string functions gcc may call even in freestanding code
 * (struct copies and initialisers), written as plain loops.
 */
#include <stdint.h>
#include "lib.h"

void *memset(void *s, int c, size_t n)
{
	unsigned char *p = s;
	uint64_t pattern = 0x0101010101010101ull * (unsigned char)c;

	/* Whole aligned quadwords first: the host clears 4 KiB pages with this. */
	for (; n && ((uintptr_t)p & 7); n--)
		*p++ = (unsigned char)c;
	for (; n >= 8; n -= 8, p += 8)
		*(uint64_t *)p = pattern;
	while (n--)
		*p++ = (unsigned char)c;
	return s;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}
