// What a long hypercall loop keeps while a debug session listens to its trace: the ring and
// the timeline hold up to about a million records (three per round trip) for history, so they
// must not keep what the adapter derives from each record (its line, its decoded fields), and
// nothing may grow once they are full.

import { readFileSync } from 'node:fs';
import { Machine } from '../../emulator/machine';
import { buildSample, hostElf, testGuest } from '../sample/sampleRun';
import { keptBytesPerRoundTrip } from './keptPerRoundTrip';

beforeAll(buildSample);

const loop = (traceCapacity?: number) => {
  const guest = testGuest('hypercall-loop');
  return Machine.boot({ hostElf: new Uint8Array(readFileSync(hostElf)), guestElf: new Uint8Array(readFileSync(guest)), hostPath: hostElf, guestPath: guest, traceCapacity });
};

it('a debug session keeps under 1 KB per round trip of a long hypercall loop, as packed records rather than objects', () => {
  const kept = keptBytesPerRoundTrip(loop(), 20_000, 30_000);
  expect(kept.total).toBeLessThan(1_000);
  // Three records of 88 bytes and a step each are ~290 bytes of array buffers; kept as objects they
  // were ~380 bytes of heap. The heap kept now (50-100 bytes) is mostly the host's blocks that
  // run less than once a trip, compiled inside the measured trips.
  expect(kept.total).toBeGreaterThan(200);
  expect(kept.heap).toBeLessThan(200);
});

it('once the trace ring is full, a debug session keeps next to nothing more per round trip', () => {
  // A ring of 3,000 records is full after 1,000 round trips. What is left is V8's own (9 bytes a
  // trip over 400,000); a timeline of every record kept ~340. Measured from trip 60,000: on an
  // Intel Xeon (2026-12-05) trips 20,000-50,000 kept 77-116 bytes each, engine warm-up that
  // is over by then (41-44 bytes a trip from trip 60,000, eight machines).
  expect(keptBytesPerRoundTrip(loop(3_000), 60_000, 30_000).total).toBeLessThan(100);
});
