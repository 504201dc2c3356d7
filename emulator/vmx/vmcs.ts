// VMCS storage (SDM 25.1-25.2, 25.11). A VMCS is identified by the physical address of its
// region; its first 4 bytes in memory hold the revision identifier, the data itself is kept
// here (the format of the rest of the region is implementation-specific, 25.2). VMREAD and
// VMWRITE access fields by encoding with the width rules of 25.11.2. Each field is held as two
// 32-bit halves so the 16- and 32-bit fields that VM entry and exit touch most need no BigInt.

import { HALVES, join, split } from '../cpu/halves';
import { FIELD_SLOT, VMCS_FIELDS, Field, fieldGroup, fieldWidth } from './fields';

export type LaunchState = 'clear' | 'launched';

export type VmwriteResult = 'ok' | 'unsupported' | 'read-only';

const MASK32 = 0xffffffffn;

/**
 * Vmcs.changes indexes: the field groups of encoding bits 11:10 (SDM 25.11.2), and apart from
 * the rest of the guest-state area the guest fields the checks at every VM entry read (entry.ts):
 * see ENTRY_CHECKED.
 */
export const enum ChangeGroup { Control = 0, ExitInformation = 1, Guest = 2, Host = 3, EntryCheckedGuest = 4 }
/**
 * Guest fields that most VM exits save with new values and that only the guest-state checks
 * VM entry always runs (RIP and RFLAGS 27.3.1.4, non-register state 27.3.1.5) read: their
 * changes are counted apart, so the other guest-state checks can be skipped while the rest of
 * the guest-state area stands.
 */
const ENTRY_CHECKED = new Set<number>([
  Field.GUEST_RIP, Field.GUEST_RSP, Field.GUEST_RFLAGS, Field.GUEST_INTERRUPTIBILITY, Field.GUEST_ACTIVITY_STATE,
  Field.GUEST_PENDING_DBG_EXCEPTIONS, Field.VMX_PREEMPTION_TIMER_VALUE,
]);
/** Per slot: which Vmcs.changes counter a change of the field counts in, and its width. */
const CHANGE_GROUP = Uint8Array.from(VMCS_FIELDS, (f) => (ENTRY_CHECKED.has(f.encoding) ? ChangeGroup.EntryCheckedGuest : (f.encoding >> 10) & 3));
const WIDTH = VMCS_FIELDS.map((f) => f.width);

export class Vmcs {
  readonly lo = new Uint32Array(VMCS_FIELDS.length);
  readonly hi = new Uint32Array(VMCS_FIELDS.length);
  /** Each field's value as the bigint last read or made, until the field changes: VM entry and exit read the same ones again and again. */
  private readonly big: (bigint | undefined)[] = new Array<bigint | undefined>(VMCS_FIELDS.length).fill(undefined);
  launchState: LaunchState = 'clear';
  /**
   * Changes of value per field group (ChangeGroup): VM entry skips the checks of a group that did
   * not change since they last passed on this VMCS, and caches stamped with the counts
   * (vmcsStamp.ts) stand while they do.
   */
  readonly changes = new Uint32Array(5);
  // The fields as the last VM exit left them (markExit), for the debugger: a field's value then
  // is logged at its first change after the exit. Copying every field at each exit cost ~3 % of
  // a minimal exit + entry.
  private exitMarks = 0;
  private readonly loggedAt = new Uint32Array(VMCS_FIELDS.length);
  private readonly exitLo = new Uint32Array(VMCS_FIELDS.length);
  private readonly exitHi = new Uint32Array(VMCS_FIELDS.length);

  constructor(readonly address: bigint) {}

  /** A VM exit has just left the VMCS as it is: atExit gives these values until the next mark. */
  markExit(): void {
    if (++this.exitMarks === 2 ** 32) this.restartMarks();
  }
  /** loggedAt would wrap onto old marks: forget them all (at a mark the view is the VMCS itself). */
  private restartMarks(): void {
    this.loggedAt.fill(0);
    this.exitMarks = 1;
  }
  /** The value of the field in `slot` (VMCS_FIELDS) at the last markExit, into HALVES. */
  atExit(slot: number): void {
    const logged = this.loggedAt[slot] === this.exitMarks;
    HALVES[0] = logged ? this.exitLo[slot] : this.lo[slot];
    HALVES[1] = logged ? this.exitHi[slot] : this.hi[slot];
  }

