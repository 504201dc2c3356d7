/*
 * kernel.h - what the guest kernel's pieces share: segment selectors, struct pt_regs,
 * the console, syscall numbers and the hook an image provides (guest_main).
 */
#ifndef GUEST_KERNEL_H
#define GUEST_KERNEL_H

#include <stdint.h>
#include "lib.h"

/* GDT layout: the loader's (the one SYSCALL/SYSRET need, see STAR) plus a 32-bit kernel code segment. */
#define __KERNEL_CS		0x08
#define __KERNEL_DS		0x10
#define __USER32_CS		0x1b	/* 0x18 | RPL 3 */
#define __USER_DS		0x23	/* 0x20 | RPL 3 */
#define __USER_CS		0x2b	/* 0x28 | RPL 3 */
#define GDT_TSS_SELECTOR	0x30
#define __KERNEL32_CS		0x40	/* compatibility-mode code, DPL 0 */

/* System call numbers (arch/x86/entry/syscalls/syscall_64.tbl; 332/333 are this sample's). */
#define __NR_write		1
#define __NR_exit		60
#define __NR_hello_hypercall	332
#define __NR_hello_string	333
#define NR_syscalls		334

#define ENOSYS			38
#define EFAULT			14

/* The registers a system call or exception saved, in Linux's order (arch/x86/include/asm/ptrace.h). */
struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx;
	unsigned long r11, r10, r9, r8, ax, cx, dx, si, di;
	unsigned long orig_ax;	/* syscall number, or the exception's error code (-1 if none) */
	unsigned long ip, cs, flags, sp, ss;
};

/* console.c: console_write(), under lib/printk.c's printk() (both declared in lib.h) */

/* traps.c */
void trap_init(void);
void apply_hypercall_alternatives(void);

/* entry.S */
void entry_SYSCALL_64(void);
__attribute__((noreturn)) void enter_user(void (*entry)(void), void *stack_top);

/* The image's own start: runs at CPL 0 once the kernel is set up. */
void guest_main(void);

#endif /* GUEST_KERNEL_H */
