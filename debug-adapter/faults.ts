// Sentences for the ways a debugging session can end abnormally: each names the cause and
// the address, so the user knows where to look.

import type { StopReason } from '../emulator/api';
import type { Debuggee } from './debuggee';

export type FaultCause = 'shutdown' | 'vmentry-failure' | 'budget' | 'never-entered' | 'poweroff-before-entry' | 'halted';

const hex = (v: bigint): string => `0x${v.toString(16)}`;

export function describeFault(debuggee: Debuggee, cause: FaultCause, detail?: StopReason): { description: string; text: string; fatal: boolean } {
  const machine = debuggee.machine;
  const where = `${debuggee.side} RIP ${hex(machine.register('rip'))}`;
  switch (cause) {
    case 'shutdown': {
      // The machine's message starts with its own "Triple fault at RIP ...:"; keep only the why.
      const why = detail?.kind === 'shutdown' ? detail.message.replace(/^Triple fault at RIP 0x[0-9a-f]+:\s*/i, '') : 'the processor shut down.';
      return { description: 'Triple fault: the machine shut down', text: `Triple fault in the host at ${where}: ${why}`, fatal: true };
    }
    case 'vmentry-failure': {
      const d = detail?.kind === 'vmentry-failure' ? detail : undefined;
      const text = `VM entry failed at host RIP ${hex(machine.register('rip'))}: ${d ? `error ${d.error}, ${d.message.replace(/\.$/, '')}` : 'no reason given'}.`;
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
