// What a long hypercall loop keeps while a debug session listens to its trace: the timeline
// holds every record for history (three per round trip), so a loop of a million hypercalls
// must not keep what the adapter derives from each record (its line, its decoded fields).

import { readFileSync } from 'node:fs';
import { Machine } from '../../emulator/machine';
import { buildSample, hostElf, testGuest } from '../sample/sampleRun';
import { keptBytesPerRoundTrip } from './keptPerRoundTrip';

beforeAll(buildSample);

it('a debug session keeps under 1 KB per round trip of a long hypercall loop', () => {
  const guest = testGuest('hypercall-loop');
  const m = Machine.boot({ hostElf: new Uint8Array(readFileSync(hostElf)), guestElf: new Uint8Array(readFileSync(guest)), hostPath: hostElf, guestPath: guest });
  expect(keptBytesPerRoundTrip(m, 20_000, 30_000)).toBeLessThan(1_000);
});
