// What the last VM exit saved into a VMCS's guest-state area from the processor's control
// registers, debug controls, MSRs, segment registers and descriptor tables (SDM 28.3.1-28.3.2).
// Those registers rarely change while a guest runs, and the save is a function of them and of
// the VM-exit controls alone. So when a VM exit finds them as the last save left them, and no
// VMWRITE (or debugger write) touched the guest-state or control fields since, writing them
// again would change nothing and the save is skipped: the VMCS holds the same values either way.
// Finding that out compares some 50 values (~8 % of a minimal exit + entry); VM entry makes the
// comparison instead (entered), once per guest-state image while the registers entry takes from
// the processor stay the same, and an exit with no change to the CPU state since (VmxCpu.systemWrites)
// needs none.

import { loadSegment, type CpuState, type Segment } from '../cpu/state';
import type { GuestStateImage } from './guestStateImage';
import { ChangeGroup, type Vmcs } from './vmcs';
import { VmcsStamp } from './vmcsStamp';

export class SavedGuestState {
  /** The VMCS saved into, with its control and guest-state counts after the save. */
  private readonly stamp = new VmcsStamp(ChangeGroup.Guest);
  private exitControls = 0;
  private cr0 = 0;
  private cr3 = 0n;
  private cr4 = 0;
  private efer = 0;
  private dr7 = 0n;
  private debugctl = 0n;
  private sysenterCs = 0n;
  private sysenterEsp = 0n;
  private sysenterEip = 0n;
  private pat = 0n;
  private readonly seg: Segment[] = Array.from({ length: 8 }, () => ({ selector: 0, base: 0n, limit: 0, attrs: 0 }));
  private gdtrBase = 0n;
  private gdtrLimit = 0;
  private idtrBase = 0n;
  private idtrLimit = 0;
  /** Saves recorded: an entry's match (entered) is with one of them. */
  private version = 0;
  /** The image, and the save, of the last entry that found the registers as saved from that image alone. */
  private matchedImage: GuestStateImage | undefined = undefined;
  private matchedVersion = -1;
  /** VmxCpu.systemWrites when the last VM entry left the registers as saved; -1 if it did not (or an exit used it). */
  private asSavedAt = -1;

  /**
   * VM entry has loaded the guest (image `g`; `fromImageAlone`: no VM-entry MSR-load area wrote
   * registers after it) into `s`, and the CPU's count of possible state changes is `writes`:
   * note whether `s` holds what the last save recorded.
   */
  entered(vmcs: Vmcs, s: CpuState, exitControls: number, g: GuestStateImage, fromImageAlone: boolean, writes: number): void {
    // The same image loads the same values as when they matched this save, but for the registers
    // entry keeps from the processor, whole or in part (27.3.2.1): then only those are compared.
    const sameImage = fromImageAlone && g === this.matchedImage && this.matchedVersion === this.version;
    const same = this.savedInto(vmcs, exitControls) && (sameImage ? this.sameKeptFromProcessor(s) : this.sameRegisters(s));
    if (!sameImage) {
      this.matchedImage = same && fromImageAlone ? g : undefined;
      this.matchedVersion = this.version;
    }
    this.asSavedAt = same ? writes : -1;
  }

  /**
   * True if saving `s` into `vmcs` under `exitControls` would write what the VMCS already holds;
   * at once if the last entry left `s` as saved and `writes` (VmxCpu.systemWrites) has not moved since.
   */
  unchanged(vmcs: Vmcs, s: CpuState, exitControls: number, writes: number): boolean {
    const asSaved = this.asSavedAt === writes;
    this.asSavedAt = -1;
    return this.savedInto(vmcs, exitControls) && (asSaved || this.sameRegisters(s));
  }

  /** The last save went into `vmcs` as it is now, under these exit controls. */
  private savedInto(vmcs: Vmcs, exitControls: number): boolean {
    return this.stamp.standsFor(vmcs) && this.exitControls === exitControls;
  }

  /** The registers VM entry may keep from the processor, whole or in part (27.3.2.1). */
  private sameKeptFromProcessor(s: CpuState): boolean {
    return s.cr0 === this.cr0 && s.efer === this.efer && s.dr[7] === this.dr7 && s.debugctl === this.debugctl && s.pat === this.pat;
  }

  /** Every register the save records: those entry may keep from the processor, and the rest. */
  private sameRegisters(s: CpuState): boolean {
    if (!this.sameKeptFromProcessor(s) || this.cr3 !== s.cr3 || this.cr4 !== s.cr4) return false;
    for (let i = 0; i < 8; i++) {
      const a = this.seg[i], b = s.seg[i];
      if (a.selector !== b.selector || a.base !== b.base || a.limit !== b.limit || a.attrs !== b.attrs) return false;
    }
    if (this.gdtrBase !== s.gdtr.base || this.gdtrLimit !== s.gdtr.limit || this.idtrBase !== s.idtr.base || this.idtrLimit !== s.idtr.limit) return false;
    return this.sysenterCs === s.sysenterCs && this.sysenterEsp === s.sysenterEsp && this.sysenterEip === s.sysenterEip;
  }

  /** Remember `s` as just saved into `vmcs` (after the save, so its own changes are counted). */
  record(vmcs: Vmcs, s: CpuState, exitControls: number): void {
    this.version++;
    this.stamp.take(vmcs);
    this.exitControls = exitControls;
    this.cr0 = s.cr0; this.cr3 = s.cr3; this.cr4 = s.cr4; this.efer = s.efer; this.dr7 = s.dr[7];
    for (let i = 0; i < 8; i++) loadSegment(this.seg[i], s.seg[i]);
    this.gdtrBase = s.gdtr.base; this.gdtrLimit = s.gdtr.limit;
    this.idtrBase = s.idtr.base; this.idtrLimit = s.idtr.limit;
    this.sysenterCs = s.sysenterCs; this.sysenterEsp = s.sysenterEsp; this.sysenterEip = s.sysenterEip;
    this.debugctl = s.debugctl; this.pat = s.pat;
  }
}
