/*
 * hcvmm.c - a minimal VMM on Linux's /dev/kvm (ioctl API, in the style of KVM's selftests) that
 * gives a guest ELF the platform contract of docs/platform.md: PT_LOAD segments at their
 * guest-physical addresses in 16 MiB of guest RAM, the loader's GDT, page tables and stack,
 * 64-bit entry at CPL 0, the guest console on its COM1 (0x3f8, forwarded to stdout, as the
 * sample host forwards it to the machine's COM2), and the guest's HLT ending the run.
 *
 *   hcvmm [--trace <file>] [--timeout-ms <n>] <guest.elf>   run one guest
 *   hcvmm --probe                                            does /dev/kvm answer a hypercall within 1 s?
 *
 * With --trace it enables the kvm:kvm_entry, kvm:kvm_exit and kvm:kvm_hypercall events in
 * tracefs for the run and copies /sys/kernel/tracing/trace (trace_printk lines included) to
 * <file>. Exit status: 0 guest halted, 1 any other end of the guest (one sentence on stderr),
 * 2 bad usage or bad ELF, 3 KVM unusable, 4 timeout.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define GUEST_RAM_SIZE		(16ul << 20)
#define GUEST_IMAGE_START	0x100000ul
#define GUEST_GDT		0x1000ul
#define GUEST_PML4		0x2000ul
#define GUEST_PDPT		0x3000ul
#define GUEST_PD		0x4000ul
#define GUEST_STACK_TOP		0x80000ul
#define GUEST_GDT_LIMIT		0x3f
#define GUEST_CS		0x08
#define GUEST_DS		0x10
#define PORT_COM1		0x3f8
#define UART_LSR		5

#define CR0_PE	(1ul << 0)
#define CR0_MP	(1ul << 1)
#define CR0_ET	(1ul << 4)
#define CR0_NE	(1ul << 5)
#define CR0_WP	(1ul << 16)
#define CR0_PG	(1ul << 31)
#define CR4_PAE	(1ul << 5)
#define EFER_SCE (1ul << 0)
#define EFER_LME (1ul << 8)
#define EFER_LMA (1ul << 10)

#define TRACEFS "/sys/kernel/tracing"

enum { EXIT_HALTED = 0, EXIT_GUEST = 1, EXIT_USAGE = 2, EXIT_KVM = 3, EXIT_TIMEOUT = 4 };

static const char *guest_name = "guest";
static volatile sig_atomic_t timed_out;

static void __attribute__((noreturn, format(printf, 2, 3))) die(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("hcvmm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

struct vm {
	int kvm, fd, vcpu;
	uint8_t *ram;
	struct kvm_run *run;
};

/* ---- the guest image (docs/platform.md "Loader checks", the guest half) ---- */

static uint64_t load_elf(uint8_t *ram, const char *path)
{
	struct stat st;
	Elf64_Ehdr eh;
	uint8_t *img;
	int fd, i, loads = 0;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0)
		die(EXIT_USAGE, "cannot read %s: %s.", path, strerror(errno));
	img = mmap(NULL, st.st_size ? st.st_size : 1, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (img == MAP_FAILED)
		die(EXIT_USAGE, "cannot map %s: %s.", path, strerror(errno));
	if ((size_t)st.st_size < sizeof(eh) || memcmp(img, ELFMAG, SELFMAG))
		die(EXIT_USAGE, "%s is not an ELF file.", guest_name);
	memcpy(&eh, img, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_X86_64 || eh.e_type != ET_EXEC)
		die(EXIT_USAGE, "%s is not an x86-64 ELF64 executable.", guest_name);
	if (eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > (uint64_t)st.st_size)
		die(EXIT_USAGE, "%s is truncated (program headers).", guest_name);
	for (i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_paddr < GUEST_IMAGE_START || ph.p_memsz > GUEST_RAM_SIZE ||
		    ph.p_paddr > GUEST_RAM_SIZE - ph.p_memsz || ph.p_filesz > ph.p_memsz)
			die(EXIT_USAGE, "%s has a segment at 0x%lx outside the guest image range 0x100000-0xffffff.",
			    guest_name, (unsigned long)ph.p_paddr);
		if (ph.p_offset + ph.p_filesz > (uint64_t)st.st_size)
			die(EXIT_USAGE, "%s is truncated (segment data).", guest_name);
		memcpy(ram + ph.p_paddr, img + ph.p_offset, ph.p_filesz);
		memset(ram + ph.p_paddr + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
		loads++;
	}
	if (!loads)
		die(EXIT_USAGE, "%s has no PT_LOAD segment.", guest_name);
	munmap(img, st.st_size ? st.st_size : 1);
	return eh.e_entry;
}

