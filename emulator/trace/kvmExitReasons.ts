// The "reason" column of kvm_exit exactly as Linux 6.1 prints it: kvm_print_exit_reason() of
// arch/x86/kvm/trace.h over KVM's VMX_EXIT_REASONS names (arch/x86/include/uapi/asm/vmx.h,
// KVM's spelling such as VMON/VMOFF), which emulator/vmx/fields.ts holds for the whole emulator.

import { EXIT_REASON_FAILED_VMENTRY, exitReasonName } from '../vmx/fields';

/** The name of a basic exit reason, or __print_symbolic's "0x%lx" fallback for an unknown one. */
export function kvmExitReasonName(basic: number): string {
  const name = exitReasonName(basic);
  return name === String(basic & 0xffff) ? `0x${basic.toString(16)}` : name;
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
  if (high & EXIT_REASON_FAILED_VMENTRY) parts.push('FAILED_VMENTRY');
  const rest = (high & ~EXIT_REASON_FAILED_VMENTRY) >>> 0;
  if (rest) parts.push(`0x${rest.toString(16)}`);
  return `${name} ${parts.join(' ')}`;
}
