// Little-endian byte cursor for ELF and DWARF sections: fixed-size integers, LEB128, C strings
// and the DWARF "initial length" (32- or 64-bit DWARF format, DWARF 5 section 7.4).

export class ByteReader {
  private readonly view: DataView;
  offset: number;

  constructor(readonly bytes: Uint8Array, offset = 0, readonly name = 'section') {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = offset;
  }

  get atEnd(): boolean { return this.offset >= this.bytes.length; }

  private need(n: number): void {
    if (this.offset + n > this.bytes.length) {
      throw new Error(`${this.name} is truncated: reading ${n} bytes at offset 0x${this.offset.toString(16)} runs past its end`);
    }
  }

  u8(): number { this.need(1); return this.bytes[this.offset++]; }
  i8(): number { this.need(1); return this.view.getInt8(this.offset++); }
  u16(): number { this.need(2); const v = this.view.getUint16(this.offset, true); this.offset += 2; return v; }
  i16(): number { this.need(2); const v = this.view.getInt16(this.offset, true); this.offset += 2; return v; }
  u32(): number { this.need(4); const v = this.view.getUint32(this.offset, true); this.offset += 4; return v; }
  i32(): number { this.need(4); const v = this.view.getInt32(this.offset, true); this.offset += 4; return v; }
  u64(): bigint { this.need(8); const v = this.view.getBigUint64(this.offset, true); this.offset += 8; return v; }
  i64(): bigint { this.need(8); const v = this.view.getBigInt64(this.offset, true); this.offset += 8; return v; }
  /** A 64-bit field used as an offset or size; section offsets always fit a JS number. */
  u64n(): number { return Number(this.u64()); }
  u24(): number { const lo = this.u16(); return lo | (this.u8() << 16); }

  /** Unsigned integer of `size` bytes (1, 2, 4 or 8) as a bigint. */
  uSized(size: number): bigint {
    switch (size) {
      case 1: return BigInt(this.u8());
      case 2: return BigInt(this.u16());
      case 4: return BigInt(this.u32());
      case 8: return this.u64();
      default: throw new Error(`${this.name}: unsupported integer size ${size}`);
    }
  }

  uleb(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.u8();
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) return result;
    }
  }

  sleb(): bigint {
    let result = 0n;
    let shift = 0n;
    let b: number;
    do {
      b = this.u8();
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
    } while (b & 0x80);
    if (b & 0x40) result -= 1n << shift;
    return result;
  }

  /** ULEB128 known to be small (abbreviation codes, register numbers, counts). */
  ulebn(): number { return Number(this.uleb()); }
  slebn(): number { return Number(this.sleb()); }

  cstring(): string {
    const end = this.bytes.indexOf(0, this.offset);
    if (end < 0) throw new Error(`${this.name}: unterminated string at offset 0x${this.offset.toString(16)}`);
    const s = decodeUtf8(this.bytes.subarray(this.offset, end));
    this.offset = end + 1;
    return s;
  }

  bytesN(n: number): Uint8Array {
    this.need(n);
    const b = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }

  /** DWARF initial length: returns the unit length and whether the unit uses the 64-bit format. */
  initialLength(): { length: number; dwarf64: boolean } {
    const l = this.u32();
    if (l === 0xffffffff) return { length: this.u64n(), dwarf64: true };
    return { length: l, dwarf64: false };
  }

  /** A section offset: 4 bytes in 32-bit DWARF, 8 in 64-bit DWARF. */
  offsetOf(dwarf64: boolean): number { return dwarf64 ? this.u64n() : this.u32(); }
}

const utf8 = new TextDecoder('utf-8');
export function decodeUtf8(b: Uint8Array): string { return utf8.decode(b); }

/** NUL-terminated string at `offset` of a string section (.strtab, .debug_str, .debug_line_str). */
export function stringAt(section: Uint8Array, offset: number, name: string): string {
  if (offset >= section.length) throw new Error(`${name}: string offset 0x${offset.toString(16)} is outside the section`);
  let end = section.indexOf(0, offset);
  if (end < 0) end = section.length;
  return decodeUtf8(section.subarray(offset, end));
}
