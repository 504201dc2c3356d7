/*
 * printk.h - the host's console: printk() formats with vsnprintf and writes COM1 (0x3f8).
 */
#ifndef HC_PRINTK_H
#define HC_PRINTK_H

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_write(const char *s, unsigned long len);

#endif /* HC_PRINTK_H */
