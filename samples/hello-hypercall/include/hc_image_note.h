/*
 * hc_image_note.h - the image-role note of docs/platform.md, for assembly sources: an
 * SHT_NOTE entry with owner "Hypercall" whose type tells the loader whether the image is a
 * host or a guest, so it can refuse one given in place of the other. The section is not
 * allocated: it occupies no memory.
 */
#ifndef HC_IMAGE_NOTE_H
#define HC_IMAGE_NOTE_H

#define HC_NOTE_HOST	1
#define HC_NOTE_GUEST	2

.macro	HC_IMAGE_NOTE type
	.pushsection .note.hypercall, "", @note
	.balign	4
	.long	2f - 1f			/* namesz */
	.long	0			/* descsz */
	.long	\type
1:	.asciz	"Hypercall"
2:	.balign	4
	.popsection
.endm

#endif /* HC_IMAGE_NOTE_H */
