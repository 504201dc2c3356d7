// Runs random bytes as CPL-3 code in a FlatMachine: 64 KiB of random code and 16 KiB of data
// are mapped, every exception lands on its IDT handler and the run continues from a fresh
// random state at a random code address. Counts instructions and delivered exceptions.

import { FlatMachine } from '../differential/flatMachine';
import { Rng } from '../differential/rng';

export const CODE_LINEAR = 0x0040_0000;
const CODE_PAGES = 16;
export const DATA_LINEAR = 0x0080_0000;
const DATA_PAGES = 4;
const RESEED_AFTER = 2000;

export interface FuzzReport {
  steps: number;
  /** Instructions retired (state.icount), excluding event deliveries. */
  retired: number;
  /** Exception vector -> times delivered. */
  vectors: Map<number, number>;
  reseeds: number;
  shutdowns: number;
}

export function fuzzRandomCode(seed: number, budget: number): FuzzReport {
  const rng = new Rng(seed);
  const m = new FlatMachine(8 << 20);
  for (let i = 0; i < CODE_PAGES; i++) m.writeLinear(CODE_LINEAR + i * 0x1000, (m.map(CODE_LINEAR + i * 0x1000), rng.bytes(0x1000)));
  for (let i = 0; i < DATA_PAGES; i++) m.map(DATA_LINEAR + i * 0x1000);
  const st = m.state;
  const report: FuzzReport = { steps: 0, retired: 0, vectors: new Map(), reseeds: 0, shutdowns: 0 };
  const reseed = () => {
    m.reset(false); // CPL-3 code cannot change the page tables or CR3; code writes go through the CPU
    for (let r = 0; r < 16; r++) {
      // Half the registers point into the mapped data so memory operands often succeed.
      st.gpr[r] = rng.bool() ? BigInt(DATA_LINEAR + rng.int(DATA_PAGES * 0x1000)) : rng.u64();
    }
    st.gpr[4] = BigInt(DATA_LINEAR + 0x800 + rng.int(DATA_PAGES * 0x1000 - 0x1000));
    st.setRflags(0x202 | (rng.u32() & 0xcd5));
    st.rip = BigInt(CODE_LINEAR + rng.int(CODE_PAGES * 0x1000));
    report.reseeds++;
  };
  reseed();
  const icount0 = st.icount;
  let sinceReseed = 0;
  for (; report.steps < budget; report.steps++) {
    // Leave tight loops now and then so the budget roams over the whole code region.
    if (++sinceReseed === RESEED_AFTER) { sinceReseed = 0; reseed(); }
    m.cpu.step();
    if (st.shutdown) { report.shutdowns++; reseed(); continue; }
    const fault = m.exceptionTaken();
    if (fault) {
      report.vectors.set(fault.vector, (report.vectors.get(fault.vector) ?? 0) + 1);
      reseed(); sinceReseed = 0;
    } else if (st.halted) { reseed(); sinceReseed = 0; }
  }
  report.retired = st.icount - icount0;
  return report;
}
