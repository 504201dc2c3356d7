/*
 * main.c - test guest for loading and unloading the hypercall module while hypercalls run
 * (test/realkvm/): KVM_HC_HELLO_STRING and KVM_HC_SCHED_YIELD in a loop, every answer
 * checked. HELLO_STRING has two right answers, the string (module loaded) or -KVM_ENOSYS
 * (stock KVM); anything else, or a SCHED_YIELD that is not 0, counts as wrong.
 */
#include "kernel.h"
#include "kvm_para.h"
#include "lib.h"

#define ROUNDS 8000ul	/* ~1 ms per hypercall in the lab (nested under TCG): ~15 s */

void guest_main(void)
{
	static char buf[16];
	unsigned long i, hello = 0, enosys = 0, wrong = 0;

	for (i = 0; i < ROUNDS; i++) {
		long r;

		memset(buf, 0, sizeof(buf));
		r = kvm_hypercall2(KVM_HC_HELLO_STRING, (unsigned long)buf, sizeof(buf));
		if (r == 11 && !memcmp(buf, "Hello World", 11))
			hello++;
		else if (r == -KVM_ENOSYS && !buf[0])
			enosys++;
		else
			wrong++;
		if (kvm_hypercall0(KVM_HC_SCHED_YIELD) != 0)
			wrong++;
	}
	printk("loop: %lu rounds, %lu answered by the module, %lu by stock KVM, %lu wrong\n",
	       ROUNDS, hello, enosys, wrong);
}
