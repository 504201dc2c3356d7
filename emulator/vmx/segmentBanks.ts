// The segment registers of the side a VM transition left, kept aside in their own objects: the
// transition back swaps the arrays (CpuState.seg) instead of copying four fields of eight
// registers, and copies only when what was kept aside is not what that transition loads.
// Copying took ~8 % of a minimal exit + entry (docs/performance.md, ninth session).
//
// What the array in CpuState holds is known from the image it was loaded from while
// Cpu.systemWrites has not moved since (every instruction that writes a segment register is
// stepped, the debugger's writes and restores flush the TLB: all count); the few writes at a
// transition itself that do not count (an event entry injects, MSR-load lists) call `touched`.

import { loadSegment, SEG_ATTR_UNUSABLE, type CpuState, type Segment } from '../cpu/state';

/** What a VM transition loads the segment registers from (GuestStateImage, HostStateImage). */
export interface SegmentSource { readonly seg: readonly Segment[] }

const unusable = (): Segment[] => Array.from({ length: 8 }, () => ({ selector: 0, base: 0n, limit: 0, attrs: SEG_ATTR_UNUSABLE }));

export class SegmentBanks {
  /** The registers of the side left last, and the image they equal (undefined: unknown). */
  private aside = unusable();
  private asideFrom: SegmentSource | undefined;
  /** The image CpuState.seg was loaded from at the last transition, and Cpu.systemWrites when that transition ended. */
  private loadedFrom: SegmentSource | undefined;
  private loadedAt = -1;

  /** Give `s` the segment registers of `image` (27.3.2.2, 28.5.2); `writes` is Cpu.systemWrites now. */
  load(s: CpuState, image: SegmentSource, writes: number): void {
    const leaving = s.seg, into = this.aside;
    if (this.asideFrom !== image) for (let i = 0; i < 8; i++) loadSegment(into[i], image.seg[i]);
    s.seg = into;
    this.aside = leaving;
    this.asideFrom = writes === this.loadedAt ? this.loadedFrom : undefined;
    this.loadedFrom = image;
  }

  /** The transition that loaded them ended with Cpu.systemWrites at `writes`. */
  settled(writes: number): void { this.loadedAt = writes; }

  /** The registers loaded changed without Cpu.systemWrites counting it. */
  touched(): void { this.loadedFrom = undefined; }
}
