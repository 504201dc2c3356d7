/*
 * Native side of the CPU differential test. Reads cases from a binary file, runs each one on
 * the real processor at fixed linear addresses (the emulator maps the same ones), and writes
 * the final GPRs, RFLAGS, fault vector and scratch window to a binary output file.
 *
 * Input:  u32 count; per case: u32 codeLen, code[codeLen], u64 gpr[16], u64 rflags, u8 window[WINDOW]
 * Output: per case: u64 gpr[16], u64 rflags, u64 ripOffset, i64 vector (-1: none), i64 error code, u8 window[WINDOW]
 * Layout (see layout.ts): code at CODE_BASE, scratch window at DATA_BASE, control block at CTRL_BASE.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#define CODE_BASE 0x20000000UL
#define DATA_BASE 0x10000000UL
#define CTRL_BASE 0x10001000UL
#define WINDOW 512
#define MAX_CODE 3072

struct ctrl {
	uint64_t in_gpr[16];   /* +0x000 */
	uint64_t in_rflags;    /* +0x080 */
	uint64_t pad0[15];
	uint64_t out_gpr[16];  /* +0x100 */
	uint64_t out_rflags;   /* +0x180 */
	uint64_t out_rip;      /* +0x188 */
	int64_t out_vector;    /* +0x190 */
	int64_t out_error;     /* +0x198 */
	uint64_t pad1[12];
	uint64_t saved_rsp;    /* +0x200 */
	uint64_t epilogue;     /* +0x208 */
	uint64_t entry;        /* +0x210 */
};

extern int run_case(void);
extern char case_epilogue[], fault_return[];

/* All state moves through absolute addresses so the case may leave any value in any GPR. */
__asm__(
	".text\n"
	".globl run_case\n"
	"run_case:\n"
	"  push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
	"  mov %rsp, 0x10001200\n"
	"  pushq 0x10001080\n"
	"  popfq\n"
	"  mov 0x10001008, %rcx\n  mov 0x10001010, %rdx\n  mov 0x10001018, %rbx\n"
	"  mov 0x10001028, %rbp\n  mov 0x10001030, %rsi\n  mov 0x10001038, %rdi\n"
	"  mov 0x10001040, %r8\n  mov 0x10001048, %r9\n  mov 0x10001050, %r10\n  mov 0x10001058, %r11\n"
	"  mov 0x10001060, %r12\n  mov 0x10001068, %r13\n  mov 0x10001070, %r14\n  mov 0x10001078, %r15\n"
	"  mov 0x10001000, %rax\n"
	"  mov 0x10001020, %rsp\n"
	"  jmp *0x10001210\n"
	".globl case_epilogue\n"
	"case_epilogue:\n"
	"  mov %rax, 0x10001100\n  mov %rcx, 0x10001108\n  mov %rdx, 0x10001110\n  mov %rbx, 0x10001118\n"
	"  mov %rsp, 0x10001120\n  mov %rbp, 0x10001128\n  mov %rsi, 0x10001130\n  mov %rdi, 0x10001138\n"
	"  mov %r8, 0x10001140\n  mov %r9, 0x10001148\n  mov %r10, 0x10001150\n  mov %r11, 0x10001158\n"
	"  mov %r12, 0x10001160\n  mov %r13, 0x10001168\n  mov %r14, 0x10001170\n  mov %r15, 0x10001178\n"
	"  mov 0x10001200, %rsp\n"
	"  pushfq\n"
	"  popq 0x10001180\n"
	"  cld\n"
	"  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n"
	"  xor %eax, %eax\n"
	"  ret\n"
	".globl fault_return\n"
	"fault_return:\n"
	"  cld\n"
	"  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n"
	"  mov $1, %eax\n"
	"  ret\n");

static struct ctrl *const ctrl = (struct ctrl *)CTRL_BASE;

/* ucontext register slots in ModRM order (rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8..r15). */
static const int greg_index[16] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

static void on_fault(int sig, siginfo_t *info, void *uc_void)
{
	ucontext_t *uc = uc_void;
	greg_t *g = uc->uc_mcontext.gregs;
	(void)sig;
	(void)info;
	for (int i = 0; i < 16; i++)
		ctrl->out_gpr[i] = (uint64_t)g[greg_index[i]];
	ctrl->out_rflags = (uint64_t)g[REG_EFL];
	ctrl->out_rip = (uint64_t)g[REG_RIP];
	ctrl->out_vector = g[REG_TRAPNO];
	ctrl->out_error = g[REG_ERR];
	g[REG_RSP] = (greg_t)ctrl->saved_rsp;
	g[REG_RIP] = (greg_t)fault_return;
	g[REG_EFL] &= ~(greg_t)0x500; /* DF, TF */
}

static void *map_fixed(unsigned long addr, size_t len, int prot)
{
	void *p = mmap((void *)addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)addr) {
		fprintf(stderr, "runner: cannot map %#lx\n", addr);
		exit(2);
	}
	return p;
}

static void read_exact(FILE *f, void *buf, size_t n)
{
	if (fread(buf, 1, n, f) != n) {
		fprintf(stderr, "runner: truncated input\n");
		exit(2);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: runner <cases.bin> <results.bin>\n");
		return 2;
	}
	FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
	if (!in || !out) {
		fprintf(stderr, "runner: cannot open %s or %s\n", argv[1], argv[2]);
		return 2;
	}
	uint8_t *code = map_fixed(CODE_BASE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
	uint8_t *data = map_fixed(DATA_BASE, 8192, PROT_READ | PROT_WRITE);
	(void)data;

	stack_t alt = { .ss_sp = malloc(65536), .ss_size = 65536, .ss_flags = 0 };
	sigaltstack(&alt, NULL);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	int sigs[] = { SIGFPE, SIGSEGV, SIGILL, SIGBUS, SIGTRAP };
	for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);

	ctrl->epilogue = (uint64_t)case_epilogue;
	ctrl->entry = CODE_BASE;
	uint32_t count;
	read_exact(in, &count, 4);
	for (uint32_t n = 0; n < count; n++) {
		uint32_t len;
		read_exact(in, &len, 4);
		if (len > MAX_CODE) {
			fprintf(stderr, "runner: case %u code too long\n", n);
			return 2;
		}
		read_exact(in, code, len);
		/* jmp qword [CTRL_BASE + 0x208] */
		static const uint8_t tail[] = { 0xff, 0x24, 0x25, 0x08, 0x12, 0x00, 0x10 };
		memcpy(code + len, tail, sizeof tail);
		read_exact(in, ctrl->in_gpr, 16 * 8);
		read_exact(in, &ctrl->in_rflags, 8);
		read_exact(in, (void *)DATA_BASE, WINDOW);
		ctrl->out_vector = -1;
		ctrl->out_error = -1;
		if (run_case() == 0)
			ctrl->out_rip = CODE_BASE + len;
		ctrl->out_rip -= CODE_BASE;
		fwrite(ctrl->out_gpr, 8, 16, out);
		fwrite(&ctrl->out_rflags, 8, 1, out);
		fwrite(&ctrl->out_rip, 8, 1, out);
		fwrite(&ctrl->out_vector, 8, 1, out);
		fwrite(&ctrl->out_error, 8, 1, out);
		fwrite((void *)DATA_BASE, 1, WINDOW, out);
	}
	return fclose(out) == 0 ? 0 : 1;
}
