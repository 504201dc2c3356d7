// An instruction's own VM exit in VMX non-root operation (SDM 26.1.2, 26.1.3), as the handlers
// ask for it: after their privilege checks and before the instruction's own work.

import type { Cpu } from '../cpu';
import type { InterceptedInstruction } from '../vmxUnit';

/** The VM exit `what` causes under the current controls, thrown as VmExitTaken; nothing outside non-root operation. */
export function intercept(c: Cpu, what: InterceptedInstruction): void {
  const vmx = c.vmx;
  if (vmx !== undefined && vmx.nonRoot) vmx.intercept(what);
}

/** For the handlers of frequent exits, which end the instruction themselves: true after the VM exit (RIP committed). */
export function exited(c: Cpu, what: InterceptedInstruction): boolean {
  const vmx = c.vmx;
  if (vmx === undefined || !vmx.nonRoot || !vmx.interceptReturning(what)) return false;
  c.ripCommitted = true;
  return true;
}
