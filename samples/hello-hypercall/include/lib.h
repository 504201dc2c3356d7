/*
 * lib.h - the freestanding C library both sides link: string functions and a small
 * vsnprintf (%d %i %u %x %p %s %c %%, flags '-' '0' '#', width, l/ll/z length), and
 * printk() over the console_write() each side provides.
 */
#ifndef HC_LIB_H
#define HC_LIB_H

#include <stdarg.h>
#include <stddef.h>

void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Provided by each side: host/printk.c (COM1, polled), guest/console.c (REP OUTSB). */
void console_write(const char *s, unsigned long len);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* HC_LIB_H */
