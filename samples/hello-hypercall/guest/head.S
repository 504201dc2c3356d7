/*
 * head.S - guest kernel entry. The host enters _start in 64-bit mode at CPL 0 with the
 * loader's GDT and page tables (docs/platform.md); the kernel moves to its own stack and
 * calls start_kernel(), which does not return.
 */
#include "hc_image_note.h"

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

	HC_IMAGE_NOTE HC_NOTE_GUEST		/* docs/platform.md: refused where a host belongs */

	.section .note.GNU-stack,"",@progbits
