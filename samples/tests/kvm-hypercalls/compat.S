/*
 * compat.S - unsigned long compat_hypercall(nr, a0, a1, a2, a3): load RAX, RBX, RCX, RDX,
 * RSI in 64-bit mode, far-return into the 32-bit code segment __KERNEL32_CS (compatibility
 * mode, CPL 0), VMCALL there (VMMCALL on AMD, kvm_para.h), and far-return back to 64-bit mode.
 * The upper register halves are left as loaded, so the host sees them and must mask them
 * (is_64_bit_hypercall).
 */
#include "kvm_para.h"

#define __KERNEL_CS	0x08
#define __KERNEL32_CS	0x40

	.text
	.globl	compat_hypercall
	.type	compat_hypercall, @function
compat_hypercall:
	push	%rbx
	mov	%rdi, %rax		/* nr */
	mov	%rsi, %rbx		/* a0 */
	mov	%rcx, %r9
	mov	%rdx, %rcx		/* a1 */
	mov	%r9, %rdx		/* a2 */
	mov	%r8, %rsi		/* a3 */
	pushq	$__KERNEL32_CS
	lea	1f(%rip), %r10
	push	%r10
	lretq
	.code32
1:	KVM_HYPERCALL_INSN
	pushl	$__KERNEL_CS		/* and back with a 32-bit far return */
	pushl	$2f
	lret
	.code64
2:	pop	%rbx
	ret
	.size	compat_hypercall, .-compat_hypercall

	.section .note.GNU-stack,"",@progbits
