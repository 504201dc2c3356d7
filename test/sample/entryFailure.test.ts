// A failed VM entry ends the sample with a message and status 1: a guest-state field that
// breaks an SDM 27.3.1 check (entry-failure exit 0x80000021) and a control field that breaks
// an SDM 27.2.1 check (VMfailValid, VM-instruction error 7). The fields are corrupted through
// the emulator API at the first __vmx_vcpu_run, before VMLAUNCH.

import { readFileSync } from 'node:fs';
import type { StopReason } from '../../emulator/api';
import { parseElf } from '../../emulator/loader/elf';
import { Machine } from '../../emulator/machine';
import { buildSample, guestElf, hostElf } from './sampleRun';

const GUEST_CR0 = 0x6800, PIN_BASED_VM_EXEC_CONTROL = 0x4000;

function runWithCorruptedField(field: number, value: bigint) {
  const host = new Uint8Array(readFileSync(hostElf));
  const machine = Machine.boot({ hostElf: host, guestElf: new Uint8Array(readFileSync(guestElf)), hostPath: hostElf, guestPath: guestElf });
  let hostConsole = '';
  machine.onConsole((o) => { if (o.port === 'host') hostConsole += o.text; });
  const run = parseElf(host, 'host.elf').symbol('__vmx_vcpu_run')!.value;
  machine.addBreakpoint(run, 'linear');
  expect(machine.run(10_000_000)).toEqual({ kind: 'breakpoint', address: run, space: 'linear' });
  machine.removeBreakpoint(run, 'linear');
  expect(machine.vmcsWrite(field, value)).toBe(true);
  // The machine stops once at the failure itself ('vmentry-failure'); the host then handles it.
  const stops: StopReason[] = [];
  let stop: StopReason = { kind: 'budget' };
  for (let n = 0; n < 20 && (stop.kind === 'budget' || stop.kind === 'vmentry-failure'); n++) {
    stop = machine.run(1_000_000);
    stops.push(stop);
  }
  return { stops: stops.filter((s) => s.kind !== 'budget'), hostConsole };
}

beforeAll(() => buildSample());

describe('failed VM entry', () => {
  it('reports an entry-failure exit for invalid guest state', () => {
    const r = runWithCorruptedField(GUEST_CR0, 0n); // PE, NE, PG are fixed to 1 (IA32_VMX_CR0_FIXED0)
    expect(r.hostConsole).toContain('hc-host: VM entry failed: exit reason 0x80000021 (INVALID_STATE), exit qualification 0x0\n');
    expect(r.stops).toEqual([{ kind: 'vmentry-failure', failure: expect.objectContaining({ exitReason: 33, sdm: '27.3.1', check: expect.stringMatching(/^guest CR0 /) }) }, { kind: 'poweroff', status: 1 }]);
  });

  it('reports the VM-instruction error for invalid controls', () => {
    const r = runWithCorruptedField(PIN_BASED_VM_EXEC_CONTROL, 0n); // default-1 bits cleared
    expect(r.hostConsole).toContain('hc-host: VM entry failed: VM-instruction error 7 (VM entry with invalid control field(s))\n');
    expect(r.stops).toEqual([{ kind: 'vmentry-failure', failure: expect.objectContaining({ instructionError: 7, sdm: '27.2.1', check: expect.stringMatching(/^pin-based VM-execution controls /) }) }, { kind: 'poweroff', status: 1 }]);
  });
});
