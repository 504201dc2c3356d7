// What VM entry loads into the processor from the guest-state area's control registers, debug
// controls, MSRs, segment registers and descriptor tables under the VM-entry controls (SDM
// 27.3.2.1-27.3.2.3), decoded from the VMCS once and kept while no guest-state or control
// field changes. VM exits save those registers only when they changed (savedGuestState.ts),
// so a guest that leaves them alone is entered without reading some 45 fields. RIP, RSP,
// RFLAGS and the non-register state change at nearly every exit and are read by entry.ts
// itself; so are the bits VM entry keeps from the processor (CR0's, EFER's without "load
// IA32_EFER").

import { Cr0, Seg, SEG_ATTR_UNUSABLE, type Segment } from '../cpu/state';
import { EntryCtl } from './controls';
import { Field } from './fields';
import { ChangeGroup, type Vmcs } from './vmcs';
import { VmcsStamp } from './vmcsStamp';

/** CR0 bits VM entry never modifies (27.3.2.1): ET, reserved 15:6, 17 and 28:19, NW and CD. */
export const CR0_ENTRY_PRESERVED = (Cr0.ET | 0xffc0 | 0x20000 | 0x1ff80000 | Cr0.NW | Cr0.CD) >>> 0;
const SEG_ORDER = [Seg.ES, Seg.CS, Seg.SS, Seg.DS, Seg.FS, Seg.GS, Seg.LDTR, Seg.TR];

export class GuestStateImage {
  /** The VMCS and its counts this image was decoded at. */
  private readonly stamp = new VmcsStamp(ChangeGroup.Guest);
  /** The "IA-32e mode guest" entry control. */
  readonly ia32e: boolean;
  /** GUEST_CR0 without the bits entry preserves. */
  readonly cr0: number;
  readonly cr3: bigint;
  readonly cr4: number;
  /** Loaded only with "load debug controls" / "load IA32_PAT" / "load IA32_EFER". */
  readonly dr7: bigint | undefined;
  readonly debugctl: bigint | undefined;
  readonly pat: bigint | undefined;
  readonly efer: number | undefined;
  readonly sysenterCs: bigint;
  readonly sysenterEsp: bigint;
  readonly sysenterEip: bigint;
  /** Every segment register as entry loads it, by Seg index. */
  readonly seg: Segment[] = [];
  readonly gdtrBase: bigint;
  readonly gdtrLimit: number;
  readonly idtrBase: bigint;
  readonly idtrLimit: number;

  private constructor(vmcs: Vmcs) {
    this.stamp.take(vmcs);
    const entry = vmcs.get32(Field.VM_ENTRY_CONTROLS);
    this.ia32e = (entry & EntryCtl.IA32E_MODE_GUEST) !== 0;
    this.cr0 = (vmcs.get32(Field.GUEST_CR0) & ~CR0_ENTRY_PRESERVED) >>> 0;
    this.cr3 = vmcs.get(Field.GUEST_CR3);
    this.cr4 = vmcs.get32(Field.GUEST_CR4);
    const debug = (entry & EntryCtl.LOAD_DEBUG_CONTROLS) !== 0;
    // DR7 bits 12 and 15:14 are loaded as 0, bit 10 as 1.
    this.dr7 = debug ? (vmcs.get(Field.GUEST_DR7) & ~0xd000n) | 0x400n : undefined;
    this.debugctl = debug ? vmcs.get(Field.GUEST_IA32_DEBUGCTL) : undefined;
    this.pat = (entry & EntryCtl.LOAD_PAT) !== 0 ? vmcs.get(Field.GUEST_IA32_PAT) : undefined;
    this.efer = (entry & EntryCtl.LOAD_EFER) !== 0 ? Number(vmcs.get(Field.GUEST_IA32_EFER)) : undefined;
    this.sysenterCs = vmcs.get(Field.GUEST_SYSENTER_CS);
    this.sysenterEsp = vmcs.get(Field.GUEST_SYSENTER_ESP);
    this.sysenterEip = vmcs.get(Field.GUEST_SYSENTER_EIP);
    for (let i = 0; i < SEG_ORDER.length; i++) {
      const seg = SEG_ORDER[i];
      const attrs = vmcs.get32(Field.GUEST_ES_AR + 2 * i) & 0x1f0ff;
      // 27.3.2.2: bits 63:32 of an unusable SS, DS or ES base are cleared.
      const base = vmcs.get(Field.GUEST_ES_BASE + 2 * i);
      const clearHigh = (attrs & SEG_ATTR_UNUSABLE) !== 0 && (seg === Seg.SS || seg === Seg.DS || seg === Seg.ES);
      this.seg[seg] = {
        selector: vmcs.get32(Field.GUEST_ES_SELECTOR + 2 * i), base: clearHigh ? base & 0xffffffffn : base,
        limit: vmcs.get32(Field.GUEST_ES_LIMIT + 2 * i), attrs,
      };
    }
    this.gdtrBase = vmcs.get(Field.GUEST_GDTR_BASE);
    this.gdtrLimit = vmcs.get32(Field.GUEST_GDTR_LIMIT);
    this.idtrBase = vmcs.get(Field.GUEST_IDTR_BASE);
    this.idtrLimit = vmcs.get32(Field.GUEST_IDTR_LIMIT);
  }

  /** The image of `vmcs`: `kept` while it is of the same VMCS and no control or guest-state field changed since. */
  static of(vmcs: Vmcs, kept: GuestStateImage | undefined): GuestStateImage {
    return kept !== undefined && kept.stamp.standsFor(vmcs) ? kept : new GuestStateImage(vmcs);
  }
}
