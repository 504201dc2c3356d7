// Guest-visible RAM of the whole machine, addressed by (host-)physical address.
// Reads beyond RAM return all-ones and writes are dropped, like an unclaimed bus cycle.

export class PhysicalMemory {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /**
   * Pages a page walk read as paging structures (guest page tables, EPT tables), and how many
   * writes through this object have hit them since: the CPU keeps translations across VM
   * transitions only while that count stands still (Cpu.switchAddressSpace).
   */
  readonly pagingPage: Uint8Array;
  pagingWrites = 0;
  /**
   * Pages written since takeWritten() (since the start: RAM is created all zero): by the write
   * methods below, or marked by markWritten (the CPU marks a page when its write TLB maps it,
   * before any store through `bytes`; the debugger marks what it writes). Snapshots compare and
   * restore only these (history/pages.ts).
   */
  private readonly writtenPage: Uint8Array;
  private writtenList: number[] = [];

  constructor(readonly size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
    this.pagingPage = new Uint8Array((size >>> 12) + 1);
    this.writtenPage = new Uint8Array((size >>> 12) + 1);
  }

  contains(addr: number, length: number): boolean {
    return addr >= 0 && addr + length <= this.size;
  }

  read8(a: number): number { return a < this.size ? this.bytes[a] : 0xff; }
  read16(a: number): number { return a + 2 <= this.size ? this.view.getUint16(a, true) : 0xffff; }
  read32(a: number): number { return a + 4 <= this.size ? this.view.getUint32(a, true) : 0xffffffff; }
  read64(a: number): bigint { return a + 8 <= this.size ? this.view.getBigUint64(a, true) : 0xffffffffffffffffn; }
  write8(a: number, v: number): void { if (a < this.size) { this.bytes[a] = v; this.written(a, 1); } }
  write16(a: number, v: number): void { if (a + 2 <= this.size) { this.view.setUint16(a, v, true); this.written(a, 2); } }
  write32(a: number, v: number): void { if (a + 4 <= this.size) { this.view.setUint32(a, v >>> 0, true); this.written(a, 4); } }
  write64(a: number, v: bigint): void { if (a + 8 <= this.size) { this.view.setBigUint64(a, BigInt.asUintN(64, v), true); this.written(a, 8); } }

  private written(a: number, size: number): void {
    const first = a >>> 12, last = (a + size - 1) >>> 12;
    if (this.pagingPage[first] || this.pagingPage[last]) this.pagingWrites++;
    this.markWritten(first);
    if (last !== first) this.markWritten(last);
  }

  /** Copy `data` in at `a`, as the loader does (no bounds but RAM's). */
  load(a: number, data: Uint8Array): void {
    this.bytes.set(data, a);
    this.markRange(a, data.length);
  }
  /** Zero [a, end). */
  zero(a: number, end: number): void {
    this.bytes.fill(0, a, end);
    this.markRange(a, end - a);
  }
  private markRange(a: number, length: number): void {
    for (let p = a >>> 12; length > 0 && p <= (a + length - 1) >>> 12; p++) this.markWritten(p);
  }

  markWritten(page: number): void {
    if (this.writtenPage[page] === 0) { this.writtenPage[page] = 1; this.writtenList.push(page); }
  }

  /** The pages written since the last call, which starts a new record. */
  takeWritten(): number[] {
    const pages = this.writtenList;
    for (const p of pages) this.writtenPage[p] = 0;
    this.writtenList = [];
    return pages;
  }
}
