/*
 * hc_platform.h - the platform contract of docs/platform.md in C: memory map constants,
 * I/O ports, struct hc_boot_info (what the loader hands the host) and struct
 * hc_trace_record (what the host hands the trace channel).
 */
#ifndef HC_PLATFORM_H
#define HC_PLATFORM_H

#include <stdint.h>

#define HC_BOOT_INFO_MAGIC	0x49424348u	/* "HCBI" */
#define HC_BOOT_INFO_VERSION	1

#define HC_PORT_COM1		0x3f8	/* host console (16550) */
#define HC_PORT_COM2		0x2f8	/* guest console (16550) */
#define HC_UART_LSR		5	/* line status register offset */
#define HC_UART_LSR_THRE	0x20	/* transmit holding register empty */
#define HC_PORT_TRACE		0x510	/* out32: host-physical address of a struct hc_trace_record */
#define HC_PORT_EXIT		0x501	/* out32: power off with this status */

/* Exit statuses the sample host writes to HC_PORT_EXIT (docs/sample.md). */
#define HC_EXIT_OK		0	/* the guest halted */
#define HC_EXIT_HOST_ERROR	1	/* no usable VMX, VMX instruction failure, failed VM entry */
#define HC_EXIT_TRIPLE_FAULT	2	/* the guest triple faulted */
#define HC_EXIT_UNEXPECTED	3	/* a VM exit the host does not handle, EPT violation outside RAM */
#define HC_EXIT_HOST_FAULT	4	/* an exception in the host itself */

struct hc_boot_info {
	uint32_t magic;
	uint32_t version;
	uint64_t mem_size;
	uint64_t free_base;
	uint64_t free_size;
	uint64_t guest_mem_base;	/* host-physical address of guest-physical 0 */
	uint64_t guest_mem_size;
	uint64_t guest_entry;
	uint64_t guest_rsp;
	uint64_t guest_cr3;
	uint64_t guest_gdt_base;
	uint32_t guest_gdt_limit;
	uint16_t guest_cs;
	uint16_t guest_ds;
	uint64_t guest_image_start;
	uint64_t guest_image_end;
};

enum hc_trace_event {
	HC_TRACE_KVM_ENTRY = 1,
	HC_TRACE_KVM_EXIT = 2,
	HC_TRACE_KVM_HYPERCALL = 3,
	HC_TRACE_PRINTK = 4,
};

struct hc_trace_record {
	uint32_t event;
	uint32_t vcpu;
	uint64_t ip;		/* host address that emitted the event */
	uint64_t func;		/* trace_printk: address of the caller's name */
	uint64_t str;		/* trace_printk: address of the formatted message */
	uint64_t args[6];
};

_Static_assert(sizeof(struct hc_boot_info) == 104, "struct hc_boot_info layout");
_Static_assert(sizeof(struct hc_trace_record) == 80, "struct hc_trace_record layout");

#endif /* HC_PLATFORM_H */
