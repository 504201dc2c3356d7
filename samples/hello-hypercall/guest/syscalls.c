/*
 * syscalls.c - the system call table and the calls behind it, after Linux
 * arch/x86/entry/syscall_64.c: do_syscall_64() indexes sys_call_table[] with the number from
 * RAX; each entry unpacks its arguments from struct pt_regs (RDI, RSI, RDX, R10, R8, R9).
 */
#include "kernel.h"
#include "kvm_para.h"
#include "lib.h"
#include "x86.h"

typedef long (*sys_call_ptr_t)(const struct pt_regs *regs);

/* write(fd, buf, count): fd 1 and 2 are the serial console. */
static long sys_write(int fd, const char *buf, unsigned long count)
{
	if (fd != 1 && fd != 2)
		return -EFAULT;
	console_write(buf, count);
	return (long)count;
}

static __attribute__((noreturn)) long sys_exit(int status)
{
	printk("guest: user program exited with status %d, halting\n", status);
	halt_forever();		/* interrupts are off: the host's handle_halt ends the VM */
}

/* System call 332, as in the 2017 patch: one hypercall, whose effect is on the host side. */
static long sys_hello_hypercall(void)
{
	kvm_hypercall0(KVM_HC_HELLO_HYPERCALL);
	return 0;
}

/*
 * System call 333: the string comes back from the host into a kernel buffer (guest-physical
 * = linear here, so its address is what the host wants) and is copied to the user's.
 */
static long sys_hello_string(char *ubuf, unsigned long len)
{
	static char kbuf[64];
	long n = kvm_hypercall2(KVM_HC_HELLO_STRING, (unsigned long)kbuf, sizeof(kbuf));

	if (n < 0)
		return n;
	if ((unsigned long)n > len)
		n = (long)len;
	memcpy(ubuf, kbuf, (unsigned long)n);
	return n;
}

static long __x64_sys_ni_syscall(const struct pt_regs *regs)
{
	(void)regs;
	return -ENOSYS;
}

static long __x64_sys_write(const struct pt_regs *regs)
{
	return sys_write((int)regs->di, (const char *)regs->si, regs->dx);
}

static long __x64_sys_exit(const struct pt_regs *regs)
{
	return sys_exit((int)regs->di);
}

static long __x64_sys_hello_hypercall(const struct pt_regs *regs)
{
	(void)regs;
	return sys_hello_hypercall();
}

static long __x64_sys_hello_string(const struct pt_regs *regs)
{
	return sys_hello_string((char *)regs->di, regs->si);
}

/* The range default is overridden on purpose, as in Linux (which builds this file with -Wno-override-init). */
#pragma GCC diagnostic ignored "-Woverride-init"
static const sys_call_ptr_t sys_call_table[NR_syscalls] = {
	[0 ... NR_syscalls - 1]	= __x64_sys_ni_syscall,
	[__NR_write]		= __x64_sys_write,
	[__NR_exit]		= __x64_sys_exit,
	[__NR_hello_hypercall]	= __x64_sys_hello_hypercall,
	[__NR_hello_string]	= __x64_sys_hello_string,
};

/* Called from entry_SYSCALL_64 with the user's registers saved in *regs. */
void do_syscall_64(struct pt_regs *regs, int nr)
{
	if ((unsigned int)nr < NR_syscalls)
		regs->ax = sys_call_table[nr](regs);
}
