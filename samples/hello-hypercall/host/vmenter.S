/*
 * vmenter.S - the world switch, after Linux arch/x86/kvm/vmx/vmenter.S.
 *
 * int __vmx_vcpu_run(unsigned long *regs, bool launched)
 *
 * Saves the host's callee-saved registers, points HOST_RSP at this frame, loads the guest
 * GPRs from regs[] (RSP and RIP come from the VMCS) and executes VMLAUNCH or VMRESUME.
 * Returns 1 if the instruction VMfailed. On a VM exit the CPU resumes at vmx_vmexit
 * (HOST_RIP) with RSP = HOST_RSP and the guest's GPRs still in the registers: they are
 * stored to regs[], the host registers are restored and 0 is returned.
 */
#define VMCS_HOST_RSP	0x6c14

/* Offsets of vcpu->arch.regs[] entries (enum kvm_reg). */
#define VCPU_RAX	0*8
#define VCPU_RCX	1*8
#define VCPU_RDX	2*8
#define VCPU_RBX	3*8
#define VCPU_RBP	5*8
#define VCPU_RSI	6*8
#define VCPU_RDI	7*8
#define VCPU_R8		8*8
#define VCPU_R9		9*8
#define VCPU_R10	10*8
#define VCPU_R11	11*8
#define VCPU_R12	12*8
#define VCPU_R13	13*8
#define VCPU_R14	14*8
#define VCPU_R15	15*8

	.text
	.globl	__vmx_vcpu_run
	.type	__vmx_vcpu_run, @function
__vmx_vcpu_run:
	.cfi_startproc
	push	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbp, 0
	push	%r15
	.cfi_adjust_cfa_offset 8
	push	%r14
	.cfi_adjust_cfa_offset 8
	push	%r13
	.cfi_adjust_cfa_offset 8
	push	%r12
	.cfi_adjust_cfa_offset 8
	push	%rbx
	.cfi_adjust_cfa_offset 8
	/* regs, found again at (%rsp) after the exit */
	push	%rdi
	.cfi_adjust_cfa_offset 8

	/* HOST_RSP = this frame; VMWRITE field, value in AT&T order is value, field. */
	mov	$VMCS_HOST_RSP, %eax
	vmwrite	%rsp, %rax
	jbe	.Lvmfail

	/* ZF for the launched test, before the GPR loads (MOV leaves the flags alone). */
	test	%sil, %sil

	mov	%rdi, %rax
	mov	VCPU_RCX(%rax), %rcx
	mov	VCPU_RDX(%rax), %rdx
	mov	VCPU_RBX(%rax), %rbx
	mov	VCPU_RBP(%rax), %rbp
	mov	VCPU_RSI(%rax), %rsi
	mov	VCPU_RDI(%rax), %rdi
	mov	VCPU_R8(%rax), %r8
	mov	VCPU_R9(%rax), %r9
	mov	VCPU_R10(%rax), %r10
	mov	VCPU_R11(%rax), %r11
	mov	VCPU_R12(%rax), %r12
	mov	VCPU_R13(%rax), %r13
	mov	VCPU_R14(%rax), %r14
	mov	VCPU_R15(%rax), %r15
	mov	VCPU_RAX(%rax), %rax

	jnz	.Lvmresume
	vmlaunch
	jmp	.Lvmfail
.Lvmresume:
	vmresume
	/* Falling through means VMfailInvalid (CF) or VMfailValid (ZF): still the host. */
.Lvmfail:
	mov	$1, %eax
	jmp	.Lout

	.globl	vmx_vmexit
vmx_vmexit:
	/* RSP = HOST_RSP: (%rsp) is regs. Keep the guest RAX while RAX points at regs. */
	push	%rax
	.cfi_adjust_cfa_offset 8
	mov	8(%rsp), %rax
	mov	%rcx, VCPU_RCX(%rax)
	mov	%rdx, VCPU_RDX(%rax)
	mov	%rbx, VCPU_RBX(%rax)
	mov	%rbp, VCPU_RBP(%rax)
	mov	%rsi, VCPU_RSI(%rax)
	mov	%rdi, VCPU_RDI(%rax)
	mov	%r8, VCPU_R8(%rax)
	mov	%r9, VCPU_R9(%rax)
	mov	%r10, VCPU_R10(%rax)
	mov	%r11, VCPU_R11(%rax)
	mov	%r12, VCPU_R12(%rax)
	mov	%r13, VCPU_R13(%rax)
	mov	%r14, VCPU_R14(%rax)
	mov	%r15, VCPU_R15(%rax)
	pop	%rcx
	.cfi_adjust_cfa_offset -8
	mov	%rcx, VCPU_RAX(%rax)
	xor	%eax, %eax

.Lout:
	/* RSP is HOST_RSP here on both paths: the host registers are right above it. */
	add	$8, %rsp		/* regs */
	.cfi_adjust_cfa_offset -8
	pop	%rbx
	.cfi_adjust_cfa_offset -8
	pop	%r12
	.cfi_adjust_cfa_offset -8
	pop	%r13
	.cfi_adjust_cfa_offset -8
	pop	%r14
	.cfi_adjust_cfa_offset -8
	pop	%r15
	.cfi_adjust_cfa_offset -8
	pop	%rbp
	.cfi_adjust_cfa_offset -8
	.cfi_restore %rbp
	ret
	.cfi_endproc
	.size	__vmx_vcpu_run, .-__vmx_vcpu_run

	.section .note.GNU-stack,"",@progbits
