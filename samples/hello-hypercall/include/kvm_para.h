/*
 * kvm_para.h - the paravirtual hypercall interface shared by the sample host and guest.
 *
 * The numbers and error codes are those of Linux include/uapi/linux/kvm_para.h (the ABI a
 * real KVM guest sees), plus the two hypercalls of this sample. The kvm_hypercallN()
 * helpers follow arch/x86/include/asm/kvm_para.h: number in RAX, up to four arguments in
 * RBX, RCX, RDX, RSI, result in RAX, nothing else clobbered (Documentation/virt/kvm/x86/
 * hypercalls.rst). This header is written for this project; only the ABI values are KVM's.
 */
#ifndef HC_KVM_PARA_H
#define HC_KVM_PARA_H

/*
 * A kernel module build (realkvm/module/) gets the upstream values from <linux/kvm_para.h>
 * and the guest helpers from <asm/kvm_para.h>: only the sample's own numbers are for it.
 */
#ifndef __KERNEL__
/* Return values for hypercalls; the guest sees them negated (ret = -KVM_E...). */
#define KVM_ENOSYS		1000
#define KVM_EFAULT		14	/* EFAULT */
#define KVM_EINVAL		22	/* EINVAL */
#define KVM_E2BIG		7	/* E2BIG */
#define KVM_EPERM		1	/* EPERM */
#define KVM_EOPNOTSUPP		95

/* Upstream hypercall numbers (Linux 6.x). */
#define KVM_HC_VAPIC_POLL_IRQ		1
#define KVM_HC_MMU_OP			2	/* removed upstream; now -KVM_ENOSYS */
#define KVM_HC_FEATURES			3	/* removed upstream; now -KVM_ENOSYS */
#define KVM_HC_PPC_MAP_MAGIC_PAGE	4
#define KVM_HC_KICK_CPU			5
#define KVM_HC_MIPS_GET_CLOCK_FREQ	6
#define KVM_HC_MIPS_EXIT_VM		7
#define KVM_HC_MIPS_CONSOLE_OUTPUT	8
#define KVM_HC_CLOCK_PAIRING		9
#define KVM_HC_SEND_IPI			10
#define KVM_HC_SCHED_YIELD		11
#define KVM_HC_MAP_GPA_RANGE		12
#endif /* __KERNEL__ */

/*
 * The sample's own hypercalls. The 2017 "hello hypercall" patch used 9, which Linux 4.11
 * gave to KVM_HC_CLOCK_PAIRING; upstream allocates numbers densely from 1 (12 is the
 * latest), so 0x100 and up stay clear of every upstream number for a long time and are
 * easy to spot in a trace.
 */
#define KVM_HC_HELLO_HYPERCALL		0x100	/* host: trace_printk("Hello World"); returns 0 */
#define KVM_HC_HELLO_STRING		0x101	/* a0 = guest-physical buffer, a1 = its length:
						 * the host writes "Hello World" (no NUL) there and
						 * returns the byte count, -KVM_EINVAL if a1 is too
						 * small, -KVM_EFAULT if the buffer is not guest RAM */

#ifndef __KERNEL__
/* CPUID leaves of the KVM paravirtual interface (arch/x86/include/uapi/asm/kvm_para.h). */
#define KVM_CPUID_SIGNATURE	0x40000000	/* EAX = max leaf, EBX:ECX:EDX = "KVMKVMKVM\0\0\0" */
#define KVM_CPUID_FEATURES	0x40000001	/* EAX = KVM_FEATURE_* bits */

#ifdef __ASSEMBLER__
/* The same for assembly sources: KVM_HYPERCALL_INSN in place of a bare vmcall. */
.macro KVM_HYPERCALL_INSN
771:	vmcall
	.pushsection .kvm_hypercall_sites, "a"
	.quad	771b
	.popsection
.endm
#else
/*
 * The hypercall instruction is VMCALL (0f 01 c1) on Intel and VMMCALL (0f 01 d9) on AMD; the
 * other vendor's one is #UD. Like Linux's ALTERNATIVE on X86_FEATURE_VMMCALL, every site is
 * assembled as VMCALL and its address recorded in .kvm_hypercall_sites; the guest kernel
 * rewrites the sites to VMMCALL at boot when CPUID names an AMD or Hygon CPU
 * (guest/alternative.c). One image is then right on Intel KVM, AMD KVM and the Intel model.
 */
#define KVM_HYPERCALL_SITE(label)					\
	".pushsection .kvm_hypercall_sites, \"a\"\n\t"			\
	".quad " label "\n\t"						\
	".popsection\n\t"
#define KVM_HYPERCALL "771: vmcall\n\t" KVM_HYPERCALL_SITE("771b")

static inline long kvm_hypercall0(unsigned int nr)
{
	long ret;

	asm volatile(KVM_HYPERCALL /* MARK: guest-vmcall */
		     : "=a"(ret)
		     : "a"((unsigned long)nr)
		     : "memory");
	return ret;
}

static inline long kvm_hypercall1(unsigned int nr, unsigned long p1)
{
	long ret;

	asm volatile(KVM_HYPERCALL : "=a"(ret) : "a"((unsigned long)nr), "b"(p1) : "memory");
	return ret;
}

static inline long kvm_hypercall2(unsigned int nr, unsigned long p1, unsigned long p2)
{
	long ret;

	asm volatile(KVM_HYPERCALL : "=a"(ret) : "a"((unsigned long)nr), "b"(p1), "c"(p2) : "memory");
	return ret;
}

static inline long kvm_hypercall3(unsigned int nr, unsigned long p1, unsigned long p2,
				  unsigned long p3)
{
	long ret;

	asm volatile(KVM_HYPERCALL
		     : "=a"(ret)
		     : "a"((unsigned long)nr), "b"(p1), "c"(p2), "d"(p3)
		     : "memory");
	return ret;
}

static inline long kvm_hypercall4(unsigned int nr, unsigned long p1, unsigned long p2,
				  unsigned long p3, unsigned long p4)
{
	long ret;

	asm volatile(KVM_HYPERCALL
		     : "=a"(ret)
		     : "a"((unsigned long)nr), "b"(p1), "c"(p2), "d"(p3), "S"(p4)
		     : "memory");
	return ret;
}
#endif /* __ASSEMBLER__ */
#endif /* __KERNEL__ */

#endif /* HC_KVM_PARA_H */
