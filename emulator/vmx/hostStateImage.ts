// What a VM exit loads into the processor from the host-state area under the VM-exit controls
// (SDM 28.5.1-28.5.3), decoded from the VMCS once and kept while no host-state or control
// field changes: a VM exit used to read some 30 fields one by one, ~10 % of a minimal exit +
// entry (docs/performance.md). exit.ts applies it; the bits a VM exit keeps from the
// processor (CR0's, EFER's without "load IA32_EFER") are merged there.

import { Cr0, Cr4, Seg, SEG_ATTR_UNUSABLE, type Segment } from '../cpu/state';
import { ExitCtl } from './controls';
import { Field } from './fields';
import { ChangeGroup, type Vmcs } from './vmcs';
import { VmcsStamp } from './vmcsStamp';

/** CR0 bits a VM exit leaves alone (28.5.1): ET, CD, NW, 28:19, 17, 15:6. */
export const CR0_EXIT_PRESERVED = (Cr0.ET | Cr0.CD | Cr0.NW | 0x1ff80000 | 0x20000 | 0xffc0) >>> 0;
/** Segment attributes a VM exit loads (28.5.2), in the VMCS access-rights layout. */
const AR_CODE64 = 0xa09b, AR_CODE32 = 0xc09b, AR_DATA = 0xc093, AR_TSS64_BUSY = 0x008b;
/** SS, DS, ES (base 0) and FS, GS (base from the VMCS) as a VM exit loads them (28.5.2). */
const HOST_DATA_SEGS: ReadonlyArray<readonly [Seg, Field, Field | undefined]> = [
  [Seg.SS, Field.HOST_SS_SELECTOR, undefined], [Seg.DS, Field.HOST_DS_SELECTOR, undefined], [Seg.ES, Field.HOST_ES_SELECTOR, undefined],
  [Seg.FS, Field.HOST_FS_SELECTOR, Field.HOST_FS_BASE], [Seg.GS, Field.HOST_GS_SELECTOR, Field.HOST_GS_BASE],
];

export class HostStateImage {
  /** The VMCS and its counts this image was decoded at. */
  private readonly stamp = new VmcsStamp(ChangeGroup.Host);
  /** "Host address-space size" (28.5). */
  readonly hass: boolean;
  /** HOST_CR0 without the bits the exit preserves. */
  readonly cr0: number;
  readonly cr3: bigint;
  readonly cr4: number;
  readonly sysenterCs: bigint;
  readonly sysenterEsp: bigint;
  readonly sysenterEip: bigint;
  /** Loaded only with "load IA32_PAT" / "load IA32_EFER". */
  readonly pat: bigint | undefined;
  readonly efer: number | undefined;
  /** Every segment register as the exit loads it, by Seg index. */
  readonly seg: Segment[] = [];
  readonly gdtrBase: bigint;
  readonly idtrBase: bigint;
  readonly rip: number;
  readonly rsp: bigint;
  readonly msrLoadAddress: bigint;
  readonly msrLoadCount: number;

  private constructor(vmcs: Vmcs) {
    this.stamp.take(vmcs);
    const exitCtl = vmcs.get32(Field.VM_EXIT_CONTROLS);
    const hass = (exitCtl & ExitCtl.HOST_ADDRESS_SPACE_SIZE) !== 0;
    this.hass = hass;
    // 28.5.1 control registers, debug registers, MSRs
    this.cr0 = (vmcs.get32(Field.HOST_CR0) & ~CR0_EXIT_PRESERVED) >>> 0;
    this.cr3 = vmcs.get(Field.HOST_CR3);
    const cr4 = vmcs.get32(Field.HOST_CR4) | Cr4.VMXE;
    this.cr4 = (hass ? cr4 | Cr4.PAE : cr4 & ~Cr4.PCIDE) >>> 0;
    this.sysenterCs = vmcs.get(Field.HOST_SYSENTER_CS);
    this.sysenterEsp = narrow(vmcs.get(Field.HOST_SYSENTER_ESP), hass);
    this.sysenterEip = narrow(vmcs.get(Field.HOST_SYSENTER_EIP), hass);
    this.pat = (exitCtl & ExitCtl.LOAD_PAT) !== 0 ? vmcs.get(Field.HOST_IA32_PAT) : undefined;
    this.efer = (exitCtl & ExitCtl.LOAD_EFER) !== 0 ? Number(vmcs.get(Field.HOST_IA32_EFER)) : undefined;
    // 28.5.2 segment registers and descriptor tables
    this.seg[Seg.CS] = { selector: vmcs.get32(Field.HOST_CS_SELECTOR), base: 0n, limit: 0xffffffff, attrs: hass ? AR_CODE64 : AR_CODE32 };
    for (const [seg, f, b] of HOST_DATA_SEGS) {
      const selector = vmcs.get32(f);
      this.seg[seg] = { selector, base: b === undefined ? 0n : vmcs.get(b), limit: 0xffffffff, attrs: selector === 0 ? SEG_ATTR_UNUSABLE : AR_DATA };
    }
    this.seg[Seg.TR] = { selector: vmcs.get32(Field.HOST_TR_SELECTOR), base: vmcs.get(Field.HOST_TR_BASE), limit: 0x67, attrs: AR_TSS64_BUSY };
    this.seg[Seg.LDTR] = { selector: 0, base: 0n, limit: 0, attrs: SEG_ATTR_UNUSABLE };
    this.gdtrBase = vmcs.get(Field.HOST_GDTR_BASE);
    this.idtrBase = vmcs.get(Field.HOST_IDTR_BASE);
    // 28.5.3 RIP and RSP; RIP is canonical (27.2.3), bits 63:32 cleared without "host address-space size"
    this.rip = hass ? vmcs.signed(Field.HOST_RIP) : vmcs.get32(Field.HOST_RIP);
    this.rsp = vmcs.get(Field.HOST_RSP);
    // 28.6
    this.msrLoadAddress = vmcs.get(Field.VM_EXIT_MSR_LOAD_ADDR);
    this.msrLoadCount = vmcs.get32(Field.VM_EXIT_MSR_LOAD_COUNT);
  }

  /** The image of `vmcs`: `kept` while it is of the same VMCS and no control or host-state field changed since. */
  static of(vmcs: Vmcs, kept: HostStateImage | undefined): HostStateImage {
    return kept !== undefined && kept.stamp.standsFor(vmcs) ? kept : new HostStateImage(vmcs);
  }
}

/** 28.5.1: with "host address-space size" 0, bits 63:32 of the SYSENTER MSRs (and of RIP) are cleared. */
function narrow(v: bigint, hass: boolean): bigint { return hass ? v : v & 0xffffffffn; }
