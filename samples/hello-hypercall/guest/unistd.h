/*
 * unistd.h - the user program's side of the system call ABI: SYSCALL with the number in RAX
 * and arguments in RDI, RSI, RDX; the kernel clobbers RCX and R11 (SDM vol. 2B SYSCALL).
 */
#ifndef GUEST_UNISTD_H
#define GUEST_UNISTD_H

#include "kernel.h"

static inline long syscall3(long nr, long a1, long a2, long a3)
{
	long ret;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "a"(nr), "D"(a1), "S"(a2), "d"(a3)
		     : "rcx", "r11", "memory");
	return ret;
}

static inline long write(int fd, const void *buf, unsigned long len)
{
	return syscall3(__NR_write, fd, (long)buf, (long)len);
}

static inline __attribute__((noreturn)) void exit(int status)
{
	syscall3(__NR_exit, status, 0, 0);
	__builtin_unreachable();
}

/* printf for CPL 3: formats in user memory, then write(1, ...). */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* GUEST_UNISTD_H */
