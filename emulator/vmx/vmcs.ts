// VMCS storage (SDM 25.1-25.2, 25.11). A VMCS is identified by the physical address of its
// region; its first 4 bytes in memory hold the revision identifier, the data itself is kept
// here (the format of the rest of the region is implementation-specific, 25.2). VMREAD and
// VMWRITE access fields by encoding with the width rules of 25.11.2.

import { FIELD_SLOT, VMCS_FIELDS, fieldGroup, fieldWidth, type Field } from './fields';

export type LaunchState = 'clear' | 'launched';

export type VmwriteResult = 'ok' | 'unsupported' | 'read-only';

const MASK16 = 0xffffn;
const MASK32 = 0xffffffffn;

export class Vmcs {
  readonly values = new BigUint64Array(VMCS_FIELDS.length);
  launchState: LaunchState = 'clear';

  constructor(readonly address: bigint) {}

  /** Full-width value of an implemented field. */
  get(field: Field): bigint { return this.values[FIELD_SLOT.get(field)!]; }
  get32(field: Field): number { return Number(this.values[FIELD_SLOT.get(field)!] & MASK32); }
  /** Store into an implemented field, truncated to its width. */
  set(field: Field, value: bigint): void { this.values[FIELD_SLOT.get(field)!] = truncate(field, value); }

  /** VMREAD semantics (31 VMREAD): the value as the destination receives it, or undefined if no such component. */
  read(encoding: bigint): bigint | undefined {
    const slot = slotOf(encoding);
    if (slot === undefined) return undefined;
    const v = this.values[slot];
    return (Number(encoding) & 1) !== 0 ? v >> 32n : v;
  }

  /** VMWRITE semantics (31 VMWRITE); `allowReadOnly` for debugger writes (and IA32_VMX_MISC[29] processors). */
  write(encoding: bigint, value: bigint, allowReadOnly: boolean): VmwriteResult {
    const slot = slotOf(encoding);
    if (slot === undefined) return 'unsupported';
    const enc = Number(encoding);
    if (!allowReadOnly && fieldGroup(enc) === 'exit-info') return 'read-only';
    if ((enc & 1) !== 0) this.values[slot] = (this.values[slot] & MASK32) | ((value & MASK32) << 32n);
    else this.values[slot] = truncate(enc, value);
    return 'ok';
  }
}

/** Storage slot for a VMREAD/VMWRITE encoding: bits 63:32 zero, a known field, high access only for 64-bit fields. */
function slotOf(encoding: bigint): number | undefined {
  if (encoding < 0n || encoding > MASK32) return undefined;
  const enc = Number(encoding);
  if ((enc & 1) !== 0 && fieldWidth(enc) !== 64) return undefined;
  return FIELD_SLOT.get(enc & ~1);
}

function truncate(encoding: number, value: bigint): bigint {
  switch (fieldWidth(encoding)) {
    case 16: return value & MASK16;
    case 32: return value & MASK32;
    default: return BigInt.asUintN(64, value);
  }
}
