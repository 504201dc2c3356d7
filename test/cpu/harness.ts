// A tiny 64-bit machine for CPU tests: identity-mapped 4-level paging (2 MiB pages, user +
// writable), a GDT with kernel/user code and data and a 64-bit TSS, an IDT whose handlers
// are HLT stubs, code at 0x10000 and a stack below 0x80000.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Cpu } from '../../emulator/cpu/cpu';
import { CpuState, Seg, Cr0, Cr4, Efer, type Segment } from '../../emulator/cpu/state';
import { PhysicalMemory } from '../../emulator/memory/physical';
import type { IoBus } from '../../emulator/cpu/vmxUnit';
import { runTool } from '../tools';

export const CODE = 0x10000;
export const STACK = 0x80000;
export const PML4 = 0x1000;
export const GDT = 0x4000;
export const IDT = 0x5000;
export const TSS = 0x6000;
/** Handler stub for vector v lives at HANDLERS + v * 16 (a HLT). */
export const HANDLERS = 0x7000;
export const RSP0 = 0x90000;
export const IST1 = 0xa0000;

export class RecordingBus implements IoBus {
  readonly outs: [number, number, number][] = [];
  inValue = 0xffffffff;
  in(_port: number, size: 1 | 2 | 4): number { return this.inValue & (size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff); }
  out(port: number, size: 1 | 2 | 4, value: number): void { this.outs.push([port, size, value]); }
}

function seg(s: Segment, selector: number, attrs: number): void {
  s.selector = selector; s.base = 0n; s.limit = 0xffffffff; s.attrs = attrs;
}

export interface TestMachine { cpu: Cpu; state: CpuState; mem: PhysicalMemory; bus: RecordingBus }

export function makeMachine(code: number[] | Uint8Array = [], memSize = 4 << 20): TestMachine {
  const mem = new PhysicalMemory(memSize);
  const state = new CpuState();
  const bus = new RecordingBus();
  // Paging: PML4[0] -> PDPT, PDPT[0] -> PD, PD[i] = 2 MiB pages P|RW|US|PS.
  mem.write64(PML4, BigInt(0x2000 | 7));
  mem.write64(0x2000, BigInt(0x3000 | 7));
  for (let i = 0; i < 512; i++) mem.write64(0x3000 + i * 8, BigInt(i) * 0x200000n | 0x87n);
  // GDT.
  const gdt = [
    0n,
    0x00af9b000000ffffn, // 0x08 code64 DPL0
    0x00cf93000000ffffn, // 0x10 data DPL0
    0x00cffb000000ffffn, // 0x18 code32 DPL3
    0x00cff3000000ffffn, // 0x20 data DPL3
    0x00affb000000ffffn, // 0x28 code64 DPL3
  ];
  mem.write64(GDT + 0x40, 0x00cf9b000000ffffn); // 0x40 code32 DPL0 (compatibility mode)
  gdt.forEach((d, k) => mem.write64(GDT + k * 8, d));
  // 0x30: 64-bit TSS (available, type 9) at TSS, limit 0x67.
  const lo = BigInt(0x67) | (BigInt(TSS & 0xffff) << 16n) | (BigInt((TSS >> 16) & 0xff) << 32n) | (0x89n << 40n);
  mem.write64(GDT + 0x30, lo);
  mem.write64(GDT + 0x38, 0n);
  mem.write64(TSS + 4, BigInt(RSP0));
  mem.write64(TSS + 0x24, BigInt(IST1));
  mem.write16(TSS + 0x66, 0x68); // I/O map base beyond the limit: no bitmap
  // IDT: 32 interrupt gates to HLT stubs.
  for (let v = 0; v < 256; v++) {
    const h = HANDLERS + v * 16;
    mem.write8(h, 0xf4);
    const g0 = BigInt(h & 0xffff) | (0x08n << 16n) | (0x8en << 40n) | (BigInt((h >>> 16) & 0xffff) << 48n);
    mem.write64(IDT + v * 16, g0);
    mem.write64(IDT + v * 16 + 8, 0n);
  }
  state.cr0 = Cr0.PE | Cr0.MP | Cr0.ET | Cr0.NE | Cr0.WP | Cr0.PG;
  state.cr4 = Cr4.PAE;
  state.cr3 = BigInt(PML4);
  state.efer = Efer.SCE | Efer.LME | Efer.LMA | Efer.NXE;
  state.gdtr.base = BigInt(GDT); state.gdtr.limit = 0x47;
  state.idtr.base = BigInt(IDT); state.idtr.limit = 256 * 16 - 1;
  seg(state.seg[Seg.CS], 0x08, 0xa09b);
  for (const s of [Seg.DS, Seg.ES, Seg.SS, Seg.FS, Seg.GS]) seg(state.seg[s], 0x10, 0xc093);
  const tr = state.seg[Seg.TR];
  tr.selector = 0x30; tr.base = BigInt(TSS); tr.limit = 0x67; tr.attrs = 0x8b;
  state.gpr[4] = BigInt(STACK);
  state.rip = BigInt(CODE);
  mem.bytes.set(code, CODE);
  const cpu = new Cpu(state, mem, bus);
  return { cpu, state, mem, bus };
}

