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

struct tss_struct {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t io_bitmap_base;
} __attribute__((packed));

struct idt_gate {
	uint16_t offset_low, selector;
	uint8_t ist, type_attr;
	uint16_t offset_mid;
	uint32_t offset_high, reserved;
};

extern const uint64_t asm_exc_table[32];

static struct tss_struct host_tss;
static struct idt_gate host_idt[32];

static const char *const exception_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "coprocessor overrun",
	"#TS", "#NP", "#SS", "#GP", "#PF", "reserved", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

void host_exception(const struct exc_frame *f)
{
	uint64_t cr2;

	asm volatile("mov %%cr2, %0" : "=r"(cr2));
	printk("hc-host: exception %s (vector %lu) in the host at rip 0x%lx, error code 0x%lx, cr2 0x%lx\n",
	       exception_names[f->vector] ? exception_names[f->vector] : "reserved", f->vector,
	       f->rip, f->error_code, cr2);
	power_off(HC_EXIT_HOST_FAULT);
}

void host_traps_init(void)
{
	struct desc_ptr gdt, idt = { sizeof(host_idt) - 1, (uintptr_t)host_idt };
	uint64_t base = (uintptr_t)&host_tss, limit = sizeof(host_tss) - 1;
	uint64_t *desc;
	int i;

	/* Available 64-bit TSS descriptor, 16 bytes (SDM vol. 3A 8.2.3). */
	host_tss.io_bitmap_base = sizeof(host_tss);
	store_gdt(&gdt);
	desc = (uint64_t *)(uintptr_t)(gdt.address + HOST_TSS_SELECTOR);
	desc[0] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ull << 40 |
		  ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	desc[1] = base >> 32;
	load_tr(HOST_TSS_SELECTOR);

	for (i = 0; i < 32; i++) {
		uint64_t handler = asm_exc_table[i];

		host_idt[i].offset_low = (uint16_t)handler;
		host_idt[i].selector = KERNEL_CS;
		host_idt[i].type_attr = 0x8e;	/* present, DPL 0, 64-bit interrupt gate */
		host_idt[i].offset_mid = (uint16_t)(handler >> 16);
		host_idt[i].offset_high = (uint32_t)(handler >> 32);
	}
	load_idt(&idt);
}
