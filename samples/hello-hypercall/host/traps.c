/*
 * traps.c - the host's own descriptor tables: a TSS in the loader's GDT slot 0x18 (VM exit
 * needs a non-zero host TR, SDM 26.2.3) and an IDT whose every exception reports itself on
 * the console and powers the machine off, so a host bug ends with a message, not a reset.
 */
#include <stdint.h>
#include "hc_platform.h"
#include "host.h"
#include "lib.h"
#include "x86.h"

#define HOST_TSS_SELECTOR	0x18
#define KERNEL_CS		0x08

struct exc_frame {
	uint64_t vector, error_code, rip, cs, rflags, rsp, ss;
};

extern const uint64_t asm_exc_table[32];

static struct tss_struct host_tss;
static struct idt_gate host_idt[32];

void host_exception(const struct exc_frame *f)
{
	uint64_t cr2;

	asm volatile("mov %%cr2, %0" : "=r"(cr2));
	printk("hc-host: exception %s (vector %lu) in the host at rip 0x%lx, error code 0x%lx, cr2 0x%lx\n",
	       exception_name(f->vector), f->vector,
	       f->rip, f->error_code, cr2);
	power_off(HC_EXIT_HOST_FAULT);
}

void host_traps_init(void)
{
	struct desc_ptr gdt, idt = { sizeof(host_idt) - 1, (uintptr_t)host_idt };
	int i;

	host_tss.io_bitmap_base = sizeof(host_tss);
	store_gdt(&gdt);
	set_tss_desc((uint64_t *)(uintptr_t)(gdt.address + HOST_TSS_SELECTOR), &host_tss);
	load_tr(HOST_TSS_SELECTOR);

	for (i = 0; i < 32; i++)
		set_intr_gate(&host_idt[i], asm_exc_table[i], KERNEL_CS);
	load_idt(&idt);
}