/** Write a 64-bit IDT gate (SDM Figure 6-8): type 0xE interrupt / 0xF trap, DPL, IST. */
export function setGate(mem: PhysicalMemory, vector: number, handler: number, o: { type?: number; dpl?: number; ist?: number; present?: boolean } = {}): void {
  const attrs = BigInt((o.present === false ? 0 : 0x80) | ((o.dpl ?? 0) << 5) | (o.type ?? 0xe));
  const g0 = BigInt(handler & 0xffff) | (0x08n << 16n) | (BigInt(o.ist ?? 0) << 32n) | (attrs << 40n) | (BigInt((handler >>> 16) & 0xffff) << 48n);
  mem.write64(IDT + vector * 16, g0);
  mem.write64(IDT + vector * 16 + 8, BigInt(Math.floor(handler / 2 ** 32)));
}

/** Step until RIP reaches `end` (or `max` steps); returns the number of steps. */
export function runTo(m: TestMachine, end: bigint, max = 100000): number {
  let n = 0;
  while (m.state.rip !== end && n < max && !m.state.halted && !m.state.shutdown) { m.cpu.step(); n++; }
  return n;
}

/** Run `code` (placed at CODE) until RIP passes its end. */
export function run(code: number[], setup?: (m: TestMachine) => void): TestMachine {
  const m = makeMachine(code);
  setup?.(m);
  runTo(m, BigInt(CODE + code.length));
  return m;
}

export const reg = (m: TestMachine, r: number) => m.state.gpr[r];
export const flags = (m: TestMachine) => m.state.getRflags();

/** Assemble Intel-syntax code with GNU as (binutils comes with the gcc the project needs). */
function assemble(source: string, bits: 64 | 32): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'cpu-asm-'));
  try {
    const src = join(dir, 'a.s'), obj = join(dir, 'a.o'), bin = join(dir, 'a.bin');
    writeFileSync(src, `.intel_syntax noprefix\n.code${bits}\n${source}\n`);
    runTool('as', ['--64', '-o', obj, src]);
    runTool('objcopy', ['-O', 'binary', '-j', '.text', obj, bin]);
    return [...readFileSync(bin)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * An assembler whose results are kept in test/cpu/fixtures/<name>.asm.json (source -> bytes),
 * so test runs do not spawn `as` unless a snippet changed.
 */
export function assembler(name: string): (source: string, bits?: 64 | 32) => number[] {
  const file = join(__dirname, 'fixtures', `${name}.asm.json`);
  const cache: Record<string, number[]> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  return (source, bits = 64) => {
    const key = `${bits}:${source}`;
    let bytes = cache[key];
    if (!bytes) {
      bytes = assemble(source, bits);
      cache[key] = bytes;
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(cache, null, 0).replace(/\],"/g, '],\n"') + '\n');
    }
    return bytes;
  };
}
