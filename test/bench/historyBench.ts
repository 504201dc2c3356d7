// Time travel figures for `npm run bench`: at 10^6 and 10^8 steps into a run of a guest that
// computes and makes a hypercall every so often, the latency of one reverse step and of a
// reverse continue to the previous VMCALL, the snapshot memory per 10^6 steps, and forward
// speed with history recording beside the same run without (the peer figure).

import { readFileSync } from 'node:fs';
import { Machine } from '../../emulator/machine';

export interface HistoryFigures {
  depth: number;
  reverseStepMs: number;
  reverseToVmcallMs: number;
  snapshotBytesPerMillion: number;
  snapshots: number;
  forwardMips: number;
  forwardMipsWithoutHistory: number;
}

function boot(hostPath: string, guestPath: string): Machine {
  return Machine.boot({ hostElf: new Uint8Array(readFileSync(hostPath)), guestElf: new Uint8Array(readFileSync(guestPath)), hostPath, guestPath });
}

/** CPU milliseconds `work` takes. */
function cpuMs(work: () => void): number {
  const t0 = process.cpuUsage();
  work();
  const used = process.cpuUsage(t0);
  return (used.user + used.system) / 1e3;
}

function runTo(m: Machine, steps: number): void {
  while (m.steps < steps) {
    const stop = m.run(Math.min(10_000_000, steps - m.steps));
    if (stop.kind === 'poweroff' || stop.kind === 'halted' || stop.kind === 'shutdown') throw new Error(`The history benchmark guest stopped (${stop.kind}) at step ${m.steps}, before ${steps}.`);
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

export function measureHistory(hostPath: string, guestPath: string, depth: number): HistoryFigures {
  const plain = boot(hostPath, guestPath);
  const plainMs = cpuMs(() => runTo(plain, depth));
  const m = boot(hostPath, guestPath);
  const history = m.enableHistory();
  const forwardMs = cpuMs(() => runTo(m, depth));

  // Five reverse steps in a row from the end of the run, as a user pressing Step Back.
  const steps: number[] = [];
  for (let i = 0; i < 5; i++) steps.push(cpuMs(() => history.seek(m.steps - 1)));
  history.seek(depth);

  m.stopOnVmExit = true;
  let found = false;
  const reverseToVmcallMs = cpuMs(() => { found = history.reverse((stop) => stop.kind === 'vmexit' && stop.exit.reasonName === 'VMCALL') !== undefined; });
  if (!found) throw new Error('The history benchmark found no earlier VMCALL.');
  return {
    depth,
    reverseStepMs: median(steps),
    reverseToVmcallMs,
    snapshotBytesPerMillion: history.memoryBytes / (depth / 1e6),
    snapshots: history.snapshotCount,
    forwardMips: depth / forwardMs / 1e3,
    forwardMipsWithoutHistory: depth / plainMs / 1e3,
  };
}
