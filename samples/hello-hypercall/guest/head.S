/*
 * head.S - guest kernel entry. The host enters _start in 64-bit mode at CPL 0 with the
 * loader's GDT and page tables (docs/platform.md); the kernel moves to its own stack and
 * calls start_kernel(), which does not return.
 */
	.section .text.entry, "ax"
	.globl	_start
	.type	_start, @function
_start:
	.cfi_startproc
	.cfi_undefined %rip
	lea	kernel_stack_top(%rip), %rsp
	xor	%ebp, %ebp
	call	start_kernel
1:	cli
	hlt
	jmp	1b
	.cfi_endproc
	.size	_start, .-_start

	.bss
	.balign	16
	.globl	kernel_stack
kernel_stack:
	.skip	16384
	.globl	kernel_stack_top
kernel_stack_top:

/* The image-role note (docs/platform.md): tells the loader this is a guest image, so it is
 * refused where the other image belongs. Not allocated: it occupies no memory. */
	.section .note.hypercall, "", @note
	.balign	4
	.long	2f - 1f			/* namesz */
	.long	0			/* descsz */
	.long	2			/* NT_HC_GUEST */
1:	.asciz	"Hypercall"
2:	.balign	4

	.section .note.GNU-stack,"",@progbits