/* The loader's GDT and identity page tables, byte for byte (emulator/loader/boot.ts). */
static void build_guest_tables(uint8_t *ram)
{
	static const uint64_t gdt[] = {
		[0x08 / 8] = 0x00af9b000000ffffull,	/* 64-bit code, DPL 0 */
		[0x10 / 8] = 0x00cf93000000ffffull,	/* data, DPL 0 */
		[0x18 / 8] = 0x00cffb000000ffffull,	/* 32-bit code, DPL 3 */
		[0x20 / 8] = 0x00cff3000000ffffull,	/* data, DPL 3 */
		[0x28 / 8] = 0x00affb000000ffffull,	/* 64-bit code, DPL 3 */
		[0x38 / 8] = 0,				/* 0x30: empty 16-byte TSS slot */
	};
	uint64_t *pml4 = (uint64_t *)(ram + GUEST_PML4), *pdpt = (uint64_t *)(ram + GUEST_PDPT);
	uint64_t *pd = (uint64_t *)(ram + GUEST_PD);
	const uint64_t P = 1, RW = 2, US = 4, PS = 0x80;
	int j;

	memcpy(ram + GUEST_GDT, gdt, sizeof(gdt));
	pml4[0] = GUEST_PDPT | P | RW | US;
	pdpt[0] = GUEST_PD | P | RW | US;
	for (j = 0; j < 512; j++)
		pd[j] = (uint64_t)j << 21 | P | RW | US | PS;
}

static struct kvm_segment flat_segment(uint16_t selector, uint8_t type, int l, int dpl)
{
	struct kvm_segment s = {
		.base = 0, .limit = 0xffffffff, .selector = selector, .type = type,
		.present = 1, .dpl = dpl, .db = !l, .s = 1, .l = l, .g = 1,
	};
	return s;
}

/* ---- the VM ---- */

static void kvm_ioctl(int fd, unsigned long req, void *arg, const char *what)
{
	if (ioctl(fd, req, arg) < 0)
		die(EXIT_KVM, "%s failed: %s.", what, strerror(errno));
}

static void vm_create(struct vm *vm)
{
	struct kvm_userspace_memory_region region;
	int run_size;

	vm->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm < 0)
		die(EXIT_KVM, "cannot open /dev/kvm: %s.", strerror(errno));
	if (ioctl(vm->kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		die(EXIT_KVM, "/dev/kvm speaks another KVM API version.");
	vm->fd = ioctl(vm->kvm, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		die(EXIT_KVM, "KVM_CREATE_VM failed: %s.", strerror(errno));
	vm->ram = mmap(NULL, GUEST_RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm->ram == MAP_FAILED)
		die(EXIT_KVM, "cannot allocate guest RAM.");
	region = (struct kvm_userspace_memory_region){
		.slot = 0, .guest_phys_addr = 0, .memory_size = GUEST_RAM_SIZE,
		.userspace_addr = (uintptr_t)vm->ram,
	};
	kvm_ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region, "KVM_SET_USER_MEMORY_REGION");
	vm->vcpu = ioctl(vm->fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu < 0)
		die(EXIT_KVM, "KVM_CREATE_VCPU failed: %s.", strerror(errno));
	run_size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	vm->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu, 0);
	if (vm->run == MAP_FAILED)
		die(EXIT_KVM, "cannot map kvm_run.");
}

/*
 * What KVM supports, with the sample VMM's policy on top (host/cpuid.c): no nested VMX, the
 * hypervisor bit set, and no KVM_FEATURE_* bits in KVM_CPUID_FEATURES (it enables no
 * paravirtual device), so CPUID reads the same under both.
 */
static void vcpu_set_cpuid(struct vm *vm)
{
	int n = 100, i;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

	c->nent = n;
	kvm_ioctl(vm->kvm, KVM_GET_SUPPORTED_CPUID, c, "KVM_GET_SUPPORTED_CPUID");
	for (i = 0; i < (int)c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 1) {
			e->ecx &= ~(1u << 5);	/* VMX */
			e->ecx |= 1u << 31;	/* hypervisor */
		} else if (e->function == 0x40000001) {
			e->eax = 0;
		}
	}
	kvm_ioctl(vm->vcpu, KVM_SET_CPUID2, c, "KVM_SET_CPUID2");
	free(c);
}

