/*
 * main.c - test guest: every hypercall number, the string hypercall with good and bad
 * buffers, hypercalls from compatibility mode and from CPL 3. Each result is one console
 * line "<case>: <RAX as 0x%016lx>" so test/sample/ can compare it with real KVM's.
 */
#include "hc_platform.h"
#include "kernel.h"
#include "kvm_para.h"
#include "lib.h"
#include "unistd.h"
#include "x86.h"

/* compat.S: VMCALL from a 32-bit code segment with the registers as given, RAX returned. */
unsigned long compat_hypercall(unsigned long nr, unsigned long a0, unsigned long a1,
			       unsigned long a2, unsigned long a3);

/* kvm_hypercall4() with a 64-bit number (the kvm_para.h helpers take an unsigned int, as Linux's do). */
static unsigned long long_hypercall(unsigned long nr, unsigned long a0, unsigned long a1,
				    unsigned long a2, unsigned long a3)
{
	unsigned long ret;

	asm volatile(KVM_HYPERCALL : "=a"(ret) : "a"(nr), "b"(a0), "c"(a1), "d"(a2), "S"(a3) : "memory");
	return ret;
}

static char user_stack[8192] __attribute__((aligned(16)));
static char buf[64];

static void report(const char *what, unsigned long nr, unsigned long rax)
{
	printk("%s 0x%lx: 0x%016lx\n", what, nr, rax);
}

/* The numbers real-kvm-6.1.md lists, then the sample's own. a0..a3 as in that capture. */
static const unsigned long numbers[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 100, 0x4b480001,
	KVM_HC_HELLO_HYPERCALL,
};

static void string_case(const char *what, unsigned long gpa, unsigned long len)
{
	long n;

	memset(buf, 0, sizeof(buf));
	n = kvm_hypercall2(KVM_HC_HELLO_STRING, gpa, len);
	printk("string %s: 0x%016lx \"%s\"\n", what, (unsigned long)n, buf);
}

static void user_tests(void)
{
	char line[80];
	long ret = kvm_hypercall4(KVM_HC_SCHED_YIELD, 0x11, 0x22, 0x33, 0x44);
	int n = snprintf(line, sizeof(line), "cpl3 0x%x: 0x%016lx\n", KVM_HC_SCHED_YIELD, (unsigned long)ret);

	write(1, line, (unsigned long)n);
	ret = kvm_hypercall2(KVM_HC_HELLO_STRING, (unsigned long)buf, sizeof(buf));
	n = snprintf(line, sizeof(line), "cpl3 0x%x: 0x%016lx\n", KVM_HC_HELLO_STRING, (unsigned long)ret);
	write(1, line, (unsigned long)n);
	exit(0);
}

/* The KVM paravirtual CPUID leaves and what the host hides or adds in leaf 1. */
static void cpuid_tests(void)
{
	uint32_t a, b, c, d;
	char sig[13];

	cpuid_count(KVM_CPUID_SIGNATURE, 0, &a, &b, &c, &d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = 0;
	printk("cpuid 0x40000000: eax 0x%x signature \"%s\" edx 0x%x\n", a, sig, d);
	cpuid_count(KVM_CPUID_FEATURES, 0, &a, &b, &c, &d);
	printk("cpuid 0x40000001: eax 0x%x\n", a);
	cpuid_count(1, 0, &a, &b, &c, &d);
	printk("cpuid 1: vmx %u hypervisor %u\n", (c >> 5) & 1, (c >> 31) & 1);
}

/* What the host's handle_io and CR4 read shadow show the guest. */
static void platform_tests(void)
{
	printk("io: lsr 0x%x, unclaimed port 0x%x\n", inb(HC_PORT_COM1 + HC_UART_LSR), inb(0x80));
	printk("cr4: 0x%lx\n", read_cr4());
	{
		static const char text[] = "outs\n";
		const char *rsi = text;
		unsigned long rcx = sizeof(text) - 1;

		asm volatile("rep outsb" : "+S"(rsi), "+c"(rcx) : "d"(HC_PORT_COM1) : "memory");
		printk("rep outsb: rsi +%ld, rcx %lu\n", (long)(rsi - text), rcx);
	}
}

void guest_main(void)
{
	unsigned i;
	const unsigned long high = 0xabcd123400000000ul;

	cpuid_tests();
	platform_tests();

	for (i = 0; i < ARRAY_SIZE(numbers); i++)
		report("hc", numbers[i], kvm_hypercall4(numbers[i], 0x11, 0x22, 0x33, 0x44));

	string_case("ok", (unsigned long)buf, sizeof(buf));
	string_case("exact", (unsigned long)buf, 11);
	string_case("short", (unsigned long)buf, 10);
	string_case("beyond-ram", 0x1000000, 16);		/* guest RAM is 16 MiB */
	string_case("straddles-end", 0xfffff8, 16);
	string_case("far", 0x40000000, 16);
	string_case("wraps", 0xfffffffffffffff0ul, 0x20);

	/* Same registers in 64-bit mode and in compatibility mode: only the latter masks. */
	report("long", high | KVM_HC_SCHED_YIELD,
	       long_hypercall(high | KVM_HC_SCHED_YIELD, high | 1, high | 2, high | 3, high | 4));
	report("compat", high | KVM_HC_SCHED_YIELD,
	       compat_hypercall(high | KVM_HC_SCHED_YIELD, high | 1, high | 2, high | 3, high | 4));
	report("compat", high | 0, compat_hypercall(high | 0, 0x11, 0x22, 0x33, 0x44));
	memset(buf, 0, sizeof(buf));
	report("compat", high | KVM_HC_HELLO_STRING,
	       compat_hypercall(high | KVM_HC_HELLO_STRING, high | (unsigned long)buf, high | sizeof(buf), 0, 0));
	printk("compat buffer: \"%s\"\n", buf);

	enter_user(user_tests, user_stack + sizeof(user_stack));
}
