// A bare 64-bit environment around the interpreter for the differential and fuzz tests:
// identity-free 4-level paging that maps chosen linear pages, a GDT with kernel and user
// 64-bit segments, a TSS whose IST1 stack receives every exception, and an IDT whose gate for
// vector v points at HANDLER_BASE + 16*v. The code under test runs at CPL 3 like the native
// runner; arriving at a handler address identifies the exception (SDM vol. 3A 6.14).

import { Cpu } from '../../emulator/cpu/cpu';
import { CpuState, Cr0, Cr4, Efer, Seg } from '../../emulator/cpu/state';
import type { IoBus } from '../../emulator/cpu/vmxUnit';
import { PhysicalMemory } from '../../emulator/memory/physical';

const PML4 = 0x1000, PDPT = 0x2000, PD = 0x3000, PT_POOL = 0x4000;
const SYSTEM_LINEAR = 0x3000_0000;
export const GDT_LINEAR = SYSTEM_LINEAR, IDT_LINEAR = SYSTEM_LINEAR + 0x1000, TSS_LINEAR = SYSTEM_LINEAR + 0x2000;
export const HANDLER_BASE = SYSTEM_LINEAR + 0x3000;
const IST_TOP = SYSTEM_LINEAR + 0x6000;
// The user selectors are Linux's (__USER_DS, __USER_CS; DS/ES/FS/GS null), so MOV r, Sreg
// reads the same values as in the native runner's process.
const KERNEL_CS = 0x08, USER_DS = 0x2b, USER_CS = 0x33, TSS_SEL = 0x40;
/** Vectors whose delivery pushes an error code (SDM 6.13). */
const ERROR_CODE_VECTORS = new Set([8, 10, 11, 12, 13, 14, 17, 21]);

export interface ExceptionFrame { vector: number; errorCode?: number; rip: bigint; rflags: number; rsp: bigint }

const NO_IO: IoBus = { in: () => 0xffffffff, out: () => undefined };

export class FlatMachine {
  readonly state = new CpuState();
  readonly phys: PhysicalMemory;
  readonly cpu: Cpu;
  private nextPt = PT_POOL;
  private nextFrame: number;
  private readonly ptOf = new Map<number, number>();

  /** `physSize` bytes of RAM; page frames for mappings are taken from 1 MiB upwards. `io`: the port bus IN/OUT reach. */
  constructor(physSize = 4 << 20, io: IoBus = NO_IO) {
    this.phys = new PhysicalMemory(physSize);
    this.nextFrame = 0x10_0000;
    this.cpu = new Cpu(this.state, this.phys, io);
    const p = this.phys;
    p.write64(PML4, BigInt(PDPT | 7));
    p.write64(PDPT, BigInt(PD | 7));
    for (let i = 0; i < 6; i++) this.map(SYSTEM_LINEAR + i * 0x1000, false);
    this.buildSystemTables();
    this.reset();
  }

  /** Map the 4 KiB page at `linear` (below 1 GiB) to a fresh frame; returns the frame's physical address. */
  map(linear: number, user = true): number {
    const pdIndex = linear >>> 21, ptIndex = (linear >>> 12) & 511;
    let pt = this.ptOf.get(pdIndex);
    if (pt === undefined) {
      pt = this.nextPt; this.nextPt += 0x1000;
      if (this.nextPt > 0x10_0000) throw new Error('FlatMachine: out of page-table frames');
      this.ptOf.set(pdIndex, pt);
      this.phys.write64(PD + 8 * pdIndex, BigInt(pt | 7));
    }
    const frame = this.nextFrame; this.nextFrame += 0x1000;
    if (this.nextFrame > this.phys.size) throw new Error('FlatMachine: out of RAM for mappings');
    this.phys.write64(pt + 8 * ptIndex, BigInt(frame | 3 | (user ? 4 : 0)));
    return frame;
  }

  /** Physical address of a mapped linear address (mapped through map()). */
  physOf(linear: number): number {
    const pt = this.ptOf.get(linear >>> 21);
    if (pt === undefined) throw new Error(`FlatMachine: 0x${linear.toString(16)} is not mapped`);
    const pte = Number(this.phys.read64(pt + 8 * ((linear >>> 12) & 511)) & 0xffff_f000n);
    return pte + (linear & 0xfff);
  }