/* The guest entry state of docs/platform.md. */
static void vcpu_set_entry_state(struct vm *vm, uint64_t entry)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	kvm_ioctl(vm->vcpu, KVM_GET_SREGS, &s, "KVM_GET_SREGS");
	s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	s.cr4 = CR4_PAE;
	s.cr3 = GUEST_PML4;
	s.efer = EFER_SCE | EFER_LME | EFER_LMA;
	s.cs = flat_segment(GUEST_CS, 0xb, 1, 0);
	s.ds = s.es = s.fs = s.gs = s.ss = flat_segment(GUEST_DS, 0x3, 0, 0);
	s.tr = (struct kvm_segment){ .selector = 0, .base = 0, .limit = 0xffff, .type = 0xb, .present = 1 };
	s.ldt = (struct kvm_segment){ .unusable = 1 };
	s.gdt.base = GUEST_GDT;
	s.gdt.limit = GUEST_GDT_LIMIT;
	s.idt.base = 0;
	s.idt.limit = 0;
	kvm_ioctl(vm->vcpu, KVM_SET_SREGS, &s, "KVM_SET_SREGS");

	memset(&r, 0, sizeof(r));
	r.rip = entry;
	r.rsp = GUEST_STACK_TOP;
	r.rflags = 0x2;
	kvm_ioctl(vm->vcpu, KVM_SET_REGS, &r, "KVM_SET_REGS");
}

/* ---- the devices: the guest's COM1, always ready; nothing else answers ---- */

static void handle_io(struct kvm_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint32_t i;

	for (i = 0; i < run->io.count; i++, data += run->io.size) {
		if (run->io.direction == KVM_EXIT_IO_OUT) {
			if (run->io.port == PORT_COM1) {
				fputc(data[0], stdout);
				if (data[0] == '\n')	/* a script may be waiting for the line */
					fflush(stdout);
			}
		} else if (run->io.port >= PORT_COM1 && run->io.port <= PORT_COM1 + 7) {
			memset(data, 0, run->io.size);
			data[0] = run->io.port == PORT_COM1 + UART_LSR ? 0x60 : 0;	/* THRE | TEMT */
		} else {
			memset(data, 0xff, run->io.size);	/* no device: all ones */
		}
	}
}

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

static void arm_timeout(long ms)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART: KVM_RUN returns EINTR */
	struct itimerval it = { .it_value = { ms / 1000, (ms % 1000) * 1000 } };

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

static uint64_t guest_rip(struct vm *vm)
{
	struct kvm_regs r;

	return ioctl(vm->vcpu, KVM_GET_REGS, &r) < 0 ? 0 : r.rip;
}

/* KVM_RUN until the guest halts or something ends it; returns the exit status. */
static int vcpu_run(struct vm *vm, long timeout_ms)
{
	arm_timeout(timeout_ms);
	for (;;) {
		if (ioctl(vm->vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR && timed_out) {
				fflush(stdout);
				fprintf(stderr, "hcvmm: %s did not halt within %ld ms (rip 0x%lx).\n",
					guest_name, timeout_ms, (unsigned long)guest_rip(vm));
				return EXIT_TIMEOUT;
			}
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die(EXIT_KVM, "KVM_RUN failed: %s.", strerror(errno));
		}
		switch (vm->run->exit_reason) {
		case KVM_EXIT_IO:
			handle_io(vm->run);
			break;
		case KVM_EXIT_HLT:
			fflush(stdout);
			fprintf(stderr, "hcvmm: guest halted\n");
			return EXIT_HALTED;
		case KVM_EXIT_SHUTDOWN:
			/* No RIP: KVM on AMD resets the vCPU at the SHUTDOWN intercept (svm.c shutdown_interception). */
			fflush(stdout);
			fprintf(stderr, "hcvmm: guest triple fault\n");
			return EXIT_GUEST;
		case KVM_EXIT_MMIO:
			fflush(stdout);
			fprintf(stderr, "hcvmm: guest %s guest-physical 0x%llx, which is not RAM (rip 0x%lx)\n",
				vm->run->mmio.is_write ? "wrote" : "read", vm->run->mmio.phys_addr,
				(unsigned long)guest_rip(vm));
			return EXIT_GUEST;
		case KVM_EXIT_FAIL_ENTRY:
			fflush(stdout);
			fprintf(stderr, "hcvmm: VM entry failed: hardware reason 0x%llx\n",
				vm->run->fail_entry.hardware_entry_failure_reason);
			return EXIT_GUEST;
		case KVM_EXIT_INTERNAL_ERROR:
			fflush(stdout);
			fprintf(stderr, "hcvmm: KVM internal error %u at rip 0x%lx\n",
				vm->run->internal.suberror, (unsigned long)guest_rip(vm));
			return EXIT_GUEST;
		default:
			fflush(stdout);
			fprintf(stderr, "hcvmm: unexpected KVM exit %u at rip 0x%lx\n",
				vm->run->exit_reason, (unsigned long)guest_rip(vm));
			return EXIT_GUEST;
		}
	}
}

