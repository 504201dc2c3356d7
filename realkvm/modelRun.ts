// The guest on the embedded machine under the sample host, kept in the shape a real-KVM run
// gives: the guest console, the ftrace text, and each hypercall's number and answer (the
// guest's RAX at the VM entry after its VMCALL exit).

import { readFileSync } from 'node:fs';
import { Reg } from '../emulator/cpu/state';
import { Machine } from '../emulator/machine';
import { renderTrace } from '../emulator/trace/ftrace';
import { RealKvmError } from './paths';

export interface HypercallAnswer { nr: bigint; ret: bigint }

export interface GuestRun {
  console: string;
  trace: string;
  /** Undefined where the run could not observe them (real KVM without the hcdbg_hc module). */
  answers?: HypercallAnswer[];
  /** 0 when the guest halted normally; otherwise `ending` says why not. */
  status: number;
  ending: string;
}

const BUDGET = 1_000_000_000, SLICE = 10_000_000;

export function runOnModel(hostElf: string, guestElf: string): GuestRun {
  let machine: Machine;
  try {
    machine = Machine.boot({
      hostElf: new Uint8Array(readFileSync(hostElf)), guestElf: new Uint8Array(readFileSync(guestElf)),
      hostPath: hostElf, guestPath: guestElf,
    });
  } catch (e) {
    throw new RealKvmError((e as Error).message);
  }
  let console = '', hostConsole = '';
  const answers: HypercallAnswer[] = [];
  let pending: bigint | undefined;
  machine.onConsole((o) => { if (o.port === 'guest') console += o.text; else hostConsole += o.text; });
  machine.stopOnVmExit = true;
  machine.stopOnVmEntry = true;
  let stop = machine.run(SLICE);
  while (machine.steps < BUDGET && (stop.kind === 'budget' || stop.kind === 'vmexit' || stop.kind === 'vmentry')) {
    if (stop.kind === 'vmexit') pending = stop.exit.reasonName === 'VMCALL' ? stop.exit.guestGprs[Reg.RAX] : undefined;
    else if (stop.kind === 'vmentry' && pending !== undefined) {
      answers.push({ nr: pending, ret: machine.register('rax') });
      pending = undefined;
    }
    stop = machine.run(SLICE);
  }
  const status = stop.kind === 'poweroff' ? stop.status : -1;
  const ending = hostConsole.trim().split('\n').filter((l) => l.startsWith('hc-host: guest') || l.includes('VM entry') || l.includes('unexpected')).pop()
    ?.replace(/^hc-host: /, '') ?? `the machine stopped (${stop.kind})`;
  return { console, trace: renderTrace(machine.traceRecords, machine.trace.written), answers, status, ending };
}
