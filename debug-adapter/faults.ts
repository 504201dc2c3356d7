// Sentences for the ways a debugging session can end abnormally: each names the cause and
// the address, so the user knows where to look.

import { escalationText, exitReasonName, type EntryFailure, type StopReason, type TripleFault } from '../emulator/api';
import type { Debuggee } from './debuggee';

export type FaultCause = 'shutdown' | 'vmentry-failure' | 'budget' | 'never-entered' | 'poweroff-before-entry' | 'halted';

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

/** "#PF escalated until #DF (error code 0x0) could not be delivered, so the processor shut down." */
function tripleFaultWhy(fault: TripleFault | undefined): string {
  if (fault?.vector === undefined) return 'the processor shut down.';
  return `${escalationText(fault.vector, fault.firstVector, fault.errorCode)} could not be delivered, so the processor shut down.`;
}

/** The error (SDM number or entry-failure exit reason) and the failed check with its SDM section. */
function entryFailureWhy(failure: EntryFailure): { error: number; text: string } {
  const where = `${failure.check} (SDM ${failure.sdm})`;
  if (failure.exitReason !== undefined) {
    const rip = failure.guestRip !== undefined ? ` at guest RIP ${hex(failure.guestRip)}` : '';
    return { error: failure.exitReason, text: `entry-failure exit ${failure.exitReason} (${exitReasonName(failure.exitReason)})${rip}, ${where}` };
  }
  return { error: failure.instructionError ?? 0, text: `error ${failure.instructionError}, ${where}` };
}

export function describeFault(debuggee: Debuggee, cause: FaultCause, detail?: StopReason): { description: string; text: string; fatal: boolean } {
  const machine = debuggee.machine;
  const where = `${debuggee.side} RIP ${hex(machine.register('rip'))}`;
  switch (cause) {
    case 'shutdown': {
      const why = tripleFaultWhy(detail?.kind === 'shutdown' ? detail.fault : undefined);
      return { description: 'Triple fault: the machine shut down', text: `Triple fault in the host at ${where}: ${why}`, fatal: true };
    }
    case 'vmentry-failure': {
      const d = detail?.kind === 'vmentry-failure' ? entryFailureWhy(detail.failure) : undefined;
      const text = `VM entry failed at host RIP ${hex(machine.register('rip'))}: ${d ? d.text : 'no reason given'}.`;
      return { description: `VM entry failed${d ? ` (error ${d.error})` : ''}`, text, fatal: false };
    }
    case 'budget':
      return { description: 'Instruction budget exhausted', text: `The instruction budget (maxInstructions = ${debuggee.config.maxInstructions}) ran out at ${where}.`, fatal: true };
    case 'never-entered':
      return { description: 'The host never launched the guest', text: `The host ran ${machine.icount} instructions without entering the guest (no successful VMLAUNCH); it is at ${where}.`, fatal: true };
    case 'poweroff-before-entry': {
      const status = detail?.kind === 'poweroff' ? detail.status : 0;
      return { description: 'The host never launched the guest', text: `The host powered the machine off (status ${status}) at ${where} before ever entering the guest.`, fatal: true };
    }
    case 'halted':
      return { description: 'The processor halted for good', text: `The ${debuggee.side} executed HLT at ${where} with nothing that can wake the processor.`, fatal: true };
  }
}
