// VMCS storage (SDM 25.1-25.2, 25.11). A VMCS is identified by the physical address of its
// region; its first 4 bytes in memory hold the revision identifier, the data itself is kept
// here (the format of the rest of the region is implementation-specific, 25.2). VMREAD and
// VMWRITE access fields by encoding with the width rules of 25.11.2. Each field is held as two
// 32-bit halves so the 16- and 32-bit fields that VM entry and exit touch most need no BigInt.

import { FIELD_SLOT, VMCS_FIELDS, fieldGroup, fieldWidth, type Field } from './fields';

export type LaunchState = 'clear' | 'launched';

export type VmwriteResult = 'ok' | 'unsupported' | 'read-only';

const MASK32 = 0xffffffffn;

export class Vmcs {
  readonly lo = new Uint32Array(VMCS_FIELDS.length);
  readonly hi = new Uint32Array(VMCS_FIELDS.length);
  launchState: LaunchState = 'clear';
  /**
   * Changes of value per field group, indexed by encoding bits 11:10 (control, exit information,
   * guest, host; SDM 25.11.2): VM entry skips the checks of a group that did not change since
   * they last passed on this VMCS (entry.ts).
   */
  readonly changes = new Uint32Array(4);

  constructor(readonly address: bigint) {}

  /** Full-width value of an implemented field. */
  get(field: Field): bigint {
    const slot = FIELD_SLOT[field >> 1];
    const hi = this.hi[slot];
    return hi === 0 ? BigInt(this.lo[slot]) : (BigInt(hi) << 32n) | BigInt(this.lo[slot]);
  }
  /** Bits 63:32 of an implemented field. */
  high(field: Field): number { return this.hi[FIELD_SLOT[field >> 1]]; }
  /** Bits 31:0 of an implemented field. */
  get32(field: Field): number { return this.lo[FIELD_SLOT[field >> 1]]; }
  /** Store into an implemented field, truncated to its width. */
  set(field: Field, value: bigint): void {
    const slot = FIELD_SLOT[field >> 1];
    const width = fieldWidth(field);
    const lo = this.lo[slot], hi = this.hi[slot];
    if (value >= 0n && value <= MASK32) {
      this.lo[slot] = Number(value);
      this.hi[slot] = 0;
    } else {
      this.lo[slot] = Number(value & MASK32);
      this.hi[slot] = width === 16 || width === 32 ? 0 : Number((value >> 32n) & MASK32);
    }
    if (width === 16) this.lo[slot] &= 0xffff;
    if (this.lo[slot] !== lo || this.hi[slot] !== hi) this.changes[(field >> 10) & 3]++;
  }
  /** Store a value below 2^32 (truncated to 16 bits for 16-bit fields). */
  set32(field: Field, value: number): void {
    const slot = FIELD_SLOT[field >> 1];
    const lo = fieldWidth(field) === 16 ? value & 0xffff : value >>> 0;
    if (this.lo[slot] === lo && this.hi[slot] === 0) return;
    this.lo[slot] = lo;
    this.hi[slot] = 0;
    this.changes[(field >> 10) & 3]++;
  }

  /** VMREAD semantics (31 VMREAD): the value as the destination receives it, or undefined if no such component. */
  read(encoding: bigint): bigint | undefined {
    const slot = slotOf(encoding);
    if (slot === undefined) return undefined;
    const full = VMCS_FIELDS[slot].encoding;
    return (Number(encoding) & 1) !== 0 ? BigInt(this.hi[slot]) : this.get(full);
  }

  /** VMWRITE semantics (31 VMWRITE); `allowReadOnly` for debugger writes (and IA32_VMX_MISC[29] processors). */
  write(encoding: bigint, value: bigint, allowReadOnly: boolean): VmwriteResult {
    const slot = slotOf(encoding);
    if (slot === undefined) return 'unsupported';
    const enc = Number(encoding);
    if (!allowReadOnly && fieldGroup(enc) === 'exit-info') return 'read-only';
    if ((enc & 1) !== 0) {
      const hi = Number(value & MASK32);
      if (this.hi[slot] !== hi) { this.hi[slot] = hi; this.changes[(enc >> 10) & 3]++; }
    } else this.set(enc, value);
    return 'ok';
  }

  /** Every field's value, in VMCS_FIELDS order (snapshots). */
  values(): bigint[] { return VMCS_FIELDS.map(f => this.get(f.encoding)); }
  restoreValues(values: readonly bigint[]): void { VMCS_FIELDS.forEach((f, i) => this.set(f.encoding, values[i])); }
}

/** Storage slot for a VMREAD/VMWRITE encoding: bits 63:32 zero, a known field, high access only for 64-bit fields. */
function slotOf(encoding: bigint): number | undefined {
  if (encoding < 0n || encoding > MASK32) return undefined;
  const enc = Number(encoding);
  if ((enc & ~0x6fff) !== 0) return undefined; // bit 12 and bits 31:15 reserved
  if ((enc & 1) !== 0 && fieldWidth(enc) !== 64) return undefined;
  const slot = FIELD_SLOT[enc >> 1];
  return slot < 0 ? undefined : slot;
}
