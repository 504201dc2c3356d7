/*
 * entry.S - the guest kernel's ways in and out of CPL 3, after Linux arch/x86/entry/entry_64.S:
 * the SYSCALL entry (LSTAR), the exception stubs (IDT) and the first drop to user mode. Both
 * entries build a struct pt_regs (kernel.h) on the kernel stack and call C with it.
 */
#define __USER_DS	0x23
#define __USER_CS	0x2b
#define ENOSYS		38

/* Push the GPRs below orig_ax in struct pt_regs order (DI first, R15 last), RAX = \rax. */
.macro PUSH_REGS_AFTER_DI rax=%rax
	push	%rsi
	push	%rdx
	push	%rcx
	pushq	\rax
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
.endm

	.text
/*
 * SYSCALL from CPL 3: RCX = user RIP, R11 = user RFLAGS, RSP still the user's (SDM vol. 2B).
 * One CPU and no preemption, so a single scratch slot holds the user RSP until it is pushed.
 */
	.globl	entry_SYSCALL_64
	.type	entry_SYSCALL_64, @function
entry_SYSCALL_64:
	mov	%rsp, user_rsp_scratch(%rip)
	lea	kernel_stack_top(%rip), %rsp
	pushq	$__USER_DS			/* pt_regs->ss */
	pushq	user_rsp_scratch(%rip)		/* pt_regs->sp */
	push	%r11				/* pt_regs->flags */
	pushq	$__USER_CS			/* pt_regs->cs */
	push	%rcx				/* pt_regs->ip */
	push	%rax				/* pt_regs->orig_ax */
	push	%rdi
	PUSH_REGS_AFTER_DI rax=$-ENOSYS

	mov	%rsp, %rdi			/* struct pt_regs *regs */
	movslq	%eax, %rsi			/* int nr */
	call	do_syscall_64

	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rax				/* the return value do_syscall_64 stored */
	pop	%rcx
	pop	%rdx
	pop	%rsi
	pop	%rdi
	add	$8, %rsp			/* orig_ax */
	pop	%rcx				/* ip, for SYSRET */
	add	$8, %rsp			/* cs */
	pop	%r11				/* flags, for SYSRET */
	pop	%rsp				/* sp */
	sysretq
	.size	entry_SYSCALL_64, .-entry_SYSCALL_64

/*
 * Exception stubs: the CPU pushed SS, RSP, RFLAGS, CS, RIP and for some vectors an error
 * code (SDM vol. 3A 6.13), which lands in orig_ax; the others push -1 there.
 */
.macro	EXC_STUB vector
asm_exc_\vector:
	.if !(\vector == 8 || (\vector >= 10 && \vector <= 14) || \vector == 17 || \vector == 21 || \vector == 29 || \vector == 30)
	pushq	$-1
	.endif
	push	%rdi
	mov	$\vector, %edi
	jmp	exc_common
.endm

	.irp	v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	EXC_STUB \v
	.endr

exc_common:
	PUSH_REGS_AFTER_DI
	mov	%edi, %esi			/* int vector */
	mov	%rsp, %rdi			/* struct pt_regs *regs */
	call	do_exception			/* reports and halts */
1:	cli
	hlt
	jmp	1b

/* void enter_user(void (*entry)(void), void *stack_top): IRETQ to CPL 3, interrupts off. */
	.globl	enter_user
	.type	enter_user, @function
enter_user:
	pushq	$__USER_DS			/* SS */
	push	%rsi				/* RSP */
	pushq	$0x2				/* RFLAGS: IF = 0, IOPL = 0 */
	pushq	$__USER_CS			/* CS */
	push	%rdi				/* RIP */
	iretq
	.size	enter_user, .-enter_user

	.section .rodata
	.globl	asm_exc_table
	.balign	8
asm_exc_table:
	.irp	v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	asm_exc_\v
	.endr

	.bss
	.balign	8
user_rsp_scratch:
	.skip	8

	.section .note.GNU-stack,"",@progbits
