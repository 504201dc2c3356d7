// What a long hypercall loop keeps while a debug session listens to its trace: the timeline
// holds every record for history (three per round trip), so a loop of a million hypercalls
// must not keep what the adapter derives from each record (its line, its decoded fields).

import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { traceRecordToJson } from '../../debug-adapter/traceEvents';
import { Machine } from '../../emulator/machine';
import { buildSample, hostElf, testGuest } from '../sample/sampleRun';

beforeAll(buildSample);

it('a debug session keeps under 1 KB per round trip of a long hypercall loop', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const guest = testGuest('hypercall-loop');
  const m = Machine.boot({ hostElf: new Uint8Array(readFileSync(hostElf)), guestElf: new Uint8Array(readFileSync(guest)), hostPath: hostElf, guestPath: guest });
  let trips = 0;
  m.onTrace((record) => {
    const sent = traceRecordToJson(record); // what the adapter sends the Trace panel
    if (sent.event === 'kvm_hypercall') trips++;
  });
  const runTo = (target: number) => {
    while (trips < target) expect(m.run(1_000_000).kind).toBe('budget');
  };
  runTo(20_000); // the host's blocks compiled, the heap settled
  gc();
  const before = { heap: process.memoryUsage().heapUsed, trips };
  runTo(before.trips + 30_000);
  gc();
  const kept = (process.memoryUsage().heapUsed - before.heap) / (trips - before.trips);
  expect(kept).toBeLessThan(1_000);
});
