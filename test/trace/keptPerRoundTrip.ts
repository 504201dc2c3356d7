// What a long hypercall loop keeps per round trip while a debug session listens to its trace
// (the trace buffer and history's timeline hold records up to traceCapacity): the test that bounds it
// (traceMemory.test.ts) and the bench that reports it measure it the same way.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { traceRecordToJson } from '../../debug-adapter/traceEvents';
import type { Machine } from '../../emulator/machine';

/** Bytes kept per round trip: in all, and of that in V8's heap (objects; the rest is array buffers' memory). */
export interface KeptBytes { total: number; heap: number }

/**
 * Bytes kept per round trip of `m`'s hypercall loop over `trips` round trips, after `warmTrips`
 * (the host's blocks compiled, the heap settled), taken after a full GC, with a listener that
 * turns each trace record into its DAP form as the adapter does (traceEvents.ts).
 */
export function keptBytesPerRoundTrip(m: Machine, warmTrips: number, trips: number): KeptBytes {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  let done = 0;
  m.onTrace((record) => { if (traceRecordToJson(record).event === 'kvm_hypercall') done++; });
  const runTo = (target: number) => {
    while (done < target) {
      const stop = m.run(1_000_000);
      if (stop.kind !== 'budget') throw new Error(`The hypercall loop stopped after ${done} round trips (${stop.kind}).`);
    }
  };
  runTo(warmTrips);
  gc();
  const before = process.memoryUsage(), from = done;
  runTo(from + trips);
  gc();
  const after = process.memoryUsage(), n = done - from;
  const heap = (after.heapUsed - before.heapUsed) / n;
  return { heap, total: heap + (after.arrayBuffers - before.arrayBuffers) / n };
}
