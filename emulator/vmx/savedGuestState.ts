// What the last VM exit saved into a VMCS's guest-state area from the processor's control
// registers, debug controls, MSRs, segment registers and descriptor tables (SDM 28.3.1-28.3.2).
// Those registers rarely change while a guest runs, and the save is a function of them and of
// the VM-exit controls alone. So when a VM exit finds them as the last save left them, and no
// VMWRITE (or debugger write) touched the guest-state or control fields since, writing them
// again would change nothing and the save is skipped: the VMCS holds the same values either way.

import { loadSegment, type CpuState, type Segment } from '../cpu/state';
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

  /** True if saving `s` into `vmcs` under `exitControls` would write what the VMCS already holds. */
  unchanged(vmcs: Vmcs, s: CpuState, exitControls: number): boolean {
    if (!this.stamp.standsFor(vmcs) || this.exitControls !== exitControls) return false;
    if (this.cr0 !== s.cr0 || this.cr3 !== s.cr3 || this.cr4 !== s.cr4 || this.efer !== s.efer || this.dr7 !== s.dr[7]) return false;
    for (let i = 0; i < 8; i++) {
      const a = this.seg[i], b = s.seg[i];
      if (a.selector !== b.selector || a.base !== b.base || a.limit !== b.limit || a.attrs !== b.attrs) return false;
    }
    if (this.gdtrBase !== s.gdtr.base || this.gdtrLimit !== s.gdtr.limit || this.idtrBase !== s.idtr.base || this.idtrLimit !== s.idtr.limit) return false;
    return this.sysenterCs === s.sysenterCs && this.sysenterEsp === s.sysenterEsp && this.sysenterEip === s.sysenterEip
      && this.debugctl === s.debugctl && this.pat === s.pat;
  }

  /** Remember `s` as just saved into `vmcs` (after the save, so its own changes are counted). */
  record(vmcs: Vmcs, s: CpuState, exitControls: number): void {
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