  /** Full-width value of an implemented field. */
  get(field: Field): bigint {
    const slot = FIELD_SLOT[field >> 1];
    let v = this.big[slot];
    if (v === undefined) {
      v = join(this.lo[slot], this.hi[slot]);
      this.big[slot] = v;
    }
    return v;
  }
  /** Bits 63:32 of an implemented field. */
  high(field: Field): number { return this.hi[FIELD_SLOT[field >> 1]]; }
  /** The field as a signed number: exact for a canonical address or a value below 2^32 (RIP after the entry checks). */
  signed(field: Field): number { const slot = FIELD_SLOT[field >> 1]; return (this.hi[slot] | 0) * 4294967296 + this.lo[slot]; }
  /** Bits 31:0 of an implemented field. */
  get32(field: Field): number { return this.lo[FIELD_SLOT[field >> 1]]; }
  /** Store into an implemented field, truncated to its width. */
  set(field: Field, value: bigint): void {
    const slot = FIELD_SLOT[field >> 1];
    if (this.big[slot] === value) return;
    split(value);
    this.store(slot, HALVES[0], HALVES[1]);
  }
  /** Store a canonical address held as a signed number (CpuState.ripNum), without a bigint. */
  setSigned(field: Field, n: number): void {
    this.store(FIELD_SLOT[field >> 1], n >>> 0, Math.floor(n / 4294967296) >>> 0);
  }
  /** Store a value given as its 32-bit halves. */
  setHalves(field: Field, lo: number, hi: number): void { this.store(FIELD_SLOT[field >> 1], lo, hi); }
  /** Store a value below 2^32 (truncated to 16 bits for 16-bit fields). */
  set32(field: Field, value: number): void {
    const slot = FIELD_SLOT[field >> 1];
    const lo = WIDTH[slot] === 16 ? value & 0xffff : value >>> 0;
    if (this.lo[slot] !== lo || this.hi[slot] !== 0) this.change(slot, lo, 0);
  }

  /**
   * The slot (VMCS_FIELDS) of a field 32 or more bits wide, for the writes every VM exit makes
   * (set32At): set32 by encoding, not inlined there, was ~8 % of a minimal exit + entry.
   */
  static slotOf(field: Field): number {
    const slot = FIELD_SLOT[field >> 1];
    if (slot < 0 || WIDTH[slot] === 16) throw new Error(`VMCS field 0x${field.toString(16)} is not implemented or is 16 bits wide`);
    return slot;
  }
  /** set32 by slot (slotOf). */
  set32At(slot: number, value: number): void {
    const lo = value >>> 0;
    if (this.lo[slot] !== lo || this.hi[slot] !== 0) this.change(slot, lo, 0);
  }

  private store(slot: number, lo: number, hi: number): void {
    const width = WIDTH[slot];
    if (width === 16) { lo &= 0xffff; hi = 0; } else if (width === 32) hi = 0;
    if (this.lo[slot] !== lo || this.hi[slot] !== hi) this.change(slot, lo, hi);
  }

  /** A field's new value: its bigint is made again when read, and its group's change is counted. */
  private change(slot: number, lo: number, hi: number): void {
    if (this.loggedAt[slot] !== this.exitMarks) {
      this.loggedAt[slot] = this.exitMarks;
      this.exitLo[slot] = this.lo[slot];
      this.exitHi[slot] = this.hi[slot];
    }
    this.lo[slot] = lo;
    this.hi[slot] = hi;
    this.big[slot] = undefined;
    this.changes[CHANGE_GROUP[slot]]++;
  }

  /**
   * VMREAD semantics (31 VMREAD) for an encoding given as its 32-bit halves, as the instruction
   * reads it from a register: the value the destination receives into HALVES; false if there is
   * no such component. No bigint is made.
   */
  readHalves(encLo: number, encHi: number): boolean {
    const slot = slotOf(encLo, encHi);
    if (slot < 0) return false;
    if ((encLo & 1) !== 0) { HALVES[0] = this.hi[slot]; HALVES[1] = 0; } else { HALVES[0] = this.lo[slot]; HALVES[1] = this.hi[slot]; }
    return true;
  }
  /** readHalves for the debugger: the value, or undefined if no such component. */
  read(encoding: bigint): bigint | undefined {
    if (encoding < 0n || encoding > MASK32) return undefined;
    return this.readHalves(Number(encoding), 0) ? join(HALVES[0], HALVES[1]) : undefined;
  }

  /** VMWRITE semantics (31 VMWRITE) on halves; `allowReadOnly` for debugger writes (and IA32_VMX_MISC[29] processors). */
  writeHalves(encLo: number, encHi: number, lo: number, hi: number, allowReadOnly: boolean): VmwriteResult {
    const slot = slotOf(encLo, encHi);
    if (slot < 0) return 'unsupported';
    if (!allowReadOnly && fieldGroup(encLo) === 'exit-info') return 'read-only';
    if ((encLo & 1) !== 0) this.store(slot, this.lo[slot], lo);
    else this.store(slot, lo, hi);
    return 'ok';
  }
  /** writeHalves for the debugger. */
  write(encoding: bigint, value: bigint, allowReadOnly: boolean): VmwriteResult {
    if (encoding < 0n || encoding > MASK32) return 'unsupported';
    split(value);
    return this.writeHalves(Number(encoding), 0, HALVES[0], HALVES[1], allowReadOnly);
  }

  /** Every field's value, in VMCS_FIELDS order (snapshots). */
  values(): bigint[] { return VMCS_FIELDS.map(f => this.get(f.encoding)); }
  restoreValues(values: readonly bigint[]): void { VMCS_FIELDS.forEach((f, i) => this.set(f.encoding, values[i])); }
}

/** Storage slot for a VMREAD/VMWRITE encoding (halves): bits 63:32 zero, a known field, high access only for 64-bit fields; -1 if none. */
function slotOf(lo: number, hi: number): number {
  if (hi !== 0 || (lo & ~0x6fff) !== 0) return -1; // bit 12 and bits 63:15 reserved
  if ((lo & 1) !== 0 && fieldWidth(lo) !== 64) return -1;
  return FIELD_SLOT[lo >> 1];
}
