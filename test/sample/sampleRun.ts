// Shared by the sample tests: build the hello-hypercall images with the sample's own
// Makefile, boot them on a Machine and run to the end, keeping both consoles, every VM exit
// the emulator saw and the trace.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { StopReason, VmExitInfo } from '../../emulator/api';
import { Machine } from '../../emulator/machine';
import type { TraceRecord } from '../../emulator/trace/record';
import { requireTool, runTool } from '../tools';

const GUEST_SS_AR_BYTES = 0x4818;

export const root = resolve(__dirname, '../..');
export const sampleDir = join(root, 'samples', 'hello-hypercall');
export const hostElf = join(sampleDir, 'build', 'host.elf');
export const guestElf = join(sampleDir, 'build', 'guest.elf');
export const testGuest = (name: string) => join(sampleDir, 'build', 'tests', `${name}.elf`);

/**
 * `make` is incremental: cheap when `npm run build` already ran. Test files run in parallel
 * forks, so flock(1) on the sample folder itself keeps two of them (or two test runs) from
 * compiling the same objects at once, and leaves no lock file behind.
 */
export function buildSample(): void {
  requireTool('make');
  runTool('flock', [sampleDir, 'make', '-s', '-C', sampleDir], { stdio: 'inherit' });
}

export interface SampleRun {
  machine: Machine;
  stop: StopReason;
  guestConsole: string;
  hostConsole: string;
  exits: VmExitInfo[];
  /** Guest CPL at each exit in `exits`: SS.DPL from the VMCS (GUEST_SS_AR_BYTES), as KVM's vmx_get_cpl reads it. */
  exitCpl: number[];
  trace: readonly TraceRecord[];
}

/** Boot the sample host with `guest` and run until something other than the budget stops it. */
export function runSample(guest: string, maxInstructions = 50_000_000): SampleRun {
  const machine = Machine.boot({
    hostElf: new Uint8Array(readFileSync(hostElf)), guestElf: new Uint8Array(readFileSync(guest)),
    hostPath: hostElf, guestPath: guest,
  });
  let guestConsole = '', hostConsole = '';
  const exits: VmExitInfo[] = [], exitCpl: number[] = [];
  machine.onConsole((o) => { if (o.port === 'guest') guestConsole += o.text; else hostConsole += o.text; });
  machine.stopOnVmExit = true;
  let stop: StopReason = { kind: 'budget' };
  while (machine.cpu.icount < maxInstructions && (stop.kind === 'budget' || stop.kind === 'vmexit')) {
    stop = machine.run(Math.min(1_000_000, maxInstructions - machine.cpu.icount));
    if (stop.kind !== 'vmexit') continue;
    exits.push(stop.exit);
    exitCpl.push(Number(((machine.vmcsRead(GUEST_SS_AR_BYTES) ?? 0n) >> 5n) & 3n));
  }
  return { machine, stop, guestConsole, hostConsole, exits, exitCpl, trace: machine.traceRecords };
}

/** "name 0x...: 0x..." console lines of the test guests, as [name + nr] -> RAX. */
export function resultLines(console: string): Map<string, bigint> {
  const results = new Map<string, bigint>();
  for (const m of console.matchAll(/^(\w+ 0x[0-9a-f]+): 0x([0-9a-f]{16})$/gm)) results.set(m[1], BigInt(`0x${m[2]}`));
  return results;
}

/** A signed hypercall result as the guest's 64-bit RAX holds it. */
export const rax = (v: number | bigint) => BigInt.asUintN(64, BigInt(v));
