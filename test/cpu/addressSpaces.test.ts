// The TLB across VM transitions (Cpu.switchAddressSpace): an address space gets its epoch back
// when nothing wrote a paging structure since that epoch began, and is flushed otherwise, so
// keeping translations can never be told from the flush the SDM (29.4.3) describes. The
// entry kept is made visible here by changing a PTE behind the CPU's back (a write the CPU
// cannot see): the old translation answers only when the space's epoch came back.

import { FlatMachine } from '../differential/flatMachine';
import { DATA_LINEAR } from '../fuzz/randomCode';
import { GUEST_SPACE, ROOT_SPACE } from '../../emulator/vmx/vmxCpu';

const A = DATA_LINEAR, B = DATA_LINEAR + 0x1000, WINDOW = DATA_LINEAR + 0x2000;

/** Host-physical address of the PTE that maps `linear` (4 KiB pages, from CR3). */
function pteOf(m: FlatMachine, linear: number): number {
  let table = Number(m.state.cr3 & 0xffffffffff000n);
  for (const shift of [39, 30, 21]) table = Number(m.phys.read64(table + 8 * (Math.floor(linear / 2 ** shift) % 512)) & 0xffffffffff000n);
  return table + 8 * ((linear >>> 12) & 511);
}

/** A is mapped to a frame holding 0x11, B to one holding 0x22; `retarget()` points A's PTE at B's frame. */
function machine() {
  const m = new FlatMachine();
  m.map(A); m.map(B); m.map(WINDOW);
  m.writeLinear(A, new Uint8Array([0x11]));
  m.writeLinear(B, new Uint8Array([0x22]));
  const pteA = pteOf(m, A), pteB = pteOf(m, B);
  const read = () => m.cpu.readLinear8(BigInt(A));
  /** The guest reads A in its space, the root runs, the guest comes back: what it reads then. */
  const roundTrip = (inRoot: () => void = () => undefined): number => {
    m.cpu.switchAddressSpace(ROOT_SPACE);
    inRoot();
    m.cpu.switchAddressSpace(GUEST_SPACE);
    return read();
  };
  m.cpu.switchAddressSpace(GUEST_SPACE);
  expect(read()).toBe(0x11);
  roundTrip(); // the first walks set accessed bits (writes to the page tables): this round flushes
  expect(read()).toBe(0x11);
  /** A's PTE now maps B's frame: written into RAM behind the CPU's back, or by `write`. */
  const retarget = (write = (addr: number, v: bigint) => { new DataView(m.phys.bytes.buffer).setBigUint64(addr, v, true); }) =>
    write(pteA, m.phys.read64(pteB));
  return { m, pteA, read, roundTrip, retarget };
}

describe('translations across VM transitions', () => {
  it('an address space whose paging structures nobody wrote gets its entries back', () => {
    const { roundTrip, retarget } = machine();
    // Not a write the CPU can see: the kept entry still maps A to its old frame.
    expect(roundTrip(() => retarget())).toBe(0x11);
  });

  it('root code using the same linear page does not evict the entry (the TLB index is salted per epoch)', () => {
    const { m, roundTrip, retarget } = machine();
    // The host and its guest are both linked at 1 MiB, say: the root's own entry for A must find another slot.
    expect(roundTrip(() => { expect(m.cpu.readLinear8(BigInt(A))).toBe(0x11); retarget(); })).toBe(0x11);
  });

  it('a store by the CPU to a page-table page ends that: the next transition flushes', () => {
    const { m, pteA, roundTrip, retarget } = machine();
    // Map WINDOW onto the page-table frame, then store A's new PTE through it as root code would.
    const pteWindow = pteOf(m, WINDOW);
    m.phys.write64(pteWindow, BigInt(pteA - (pteA & 0xfff)) | 7n);
    m.cpu.flushTlb();
    expect(roundTrip(() => retarget((addr, v) => m.cpu.writeLinear64(BigInt(WINDOW + (addr & 0xfff)), v)))).toBe(0x22);
  });

  it('a write through physical memory (as VMX writes an MSR-store area) also ends it', () => {
    const { m, roundTrip, retarget } = machine();
    expect(roundTrip(() => retarget((addr, v) => m.phys.write64(addr, v)))).toBe(0x22);
  });

  it('memory written behind the CPU and announced (a debugger write, a snapshot restore) ends it', () => {
    const { m, roundTrip, retarget } = machine();
    expect(roundTrip(() => { retarget(); m.cpu.invalidateCode(); })).toBe(0x22);
  });

  it('another CR3 is another address space', () => {
    const { m, read, retarget } = machine();
    retarget();
    m.cpu.switchAddressSpace(ROOT_SPACE);
    m.state.cr3 += 0x1000n; // as if the guest had been entered with another CR3 (only the key matters here)
    m.cpu.switchAddressSpace(GUEST_SPACE);
    m.state.cr3 -= 0x1000n;
    m.cpu.switchAddressSpace(ROOT_SPACE);
    m.cpu.switchAddressSpace(GUEST_SPACE); // back to the first CR3: its entries were kept
    expect(read()).toBe(0x11);
    m.cpu.flushTlb(); // (what MOV CR3 does)
    expect(read()).toBe(0x22);
  });
});
