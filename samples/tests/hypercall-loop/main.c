/*
 * main.c - test guest for loading and unloading the hypercall module while hypercalls run
 * (test/realkvm/): KVM_HC_HELLO_STRING and KVM_HC_SCHED_YIELD in a loop, every answer
 * checked. HELLO_STRING has two right answers, the string (module loaded) or -KVM_ENOSYS
 * (stock KVM); anything else, or a SCHED_YIELD that is not 0, counts as wrong.
 *
 * The loop is paced by what it sees, not by time: it prints a line each time the answerer
 * changes, the lab's script waits for that line before its next insmod or rmmod, and the
 * loop ends once the module has come and gone CYCLES times. A host busier than the lab's
 * author's cannot make a load window pass between two hypercalls unseen.
 */
#include "kernel.h"
#include "kvm_para.h"
#include "lib.h"

#define CYCLES 10ul
#define MAX_ROUNDS 2000000ul	/* ~0.4 ms a round in the lab: far beyond hcvmm's timeout */

void guest_main(void)
{
	static char buf[16];
	unsigned long i, hello = 0, enosys = 0, wrong = 0, loads = 0, unloads = 0;
	int module_answered = 0;

	for (i = 0; i < MAX_ROUNDS && unloads < CYCLES; i++) {
		long r;

		memset(buf, 0, sizeof(buf));
		r = kvm_hypercall2(KVM_HC_HELLO_STRING, (unsigned long)buf, sizeof(buf));
		if (r == 11 && !memcmp(buf, "Hello World", 11)) {
			hello++;
			if (!module_answered)
				printk("module answers %lu\n", ++loads);
			module_answered = 1;
		} else if (r == -KVM_ENOSYS && !buf[0]) {
			enosys++;
			if (module_answered || i == 0)
				printk("stock answers %lu\n", module_answered ? ++unloads : 0ul);
			module_answered = 0;
		} else {
			wrong++;
		}
		if (kvm_hypercall0(KVM_HC_SCHED_YIELD) != 0)
			wrong++;
	}
	printk("loop: %lu rounds, %lu answered by the module, %lu by stock KVM, %lu wrong\n",
	       i, hello, enosys, wrong);
}