  writeLinear(linear: number, bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) this.phys.write8(this.physOf(linear + i), bytes[i]);
  }

  readLinear(linear: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.phys.read8(this.physOf(linear + i));
    return out;
  }

  private buildSystemTables(): void {
    const w64 = (lin: number, v: bigint) => this.phys.write64(this.physOf(lin), v);
    // GDT: null, kernel code64 (DPL 0), kernel data, user data (DPL 3), user code64 (DPL 3), TSS.
    w64(GDT_LINEAR + 0x08, 0x00af9b000000ffffn);
    w64(GDT_LINEAR + 0x10, 0x00cf93000000ffffn);
    w64(GDT_LINEAR + (USER_DS & ~7), 0x00cff3000000ffffn);
    w64(GDT_LINEAR + (USER_CS & ~7), 0x00affb000000ffffn);
    const tss = BigInt(TSS_LINEAR);
    w64(GDT_LINEAR + TSS_SEL, 0x67n | ((tss & 0xffffffn) << 16n) | (0x8bn << 40n) | (((tss >> 24n) & 0xffn) << 56n));
    w64(GDT_LINEAR + TSS_SEL + 8, tss >> 32n);
    // TSS: RSP0 and IST1 both at the top of the exception stack (SDM 8.7 Figure 8-11).
    w64(TSS_LINEAR + 4, BigInt(IST_TOP));
    w64(TSS_LINEAR + 0x24, BigInt(IST_TOP));
    // I/O map base past the TSS limit: no I/O permission bitmap, so CPL-3 IN/OUT raise #GP (SDM 19.5.2).
    this.phys.write16(this.physOf(TSS_LINEAR + 0x66), 0x68);
    // IDT: 64-bit interrupt gates, DPL 3 (so INT n from CPL 3 reaches them too), IST 1.
    for (let v = 0; v < 256; v++) {
      const target = BigInt(HANDLER_BASE + 16 * v);
      const lo = (target & 0xffffn) | (BigInt(KERNEL_CS) << 16n) | (1n << 32n) | (0xeen << 40n) | (((target >> 16n) & 0xffffn) << 48n);
      w64(IDT_LINEAR + 16 * v, lo);
      w64(IDT_LINEAR + 16 * v + 8, target >> 32n);
    }
    // Handlers: hlt, never reached by the tests (they stop when RIP arrives), but valid code.
    for (let v = 0; v < 256; v++) this.phys.write8(this.physOf(HANDLER_BASE + 16 * v), 0xf4);
  }

  /** Back to CPL 3 in 64-bit mode with paging on, all GPRs zero, RFLAGS = 0x202. Flushes the TLB unless told the page tables are unchanged. */
  reset(flushTlb = true): void {
    const st = this.state;
    st.cr0 = Cr0.PE | Cr0.MP | Cr0.ET | Cr0.NE | Cr0.WP | Cr0.PG;
    st.cr4 = Cr4.PAE;
    st.efer = Efer.SCE | Efer.LME | Efer.LMA | Efer.NXE;
    st.cr3 = BigInt(PML4);
    st.gdtr.base = BigInt(GDT_LINEAR); st.gdtr.limit = TSS_SEL + 15;
    st.idtr.base = BigInt(IDT_LINEAR); st.idtr.limit = 0xfff;
    const user = (selector: number, attrs: number) => ({ selector, base: 0n, limit: 0xffffffff, attrs });
    st.seg[Seg.CS] = user(USER_CS, 0xa0fb);
    st.seg[Seg.SS] = user(USER_DS, 0xc0f3);
    st.seg[Seg.DS] = user(0, 0x1_0000);
    st.seg[Seg.ES] = user(0, 0x1_0000);
    st.seg[Seg.FS] = user(0, 0x1_0000);
    st.seg[Seg.GS] = user(0, 0x1_0000);
    st.seg[Seg.TR] = { selector: TSS_SEL, base: BigInt(TSS_LINEAR), limit: 0x67, attrs: 0x8b };
    st.gpr.fill(0n);
    st.setRflags(0x202);
    st.halted = false;
    st.shutdown = false;
    st.interruptShadow = 0;
    if (flushTlb) this.cpu.flushTlb();
  }

  /** If RIP is at an exception handler, the exception that was delivered and its frame. */
  exceptionTaken(): ExceptionFrame | undefined {
    const rip = Number(this.state.rip);
    if (rip < HANDLER_BASE || rip >= HANDLER_BASE + 16 * 256) return undefined;
    const vector = (rip - HANDLER_BASE) / 16;
    let sp = Number(this.state.gpr[4]);
    const read = (at: number) => this.phys.read64(this.physOf(at));
    let errorCode: number | undefined;
    if (ERROR_CODE_VECTORS.has(vector)) { errorCode = Number(read(sp)); sp += 8; }
    return { vector, errorCode, rip: read(sp), rflags: Number(read(sp + 16)), rsp: read(sp + 24) };
  }
}
