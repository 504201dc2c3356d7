// The VMX exit-reason names exactly as Linux 6.1 prints them in kvm_exit lines: the
// VMX_EXIT_REASONS table of arch/x86/include/uapi/asm/vmx.h (numbers from SDM vol. 3C
// Appendix C) and kvm_print_exit_reason() of arch/x86/kvm/trace.h. KVM's spelling wins here
// (VMON/VMOFF, not VMXON/VMXOFF) because the trace must read like the real file.

const NAMES: Record<number, string> = {
  0: 'EXCEPTION_NMI', 1: 'EXTERNAL_INTERRUPT', 2: 'TRIPLE_FAULT', 3: 'INIT_SIGNAL', 4: 'SIPI_SIGNAL',
  7: 'INTERRUPT_WINDOW', 8: 'NMI_WINDOW', 9: 'TASK_SWITCH', 10: 'CPUID', 12: 'HLT', 13: 'INVD',
  14: 'INVLPG', 15: 'RDPMC', 16: 'RDTSC', 18: 'VMCALL', 19: 'VMCLEAR', 20: 'VMLAUNCH', 21: 'VMPTRLD',
  22: 'VMPTRST', 23: 'VMREAD', 24: 'VMRESUME', 25: 'VMWRITE', 26: 'VMOFF', 27: 'VMON', 28: 'CR_ACCESS',
  29: 'DR_ACCESS', 30: 'IO_INSTRUCTION', 31: 'MSR_READ', 32: 'MSR_WRITE', 33: 'INVALID_STATE',
  34: 'MSR_LOAD_FAIL', 36: 'MWAIT_INSTRUCTION', 37: 'MONITOR_TRAP_FLAG', 39: 'MONITOR_INSTRUCTION',
  40: 'PAUSE_INSTRUCTION', 41: 'MCE_DURING_VMENTRY', 43: 'TPR_BELOW_THRESHOLD', 44: 'APIC_ACCESS',
  45: 'EOI_INDUCED', 46: 'GDTR_IDTR', 47: 'LDTR_TR', 48: 'EPT_VIOLATION', 49: 'EPT_MISCONFIG',
  50: 'INVEPT', 51: 'RDTSCP', 52: 'PREEMPTION_TIMER', 53: 'INVVPID', 54: 'WBINVD', 55: 'XSETBV',
  56: 'APIC_WRITE', 57: 'RDRAND', 58: 'INVPCID', 59: 'VMFUNC', 60: 'ENCLS', 61: 'RDSEED', 62: 'PML_FULL',
  63: 'XSAVES', 64: 'XRSTORS', 67: 'UMWAIT', 68: 'TPAUSE', 74: 'BUS_LOCK', 75: 'NOTIFY',
};

const FAILED_VMENTRY = 0x80000000;

/** The name of a basic exit reason, or __print_symbolic's "0x%lx" fallback for an unknown one. */
export function kvmExitReasonName(basic: number): string {
  return NAMES[basic] ?? `0x${basic.toString(16)}`;
}

/**
 * The "reason" column of kvm_exit: the basic reason's name, then the flag bits
 * (bit 31 as FAILED_VMENTRY, any other high bit in hex) after a space, like
 * __print_flags(exit_reason & ~0xffff, " ", VMX_EXIT_REASON_FLAGS).
 */
export function kvmExitReasonText(exitReason: number): string {
  const high = (exitReason & ~0xffff) >>> 0;
  const name = kvmExitReasonName(exitReason & 0xffff);
  if (high === 0) return name;
  const parts: string[] = [];
  if (high & FAILED_VMENTRY) parts.push('FAILED_VMENTRY');
  const rest = (high & ~FAILED_VMENTRY) >>> 0;
  if (rest) parts.push(`0x${rest.toString(16)}`);
  return `${name} ${parts.join(' ')}`;
}
