/*
 * user.c - the sample's user program (CPL 3): the story end to end. System call 332 makes
 * the host trace "Hello World"; system call 333 brings the string back into this program;
 * a VMCALL issued directly at CPL 3 is refused by the host with -KVM_EPERM.
 */
#include <stdarg.h>
#include "kvm_para.h"
#include "lib.h"
#include "unistd.h"

int printf(const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	return (int)write(1, buf, (unsigned long)n);
}

void user_main(void)
{
	char buf[32];
	long ret;

	ret = syscall3(__NR_hello_hypercall, 0, 0, 0); /* MARK: guest-syscall */
	printf("user: hello_hypercall() returned %ld\n", ret);

	ret = syscall3(__NR_hello_string, (long)buf, sizeof(buf), 0);
	if (ret < 0) {
		printf("user: hello_string() failed: %ld\n", ret);
		exit(1);
	}
	write(1, buf, (unsigned long)ret);
	write(1, "\n", 1);

	/* Hypercalls are for the guest kernel: KVM refuses them from CPL 3. */
	ret = kvm_hypercall0(KVM_HC_HELLO_HYPERCALL);
	printf("user: vmcall at CPL 3 returned %ld%s\n", ret,
	       ret == -KVM_EPERM ? " (-KVM_EPERM)" : "");
	exit(0);
}