/* ---- tracefs ---- */

static int tracefs_write(const char *file, const char *val)
{
	char path[256];
	int fd, ok;

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

static const char *const trace_events[] = {
	"events/kvm/kvm_entry/enable", "events/kvm/kvm_exit/enable", "events/kvm/kvm_hypercall/enable",
};

static void trace_start(void)
{
	unsigned i;

	if (tracefs_write("tracing_on", "0") || tracefs_write("trace", ""))
		die(EXIT_KVM, "cannot use %s (not mounted, or not root): %s.", TRACEFS, strerror(errno));
	for (i = 0; i < sizeof(trace_events) / sizeof(trace_events[0]); i++)
		if (tracefs_write(trace_events[i], "1"))
			die(EXIT_KVM, "cannot enable %s: %s.", trace_events[i], strerror(errno));
	tracefs_write("tracing_on", "1");
}

static void trace_stop(const char *out)
{
	char buf[65536];
	ssize_t n;
	int in, fd;
	unsigned i;

	tracefs_write("tracing_on", "0");
	for (i = 0; i < sizeof(trace_events) / sizeof(trace_events[0]); i++)
		tracefs_write(trace_events[i], "0");
	in = open(TRACEFS "/trace", O_RDONLY);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (in < 0 || fd < 0)
		die(EXIT_KVM, "cannot copy the trace to %s: %s.", out, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, n) != n)
			die(EXIT_KVM, "cannot write %s: %s.", out, strerror(errno));
	close(in);
	close(fd);
}

/* ---- the probe: one hypercall, by the CPU vendor's instruction, then HLT ---- */

static int cpu_is_amd(void)
{
	uint32_t a = 0, b, c, d;

	asm volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
	return b == 0x68747541 || b == 0x6f677948;	/* "Auth"enticAMD, "Hygo"nGenuine */
}

static int probe(void)
{
	/* mov $11,%eax (KVM_HC_SCHED_YIELD); vmcall or vmmcall; hlt */
	uint8_t code[] = { 0xb8, 11, 0, 0, 0, 0x0f, 0x01, 0xc1, 0xf4 };
	struct vm vm;
	struct kvm_regs r;
	int status;

	if (cpu_is_amd())
		code[7] = 0xd9;
	vm_create(&vm);
	build_guest_tables(vm.ram);
	memcpy(vm.ram + GUEST_IMAGE_START, code, sizeof(code));
	vcpu_set_cpuid(&vm);
	vcpu_set_entry_state(&vm, GUEST_IMAGE_START);
	guest_name = "the probe guest";
	status = vcpu_run(&vm, 1000);
	if (status == EXIT_TIMEOUT)
		die(EXIT_TIMEOUT, "/dev/kvm is there but its guest did not answer a hypercall within a second (no hardware virtualization behind it).");
	if (status != EXIT_HALTED || ioctl(vm.vcpu, KVM_GET_REGS, &r) < 0 || r.rax != 0)
		die(EXIT_KVM, "/dev/kvm did not answer the probe hypercall as KVM does.");
	printf("/dev/kvm answers hypercalls\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *trace = NULL, *path = NULL;
	long timeout_ms = 30000;
	struct vm vm;
	uint64_t entry;
	int i, status;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--probe"))
			return probe();
		if (!strcmp(argv[i], "--trace") && i + 1 < argc)
			trace = argv[++i];
		else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc)
			timeout_ms = strtol(argv[++i], NULL, 0);
		else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else
			die(EXIT_USAGE, "usage: hcvmm [--trace <file>] [--timeout-ms <n>] <guest.elf> | hcvmm --probe");
	}
	if (!path)
		die(EXIT_USAGE, "usage: hcvmm [--trace <file>] [--timeout-ms <n>] <guest.elf> | hcvmm --probe");
	guest_name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	vm_create(&vm);
	entry = load_elf(vm.ram, path);
	build_guest_tables(vm.ram);
	vcpu_set_cpuid(&vm);
	vcpu_set_entry_state(&vm, entry);
	if (trace)
		trace_start();
	status = vcpu_run(&vm, timeout_ms);
	if (trace)
		trace_stop(trace);
	return status;
}
