// Guest-visible RAM of the whole machine, addressed by (host-)physical address.
// Reads beyond RAM return all-ones and writes are dropped, like an unclaimed bus cycle.

export class PhysicalMemory {
  readonly bytes: Uint8Array;
  readonly view: DataView;

  constructor(readonly size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  contains(addr: number, length: number): boolean {
    return addr >= 0 && addr + length <= this.size;
  }

  read8(a: number): number { return a < this.size ? this.bytes[a] : 0xff; }
  read16(a: number): number { return a + 2 <= this.size ? this.view.getUint16(a, true) : 0xffff; }
  read32(a: number): number { return a + 4 <= this.size ? this.view.getUint32(a, true) : 0xffffffff; }
  read64(a: number): bigint { return a + 8 <= this.size ? this.view.getBigUint64(a, true) : 0xffffffffffffffffn; }
  write8(a: number, v: number): void { if (a < this.size) this.bytes[a] = v; }
  write16(a: number, v: number): void { if (a + 2 <= this.size) this.view.setUint16(a, v, true); }
  write32(a: number, v: number): void { if (a + 4 <= this.size) this.view.setUint32(a, v >>> 0, true); }
  write64(a: number, v: bigint): void { if (a + 8 <= this.size) this.view.setBigUint64(a, BigInt.asUintN(64, v), true); }
}
