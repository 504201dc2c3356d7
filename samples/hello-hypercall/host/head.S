/*
 * head.S - host entry and exception stubs. The loader enters _start in 64-bit mode with
 * RSP = 0x80000 and RDI = &struct hc_boot_info (docs/platform.md), which is host_main's
 * first argument as it stands. Each exception stub pushes a dummy error code where the CPU
 * pushes none, then the vector, and joins host_exception() with a pointer to the frame.
 */
#include "hc_image_note.h"

	.section .text.entry, "ax"
	.globl	_start
	.type	_start, @function
_start:
	.cfi_startproc
	.cfi_undefined %rip		/* outermost frame: debuggers stop unwinding here */
	xor	%ebp, %ebp
	call	host_main
1:	cli
	hlt
	jmp	1b
	.cfi_endproc
	.size	_start, .-_start

	.text
/* Vectors that push an error code (SDM vol. 3A 6.13): 8, 10-14, 17, 21, 29, 30. */
.macro	EXC_STUB vector
	.globl	asm_exc_\vector
asm_exc_\vector:
	.if !(\vector == 8 || (\vector >= 10 && \vector <= 14) || \vector == 17 || \vector == 21 || \vector == 29 || \vector == 30)
	push	$0
	.endif
	push	$\vector
	jmp	exc_common
.endm

	.irp	v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	EXC_STUB \v
	.endr

exc_common:
	mov	%rsp, %rdi		/* struct exc_frame * */
	and	$-16, %rsp
	call	host_exception		/* never returns */
2:	cli
	hlt
	jmp	2b

	.section .rodata
	.globl	asm_exc_table
	.balign	8
asm_exc_table:
	.irp	v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	asm_exc_\v
	.endr

	HC_IMAGE_NOTE HC_NOTE_HOST		/* docs/platform.md: refused where a guest belongs */

	.section .note.GNU-stack,"",@progbits
