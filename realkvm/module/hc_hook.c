// SPDX-License-Identifier: GPL-2.0
/*
 * hc_hook.c - adds a host model's custom hypercalls to an unmodified kvm.ko (Linux 6.1, 6.12).
 *
 * An ftrace ops with SAVE_REGS | IPMODIFY on kvm_emulate_hypercall (exported by kvm.ko) sends
 * every call to hc_emulate_hypercall() instead. That calls the original first, so stock KVM
 * does everything it always does (Xen/Hyper-V dispatch, the kvm_hypercall trace event, the
 * CPL check, 32-bit masking, the stats counter, skipping the instruction) and answers every
 * number as it always does. Only when the number is one of ours, KVM answered -KVM_ENOSYS
 * (so the guest was at CPL 0 and no other handler claimed it), the handler's answer replaces
 * RAX. Each answer is also traced (hcdbg_hypercall_ret). The original's call comes back
 * through ftrace from inside this module, which is how the ftrace callback tells it from
 * KVM's own calls.
 *
 * The handlers are the files of the guest's host model (host/hypercalls/<name>.c, each with
 * its KVM_CUSTOM_HYPERCALL number), built here unchanged; hc_hypercalls.h, written by the
 * build (realkvm/build.ts) as the sample's Makefile writes it for the model host, lists them.
 */
#include <linux/ftrace.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/version.h>
#include "hypercall.h"

/*
 * Proven in the lab on these two: 6.12 does the work in __kvm_emulate_hypercall, but
 * kvm_emulate_hypercall is still the exported entry kvm-amd and kvm-intel call, and it still
 * traces, masks, checks the CPL, writes RAX and skips the instruction before returning.
 */
#define HC_SERIES(maj, min) (LINUX_VERSION_CODE >= KERNEL_VERSION(maj, min, 0) && \
			     LINUX_VERSION_CODE < KERNEL_VERSION(maj, min + 1, 0))
#if !HC_SERIES(6, 1) && !HC_SERIES(6, 12)
#error "hc_hook.c hooks kvm_emulate_hypercall of Linux 6.1 and 6.12; this kernel needs another hook"
#endif

/* Each handler file's KVM_CUSTOM_HYPERCALL entry, as the sample host's custom_hypercalls.c lists them. */
#define HC_CUSTOM(fn) extern const struct kvm_custom_hypercall fn##_hypercall;
#include "hc_hypercalls.h"
#undef HC_CUSTOM

#define HC_CUSTOM(fn) &fn##_hypercall,
static const struct kvm_custom_hypercall *const hc_customs[] = {
#include "hc_hypercalls.h"
};
#undef HC_CUSTOM

static const struct kvm_custom_hypercall *hc_find(unsigned long nr)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(hc_customs); i++)
		if (hc_customs[i]->nr == nr)
			return hc_customs[i];
	return NULL;
}

/* kvm_rax_write() of arch/x86/kvm/kvm_cache_regs.h, which is not among the installed headers. */
static void hc_rax_write(struct kvm_vcpu *vcpu, unsigned long val)
{
	vcpu->arch.regs[VCPU_REGS_RAX] = val;
	vcpu->arch.regs_avail |= 1u << VCPU_REGS_RAX;
	vcpu->arch.regs_dirty |= 1u << VCPU_REGS_RAX;
}

/*
 * Every hypercall's answer, as KVM leaves it in RAX, for `hcdbg compare` (the kvm_hypercall
 * event has the number and arguments but not the result): "hcdbg_hypercall_ret: nr .. ret ..".
 */
static noinline void hcdbg_hypercall_ret(unsigned long nr, unsigned long ret)
{
	trace_printk("nr 0x%lx ret 0x%lx\n", nr, ret);
}

static int hc_emulate_hypercall(struct kvm_vcpu *vcpu)
{
	const unsigned long vcpu_nr = vcpu->arch.regs[VCPU_REGS_RAX];
	unsigned long nr = vcpu_nr;
	unsigned long a0 = vcpu->arch.regs[VCPU_REGS_RBX];
	unsigned long a1 = vcpu->arch.regs[VCPU_REGS_RCX];
	unsigned long a2 = vcpu->arch.regs[VCPU_REGS_RDX];
	unsigned long a3 = vcpu->arch.regs[VCPU_REGS_RSI];
	const struct kvm_custom_hypercall *c;
	unsigned long rax;
	bool op_64_bit;
	int r;

	/* rmmod is under way: be KVM's own function, by a tail call that leaves this module's text. */
	if (!try_module_get(THIS_MODULE))
		return kvm_emulate_hypercall(vcpu);
	r = kvm_emulate_hypercall(vcpu);	/* through ftrace again: recognized as ours */
	rax = vcpu->arch.regs[VCPU_REGS_RAX];
	/* -KVM_ENOSYS as KVM stored it: 64-bit, or zero-extended from 32 bits outside 64-bit mode. */
	if (rax == (unsigned long)-KVM_ENOSYS)
		op_64_bit = true;
	else if (rax == (u32)-KVM_ENOSYS)
		op_64_bit = false;
	else
		goto out;
	if (!op_64_bit) {
		nr = (u32)nr;
		a0 = (u32)a0;
		a1 = (u32)a1;
		a2 = (u32)a2;
		a3 = (u32)a3;
	}
	c = hc_find(nr);
	if (c) {
		rax = c->handler(vcpu, a0, a1, a2, a3);
		hc_rax_write(vcpu, op_64_bit ? rax : (u32)rax);
	}
out:
	hcdbg_hypercall_ret(vcpu_nr, vcpu->arch.regs[VCPU_REGS_RAX]);
	module_put(THIS_MODULE);
	return r;
}

static void notrace hc_ftrace_thunk(unsigned long ip, unsigned long parent_ip,
				    struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);

	if (!within_module(parent_ip, THIS_MODULE))
		regs->ip = (unsigned long)hc_emulate_hypercall;
}

static struct ftrace_ops hc_ops = {
	.func = hc_ftrace_thunk,
	.flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY,
};

static int __init hc_init(void)
{
	int err = ftrace_set_filter_ip(&hc_ops, (unsigned long)kvm_emulate_hypercall, 0, 0);

	if (err) {
		pr_err("hcdbg_hc: cannot hook kvm_emulate_hypercall: ftrace_set_filter_ip %d\n", err);
		return err;
	}
	err = register_ftrace_function(&hc_ops);
	if (err) {
		pr_err("hcdbg_hc: cannot hook kvm_emulate_hypercall: register_ftrace_function %d\n", err);
		ftrace_set_filter_ip(&hc_ops, (unsigned long)kvm_emulate_hypercall, 1, 0);
		return err;
	}
	pr_info("hcdbg_hc: %zu custom hypercalls added to kvm_emulate_hypercall\n", ARRAY_SIZE(hc_customs));
	return 0;
}

/*
 * rmmod gets this far only while no vCPU holds a reference from hc_emulate_hypercall();
 * unregister_ftrace_function() then returns after synchronize_rcu_tasks(), so no vCPU is still
 * between the thunk and that reference, and the module text can go.
 */
static void __exit hc_exit(void)
{
	unregister_ftrace_function(&hc_ops);
	ftrace_set_filter_ip(&hc_ops, (unsigned long)kvm_emulate_hypercall, 1, 0);
}

module_init(hc_init);
module_exit(hc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Hypercall Debugger: the sample's custom hypercalls in an unmodified kvm.ko");
