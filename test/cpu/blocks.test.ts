// The block engine (emulator/cpu/blocks.ts) against the interpreter it is built from, in
// lockstep: the same random code (the fuzz generator's) and the differential suite's cases run
// both ways, threaded and compiled to JavaScript, with the architectural state compared after
// every block; self-modifying code inside a block; and the fallback where code generation is
// refused (node --disallow-code-generation-from-strings, what a strict Content Security Policy does).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { FlatMachine, HANDLER_BASE } from '../differential/flatMachine';
import { EmulatorRunner } from '../differential/emulatorRunner';
import { WINDOW } from '../differential/layout';
import { generateCases } from '../differential/generator';
import { Rng } from '../differential/rng';
import { CODE_LINEAR, DATA_LINEAR } from '../fuzz/randomCode';
import type { VmxUnit } from '../../emulator/cpu/vmxUnit';
import { readFileSync } from 'node:fs';
import { Machine } from '../../emulator/machine';
import { buildSample, guestElf, hostElf } from '../sample/sampleRun';

const CODE_PAGES = 16, DATA_PAGES = 4;
/** Steps per random-code seed and differential cases per run; raise them (environment) for a nightly-sized run. */
const STEPS = Number(process.env.LOCKSTEP_STEPS ?? 300_000);
const CASES = Number(process.env.LOCKSTEP_CASES ?? 3_000);

/** Everything step() and runBlock() may change in this flat machine, compared without allocating. */
function sameState(a: FlatMachine, b: FlatMachine): boolean {
  const x = a.state, y = b.state;
  for (let k = 0; k < 32; k++) if (a.cpu.r32[k] !== b.cpu.r32[k]) return false;
  return x.ripNum === y.ripNum && x.getRflags() === y.getRflags() && x.icount === y.icount
    && x.interruptShadow === y.interruptShadow && x.halted === y.halted && x.shutdown === y.shutdown;
}

function describeState(m: FlatMachine): string {
  const st = m.state;
  return [...st.gpr].map((v) => v.toString(16)).join(',') + ` rip=${st.rip.toString(16)} rflags=${st.getRflags().toString(16)} icount=${st.icount}`;
}

/** The code and data frames (mapped first, so at the same place in both machines) are equal. */
function sameMemory(a: FlatMachine, b: FlatMachine): boolean {
  const frames = (m: FlatMachine) => Buffer.from(m.phys.bytes.buffer, m.phys.bytes.byteOffset + 0x10_0000, (CODE_PAGES + DATA_PAGES) * 0x1000);
  return frames(a).equals(frames(b));
}

interface Lockstep { blocks: number; blockInstructions: number; steps: number }

/**
 * Random bytes for code page `page` with, when `calls`, a CALL rel32 every 32 bytes (to
 * somewhere on the same page, one in four to another code page) and a RET every 16: code that
 * superblocks go through and back out of, on one page and across two (blocks.ts).
 */
function randomPage(rng: Rng, calls: boolean, page: number): Uint8Array {
  const code = rng.bytes(0x1000);
  if (!calls) return code;
  for (let at = rng.int(32); at + 5 <= 0x1000; at += 32) {
    const to = rng.int(4) === 0 ? rng.int(CODE_PAGES) : page;
    const rel = (to - page) * 0x1000 + rng.int(0x1000) - (at + 5);
    code.set([0xe8, rel & 0xff, (rel >> 8) & 0xff, (rel >> 16) & 0xff, (rel >> 24) & 0xff], at);
  }
  for (let at = rng.int(16); at < 0x1000; at += 16) if (code[at - 1] !== 0xe8) code[at] = 0xc3;
  return code;
}

/** Random code run by blocks where possible (`fast`) and by step() alone (`ref`), compared after each block. */
function lockstep(seed: number, steps: number, compiled: boolean, calls = false): Lockstep {
  const rng = new Rng(seed);
  const fast = new FlatMachine(8 << 20), ref = new FlatMachine(8 << 20);
  fast.cpu.buildAfter = 1;
  fast.cpu.compileAfter = compiled ? 1 : Infinity;
  for (let i = 0; i < CODE_PAGES; i++) {
    const code = randomPage(rng, calls, i);
    for (const m of [fast, ref]) { m.map(CODE_LINEAR + i * 0x1000); m.writeLinear(CODE_LINEAR + i * 0x1000, code); }
  }
  for (let i = 0; i < DATA_PAGES; i++) for (const m of [fast, ref]) m.map(DATA_LINEAR + i * 0x1000);
  const reseed = () => {
    const gpr = Array.from({ length: 16 }, () => (rng.bool() ? BigInt(DATA_LINEAR + rng.int(DATA_PAGES * 0x1000)) : rng.u64()));
    gpr[4] = BigInt(DATA_LINEAR + 0x800 + rng.int(DATA_PAGES * 0x1000 - 0x1000));
    const flags = 0x202 | (rng.u32() & 0xcd5), rip = BigInt(CODE_LINEAR + rng.int(CODE_PAGES * 0x1000));
    for (const m of [fast, ref]) {
      m.reset(false);
      gpr.forEach((v, r) => { m.state.gpr[r] = v; });
      m.state.setRflags(flags);
      m.state.rip = rip;
    }
  };
  reseed();
  const out: Lockstep = { blocks: 0, blockInstructions: 0, steps: 0 };
  let sinceReseed = 0;
  while (out.steps < steps) {
    const ran = fast.cpu.runBlock(64);
    if (ran === 0) fast.cpu.step();
    else { out.blocks++; out.blockInstructions += ran; }
    for (let k = 0; k < Math.max(ran, 1); k++) ref.cpu.step();
    out.steps += Math.max(ran, 1);
    if (!sameState(fast, ref)) throw new Error(`seed ${seed}, step ${out.steps}: block engine ${describeState(fast)}, interpreter ${describeState(ref)}`);
    sinceReseed += Math.max(ran, 1);
    if (ref.exceptionTaken() || ref.state.halted || ref.state.shutdown || sinceReseed > 2000) {
      expect(sameMemory(fast, ref)).toBe(true);
      reseed();
      sinceReseed = 0;
    }
  }
  expect(sameMemory(fast, ref)).toBe(true);
  return out;
}

describe('block engine in lockstep with the interpreter', () => {
  for (const [seed, compiled] of [[101, false], [202, true], [303, false], [404, true]] as const) {
    it(`random code, seed ${seed}, ${compiled ? 'compiled' : 'threaded'} blocks: same state after every block`, () => {
      const r = lockstep(seed, STEPS, compiled);
      // The comparison must have been about blocks, not single steps only.
      expect(r.blocks).toBeGreaterThan(STEPS / 100);
      expect(r.blockInstructions).toBeGreaterThan(r.steps / 10);
    });
  }

  for (const [seed, compiled] of [[505, false], [606, true]] as const) {
    it(`random code with CALLs and RETs on the page, seed ${seed}, ${compiled ? 'compiled' : 'threaded'} blocks: same state after every block`, () => {
      const r = lockstep(seed, STEPS, compiled, true);
      expect(r.blocks).toBeGreaterThan(STEPS / 100);
      expect(r.blockInstructions).toBeGreaterThan(r.steps / 10);
    });
  }

  // Up to 4 forms per case, and up to 12 compiled: longer runs in which the compiler finds
  // flags that no later instruction reads, loads and stores between ALU work, and conditions.
  for (const [compiled, forms] of [[false, 4], [true, 4], [true, 12]] as const) {
    it(`differential cases of up to ${forms} forms, ${compiled ? 'compiled' : 'threaded'} blocks: identical results`, () => {
      const ref = new EmulatorRunner(), fast = new EmulatorRunner(true, compiled);
      let blocks = 0;
      for (const c of generateCases(compiled ? 7 + forms : 8, CASES, forms)) {
        const before = fast.machine.state.icount;
        const a = fast.run(c), b = ref.run(c);
        if (fast.machine.state.icount - before > 1) blocks++;
        expect(a).toEqual(b);
      }
      expect(blocks).toBeGreaterThan(CASES / 8);
    });
  }

  it('a block that rewrites its own next instruction runs the new one', () => {
    // mov byte [rip+1], 0xc8 turns the following inc eax (ff c0) into dec eax (ff c8).
    const code = [0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0xc8, 0xff, 0xc0, 0xff, 0xc0, 0xff, 0xc0, 0xcc];
    for (const compiled of [false, true]) {
      const m = new FlatMachine();
      m.map(CODE_LINEAR);
      m.writeLinear(CODE_LINEAR, new Uint8Array(code));
      m.cpu.buildAfter = 1;
      m.cpu.compileAfter = compiled ? 1 : Infinity;
      m.state.rip = BigInt(CODE_LINEAR);
      let steps = 0;
      while (Number(m.state.rip) !== CODE_LINEAR + code.length - 1 && steps < 10) {
        const ran = m.cpu.runBlock(64);
        if (ran === 0) m.cpu.step();
        steps += Math.max(ran, 1);
      }
      expect(steps).toBe(4);
      expect(m.state.gpr[0]).toBe(1n); // dec, inc, inc from 0
      expect(m.state.icount).toBe(4);
    }
  });

  it('code written behind the CPU is run as written once invalidateDecoded(page) is called', () => {
    // inc eax; inc eax; inc eax; jmp back to the start; run as a block, then patched to dec eax x3.
    const m = new FlatMachine();
    const frame = m.map(CODE_LINEAR);
    m.writeLinear(CODE_LINEAR, new Uint8Array([0xff, 0xc0, 0xff, 0xc0, 0xff, 0xc0, 0xeb, 0xf8]));
    m.cpu.buildAfter = 1;
    m.cpu.chainBlocks = false;
    m.state.rip = BigInt(CODE_LINEAR);
    for (let k = 0; k < 2; k++) { m.cpu.step(); m.state.rip = BigInt(CODE_LINEAR); } // a miss fills the execute TLB, a hit makes its page the fetch page
    expect(m.cpu.runBlock(64)).toBe(4);
    expect(m.state.gpr[0]).toBe(5n); // the steps' two inc and the block's three
    for (const at of [1, 3, 5]) m.phys.bytes[frame + at] = 0xc8;
    m.cpu.invalidateDecoded(frame >>> 12);
    expect(m.cpu.runBlock(64)).toBe(4);
    expect(m.state.gpr[0]).toBe(2n);
  });
});

/** inc eax x3; jmp back to the start: a four-instruction block at CODE_LINEAR, compiled after `compileAfter` instructions; EAX and icount 0. */
function loopMachine(compileAfter = Infinity, incs = 3): FlatMachine {
  const m = new FlatMachine();
  m.map(CODE_LINEAR);
  const body = Array.from({ length: incs }, () => [0xff, 0xc0]).flat(); // inc eax
  m.writeLinear(CODE_LINEAR, new Uint8Array([...body, 0xeb, (-(body.length + 2)) & 0xff])); // jmp back
  m.cpu.buildAfter = 1;
  m.cpu.compileAfter = compileAfter;
  m.state.rip = BigInt(CODE_LINEAR);
  for (let k = 0; k < 2; k++) { m.cpu.step(); m.state.rip = BigInt(CODE_LINEAR); } // a miss fills the execute TLB, a hit makes its page the fetch page
  m.state.gpr[0] = 0n;
  m.state.icount = 0;
  return m;
}

/** DIV/IDIV of RDX:RAX (EDX:EAX) by RCX (ECX) in BigInt: RAX and RDX after it, or '#DE'. */
function divideBig(signed: boolean, bits: number, rdx: bigint, rax: bigint, rcx: bigint): bigint[] | '#DE' {
  const n = BigInt(bits), mask = (1n << n) - 1n;
  const raw = ((rdx & mask) << n) | (rax & mask);
  const dividend = signed ? BigInt.asIntN(2 * bits, raw) : raw;
  const divisor = signed ? BigInt.asIntN(bits, rcx & mask) : rcx & mask;
  if (divisor === 0n) return '#DE';
  const q = dividend / divisor, r = dividend % divisor;
  if (signed ? q !== BigInt.asIntN(bits, q) : q > mask) return '#DE';
  return [BigInt.asUintN(bits, q), BigInt.asUintN(bits, r)];
}

describe('compiled shifts, rotates and divisions at their edges', () => {
  // nop (stepped: it fills the execute TLB); then one block of cmp rbx, rsi (every flag set
  // from the two), OP rdx/edx by imm8 or CL, nop. The counts around 32 and the masked ones are
  // where a 64-bit shift on 32-bit halves changes method, and a zero count must leave CMP's flags.
  const OPS = { rol: 0, ror: 1, shl: 4, shr: 5, sar: 7 };
  const COUNTS = [0, 1, 2, 31, 32, 33, 63, 96, 255];
  const VALUES = [0x8000_0000_0000_0001n, 0x7fff_ffff_ffff_ffffn, 0x1_8000_0001n, 0xdead_beef_0123_4567n];
  const FLAGS_FROM = [[1n, 2n], [5n, 5n], [0x8000_0000_0000_0000n, 1n]];

  it('give the interpreter\'s registers and flags for every count, by imm8 and by CL, 32- and 64-bit', () => {
    const fast = new EmulatorRunner(true, true), ref = new EmulatorRunner();
    let cases = 0;
    for (const [name, digit] of Object.entries(OPS)) for (const w of [false, true]) for (const byCl of [false, true]) {
      for (const count of COUNTS) for (const value of VALUES) for (const [a, b] of FLAGS_FROM) {
        const shift = [...(w ? [0x48] : []), byCl ? 0xd3 : 0xc1, 0xc0 | (digit << 3) | 2, ...(byCl ? [] : [count])];
        const gpr = Array<bigint>(16).fill(0n);
        [gpr[1], gpr[2], gpr[3], gpr[6]] = [BigInt(count), value, a, b];
        const c = { code: Uint8Array.from([0x90, 0x48, 0x39, 0xf3, ...shift, 0x90]), gpr, rflags: 0x202, window: new Uint8Array(WINDOW), forms: [name], undefinedFlags: 0, undefinedAnywhere: 0 };
        expect(fast.run(c), `${name} ${w ? 'r64' : 'r32'} by ${byCl ? 'cl' : 'imm8'} ${count}, 0x${value.toString(16)}`).toEqual(ref.run(c));
        cases++;
      }
    }
    expect(cases).toBe(5 * 2 * 2 * COUNTS.length * VALUES.length * FLAGS_FROM.length);
    expect(fast.machine.cpu.compiledBlocks).toBeGreaterThan(0);
  });

  it('DIV and IDIV by a register give the interpreter\'s results and #DE at the edges of the written-out path', () => {
    // nop; cmp rbx, rsi; DIV/IDIV ecx or rcx; nop. RDX:RAX / RCX: exact quotients, RDX not
    // the extension of RAX, 2^52 and beyond, a zero divisor, quotients that do not fit, large
    // dividends by divisors on either side of 2^32.
    const M = 0xffff_ffff_ffff_ffffn;
    const DIVIDES: [bigint, bigint, bigint][] = [
      [0n, 7n, 2n], [0n, 0xffff_ffffn, 1n], [1n, 0n, 2n], [0n, 5n, 0n], [2n, 0n, 2n],
      [0xffff_ffffn, 0x8000_0000n, 0xffff_ffffn], [0xffff_ffffn, 0xffff_fff9n, 2n], [0n, 7n, 0xffff_fffen],
      [0n, (1n << 52n) - 1n, 3n], [0n, 1n << 52n, 3n], [0n, M, 1n], [M, M - 6n, 2n], [0n, 1n << 51n, M - 2n],
      [M, 1n << 63n, M], [M, 1n << 63n, 1n],
      // Dividends of 2^52 and more by divisors below 2^32 (long division by 16-bit digits).
      [0n, 0xdead_beef_0123_4567n, 7n], [0n, M, 0xffff_ffffn], [0n, M, 1n << 32n], [M, (1n << 63n) + 5n, 3n],
      [M, 1n << 63n, M - 1n], [0n, (1n << 63n) - 1n, M], [M, M - (1n << 60n), 0xffff_fff9n], [0n, 1n << 60n, M - 6n],
    ];
    const fast = new EmulatorRunner(true, true), ref = new EmulatorRunner();
    let faults = 0;
    for (const signed of [false, true]) for (const w of [false, true]) for (const [rdx, rax, rcx] of DIVIDES) {
      const gpr = Array<bigint>(16).fill(0n);
      [gpr[0], gpr[1], gpr[2], gpr[3], gpr[6]] = [rax, rcx, rdx, 3n, 9n];
      const div = [...(w ? [0x48] : []), 0xf7, signed ? 0xf9 : 0xf1];
      const c = { code: Uint8Array.from([0x90, 0x48, 0x39, 0xf3, ...div, 0x90]), gpr, rflags: 0x202, window: new Uint8Array(WINDOW), forms: [], undefinedFlags: 0, undefinedAnywhere: 0 };
      const what = `${signed ? 'idiv' : 'div'} ${w ? 'rcx' : 'ecx'}: 0x${rdx.toString(16)}:0x${rax.toString(16)} / 0x${rcx.toString(16)}`;
      const expected = ref.run(c);
      expect(fast.run(c), what).toEqual(expected);
      // Both engines share the handler's arithmetic: BigInt division is the oracle.
      expect(expected.vector === 0 ? '#DE' : [expected.gpr[0], expected.gpr[2]], what).toEqual(divideBig(signed, w ? 64 : 32, rdx, rax, rcx));
      if (expected.vector === 0) faults++;
    }
    expect(faults).toBeGreaterThanOrEqual(6);
  });
});

describe('compiled memory operands', () => {
  it('an address whose base and index only cancel in 64-bit arithmetic is still exact', () => {
    // mov al, [rbx + rcx]; inc edx; int3. RBX + RCX wraps to DATA_LINEAR + 1, but as doubles
    // RBX rounds (2^62 + 2^23 + 1 needs 63 bits): the compiled block must not trust them.
    const m = new FlatMachine();
    m.map(CODE_LINEAR);
    m.map(DATA_LINEAR);
    m.writeLinear(CODE_LINEAR, new Uint8Array([0x8a, 0x04, 0x0b, 0xff, 0xc2, 0xcc]));
    m.writeLinear(DATA_LINEAR, new Uint8Array([0x11, 0x22]));
    m.cpu.buildAfter = 1;
    m.cpu.compileAfter = 1;
    m.state.gpr[3] = 0x4000_0000_0080_0001n;
    m.state.gpr[1] = 0xc000_0000_0000_0000n;
    for (let k = 0; k < 2; k++) { m.state.rip = BigInt(CODE_LINEAR); m.cpu.step(); } // the fetch page, and the data page in the TLB
    m.state.rip = BigInt(CODE_LINEAR);
    m.state.gpr[0] = 0n;
    expect(m.cpu.runBlock(64)).toBe(2);
    expect(m.cpu.compiledBlocks).toBe(1);
    expect(m.state.gpr[0] & 0xffn).toBe(0x22n);
  });

  it('a page remapped and then evicted from the TLB inside a block is read through its new mapping', () => {
    // mov rax, [rbx]; mov [rsi], rdx; mov rcx, [rdi]; mov r8, [rbx]; inc edx; int3. RBX is page A,
    // RSI A's page-table entry (the page table is mapped at PT_LINEAR), RDX the entry for another
    // frame, RDI page B, which takes A's TLB slot when it misses: the second read of A walks the
    // new entry, in the interpreter as in the compiled block.
    const A = DATA_LINEAR, B = DATA_LINEAR + 0x40_0000, PT_LINEAR = DATA_LINEAR + 0x2000, WARM = CODE_LINEAR + 0x100;
    const [fast, ref] = [new FlatMachine(), new FlatMachine()];
    for (const m of [fast, ref]) {
      m.map(CODE_LINEAR);
      m.map(A);
      m.map(B);
      const other = m.map(DATA_LINEAR + 0x1000);
      m.map(PT_LINEAR);
      const entry = (linear: number) => {
        let table = Number(m.state.cr3);
        for (const shift of [39, 30, 21]) table = Number(m.phys.read64(table + 8 * ((linear / 2 ** shift) & 511)) & 0xffff_f000n);
        return table + 8 * ((linear >>> 12) & 511);
      };
      const pt = entry(A) & ~0xfff;
      m.phys.write64(entry(PT_LINEAR), BigInt(pt | 7));
      m.writeLinear(A, new Uint8Array([0x11]));
      m.writeLinear(DATA_LINEAR + 0x1000, new Uint8Array([0x22]));
      m.writeLinear(CODE_LINEAR, new Uint8Array([0x48, 0x8b, 0x03, 0x48, 0x89, 0x16, 0x48, 0x8b, 0x0f, 0x4c, 0x8b, 0x03, 0xff, 0xc2, 0xcc]));
      m.writeLinear(WARM, new Uint8Array([0x48, 0x8b, 0x03, 0x4c, 0x8b, 0x0e, 0x4c, 0x89, 0x0e])); // mov rax, [rbx]; mov r9, [rsi]; mov [rsi], r9
      m.state.gpr[3] = BigInt(A);
      m.state.gpr[6] = BigInt(PT_LINEAR + (entry(A) & 0xfff));
      m.state.gpr[2] = BigInt(other | 7);
      m.state.gpr[7] = BigInt(B);
      m.state.rip = BigInt(WARM);
      for (let k = 0; k < 3; k++) m.cpu.step(); // A in the read TLB, the page table in both
      m.state.rip = BigInt(CODE_LINEAR);
      m.cpu.step(); // the fetch page
      m.state.rip = BigInt(CODE_LINEAR);
    }
    fast.cpu.buildAfter = 1;
    fast.cpu.compileAfter = 1;
    expect(fast.cpu.runBlock(64)).toBe(5);
    expect(fast.cpu.compiledBlocks).toBe(1);
    for (let k = 0; k < 5; k++) ref.cpu.step();
    expect(ref.state.gpr[8]).toBe(0x22n);
    expect(describeState(fast)).toBe(describeState(ref));
  });

  // The TLB slot is indexed by the low 32 bits of the page number, so DATA_LINEAR + 2^47 (not
  // canonical) finds DATA_LINEAR's entry: the tag, a whole 64-bit page, must still tell them apart.
  const NOT_CANONICAL = 2n ** 47n;
  const faults: [string, number[], (m: FlatMachine) => void, number][] = [
    ['a load through a non-canonical base raises #GP', [0x8a, 0x03], (m) => { m.state.gpr[3] += NOT_CANONICAL; }, 13], // mov al, [rbx]
    ['a push onto a non-canonical stack raises #SS', [0x50], (m) => { m.state.gpr[4] += NOT_CANONICAL; }, 12], // push rax
  ];
  for (const [title, insn, spoil, vector] of faults) {
    it(`${title}, compiled as the interpreter does it`, () => {
      const [fast, ref] = [new FlatMachine(), new FlatMachine()];
      for (const m of [fast, ref]) {
        m.map(CODE_LINEAR);
        m.map(DATA_LINEAR);
        m.writeLinear(CODE_LINEAR, new Uint8Array([...insn, 0xff, 0xc2, 0xcc])); // ...; inc edx; int3
        m.state.gpr[3] = BigInt(DATA_LINEAR + 0x10);
        m.state.gpr[4] = BigInt(DATA_LINEAR + 0x800);
        m.state.rip = BigInt(CODE_LINEAR);
        m.cpu.step(); // the code page and the data page in the TLBs
        m.state.rip = BigInt(CODE_LINEAR);
        m.state.gpr[4] = BigInt(DATA_LINEAR + 0x800);
        spoil(m);
      }
      fast.cpu.buildAfter = 1;
      fast.cpu.compileAfter = 1;
      expect(fast.cpu.runBlock(64)).toBe(1);
      expect(fast.cpu.compiledBlocks).toBe(1);
      ref.cpu.step();
      expect(ref.state.ripNum).toBe(HANDLER_BASE + 16 * vector);
      expect(describeState(fast)).toBe(describeState(ref));
    });
  }
});

/**
 * Page 0: inc eax; jmp to page 1. Page 1: inc eax; inc eax; jmp back to page 0 (`modrm` 0xc1
 * or 0xc2: ECX or EDX instead). One round stepped: both pages are in the execute TLB. Page 1
 * is mapped first, so its frame lies below page 0's: the pages are not the same distance apart
 * in linear and physical memory, and each is a block of its own (blocks.ts).
 */
function twoPageMachine(modrm = 0xc0): FlatMachine {
  const m = new FlatMachine();
  m.map(CODE_LINEAR + 0x1000);
  m.map(CODE_LINEAR);
  m.writeLinear(CODE_LINEAR, new Uint8Array([0xff, modrm, 0xe9, 0xf9, 0x0f, 0x00, 0x00]));
  m.writeLinear(CODE_LINEAR + 0x1000, new Uint8Array([0xff, modrm, 0xff, modrm, 0xe9, 0xf7, 0xef, 0xff, 0xff]));
  m.cpu.buildAfter = 1;
  m.state.rip = BigInt(CODE_LINEAR);
  for (let k = 0; k < 5; k++) m.cpu.step();
  return m;
}

describe('where a block runs', () => {
  it('at once after a jump to another page whose execute-TLB entry is there', () => {
    const m = twoPageMachine();
    m.cpu.chainBlocks = false;
    expect(m.state.ripNum).toBe(CODE_LINEAR);
    expect(m.cpu.runBlock(64)).toBe(2);
    expect(m.state.ripNum).toBe(CODE_LINEAR + 0x1000);
    expect(m.cpu.runBlock(64)).toBe(3); // no step needed to make page 1 the fetch page
    expect(m.state.ripNum).toBe(CODE_LINEAR);
    expect(m.state.gpr[0]).toBe(6n);
  });

  it('after the block it followed last time only while that is still the code there', () => {
    // A (page 0: inc eax; jmp) and B (page 1: inc eax x2; jmp back) chained, so each is the
    // other's remembered successor; then B's first inc becomes dec, written behind the CPU and
    // told with invalidateDecoded: the next chain must take B from its new code.
    const m = twoPageMachine();
    expect(m.cpu.runBlock(10)).toBe(10); // A B A B
    expect(m.state.gpr[0]).toBe(3n + 4n + 2n);
    const frame = m.physOf(CODE_LINEAR + 0x1000);
    m.phys.bytes[frame + 1] = 0xc8; // dec eax
    m.cpu.invalidateDecoded(frame >>> 12);
    expect(m.cpu.runBlock(5)).toBe(5); // A, then B: dec eax, inc eax, jmp
    expect(m.state.gpr[0]).toBe(9n + 1n);
  });

  it('one after another within the budget, stopping before a block that starts at a breakpoint', () => {
    const m = twoPageMachine();
    expect(m.cpu.runBlock(7)).toBe(7); // 2 + 3 + 2: a next block of 3 would pass the budget
    expect(m.state.ripNum).toBe(CODE_LINEAR + 0x1000);
    expect(m.state.gpr[0]).toBe(7n); // three from the stepped round, four from the blocks
    expect(m.cpu.runBlock(64, new Map([[CODE_LINEAR + 0x1000, 0]]))).toBe(5); // this block's breakpoint is the caller's, the next one's stops the chain
    expect(m.state.ripNum).toBe(CODE_LINEAR + 0x1000);
    expect(m.state.icount).toBe(17);
  });

  it('to an IN or OUT and no further: the device sees RIP and the retired count as step() shows them, the chain ends', () => {
    // inc eax; out 0x80, al; inc eax; in al, 0x71; int3
    for (const compileAfter of [Infinity, 1]) {
      const machine = () => {
        const seen: string[] = [];
        const m: FlatMachine = new FlatMachine(4 << 20, {
          in: (port, size) => { seen.push(`in ${port.toString(16)}/${size} at ${m.state.ripNum.toString(16)}, ${m.state.icount}`); return 0x5a; },
          out: (port, size, value) => { seen.push(`out ${port.toString(16)}/${size} ${value} at ${m.state.ripNum.toString(16)}, ${m.state.icount}`); },
        });
        m.map(CODE_LINEAR);
        m.writeLinear(CODE_LINEAR, new Uint8Array([0xff, 0xc0, 0xe6, 0x80, 0xff, 0xc0, 0xe4, 0x71, 0xcc]));
        m.cpu.buildAfter = 1;
        m.cpu.compileAfter = compileAfter;
        m.state.rip = BigInt(CODE_LINEAR);
        for (let k = 0; k < 2; k++) { m.cpu.step(); m.state.rip = BigInt(CODE_LINEAR); } // a miss fills the execute TLB, a hit makes its page the fetch page
        m.state.gpr[0] = 0x40n;
        m.state.setRflags(0x3202); // IOPL 3: port I/O allowed at this machine's CPL 3
        m.state.icount = 0;
        return { m, seen };
      };
      const fast = machine(), ref = machine();
      expect(fast.m.cpu.runBlock(64)).toBe(2); // inc, out: the chain ends after the OUT
      expect(fast.m.cpu.runBlock(64)).toBe(2); // inc, in
      for (let k = 0; k < 4; k++) ref.m.cpu.step();
      expect(fast.seen).toEqual([`out 80/1 65 at ${(CODE_LINEAR + 2).toString(16)}, 1`, `in 71/1 at ${(CODE_LINEAR + 6).toString(16)}, 3`]);
      expect(fast.seen).toEqual(ref.seen);
      expect(fast.m.state.gpr[0]).toBe(0x5an);
      expect(describeState(fast.m)).toBe(describeState(ref.m));
      expect(fast.m.cpu.compiledBlocks).toBe(compileAfter === 1 ? 2 : 0);
    }
  });

  it('one after another until a fault, which ends the chain where step() would deliver it', () => {
    // Page 0 as in twoPageMachine; page 1: inc eax; mov al, [rbx] with RBX not canonical (#GP).
    const [fast, ref] = [twoPageMachine(), twoPageMachine()];
    for (const m of [fast, ref]) {
      m.writeLinear(CODE_LINEAR + 0x1000, new Uint8Array([0xff, 0xc0, 0x8a, 0x03, 0xff, 0xc2, 0xcc]));
      m.cpu.invalidateDecoded(m.physOf(CODE_LINEAR + 0x1000) >>> 12);
      m.state.gpr[3] = 2n ** 63n;
    }
    expect(fast.cpu.runBlock(64)).toBe(4); // 2, then inc eax retired and the faulting mov
    for (let k = 0; k < 4; k++) ref.cpu.step();
    expect(ref.state.ripNum).toBe(HANDLER_BASE + 16 * 13);
    expect(describeState(fast)).toBe(describeState(ref));
  });
});

/**
 * A superblock's code at CODE_LINEAR, stack on DATA_LINEAR; `patch` changes it. By default:
 *   0x00 inc eax; call 0x40; inc eax; cmp eax, 100; jae 0x10; jmp 0x12; 0x10 dec eax; 0x12 inc eax; int3
 *   0x40 add eax, 10; ret       0x50 add qword [rsp], 2; ret (a function returning elsewhere)
 * Both machines (blocks, and the interpreter alone) have stepped once at CODE_LINEAR and start there again.
 */
function superblockMachines(compiled: boolean, eax = 0n, patch?: (code: Uint8Array) => void): { fast: FlatMachine; ref: FlatMachine } {
  const code = new Uint8Array(0x60).fill(0xcc);
  code.set([0xff, 0xc0, 0xe8, 0x39, 0x00, 0x00, 0x00, 0xff, 0xc0, 0x83, 0xf8, 0x64, 0x73, 0x02, 0xeb, 0x02, 0xff, 0xc8, 0xff, 0xc0], 0);
  code.set([0x83, 0xc0, 0x0a, 0xc3], 0x40);
  code.set([0x48, 0x83, 0x04, 0x24, 0x02, 0xc3], 0x50);
  patch?.(code);
  const [fast, ref] = [new FlatMachine(), new FlatMachine()];
  for (const m of [fast, ref]) {
    m.map(CODE_LINEAR);
    m.map(DATA_LINEAR);
    m.writeLinear(CODE_LINEAR, code);
    m.state.rip = BigInt(CODE_LINEAR);
    m.cpu.step(); // the code page becomes the fetch page
    m.state.rip = BigInt(CODE_LINEAR);
    m.state.gpr[0] = eax;
    m.state.gpr[4] = BigInt(DATA_LINEAR + 0x800);
  }
  fast.cpu.buildAfter = 1;
  fast.cpu.compileAfter = compiled ? 1 : Infinity;
  fast.cpu.chainBlocks = false;
  return { fast, ref };
}

/** One runBlock of `fast`, the same number of steps of `ref`: the same state after them. */
function runAlike(fast: FlatMachine, ref: FlatMachine, breakpoints?: Map<number, unknown>): number {
  const ran = fast.cpu.runBlock(64, breakpoints);
  for (let k = 0; k < ran; k++) ref.cpu.step();
  expect(describeState(fast)).toBe(describeState(ref));
  expect(sameMemory(fast, ref)).toBe(true);
  return ran;
}

describe('when a block is compiled', () => {
  it('after compileAfter runs, or a hundred times sooner when its code was compiled before in this process', () => {
    const first = twoPageMachine(0xc1); // inc ecx: code no other test compiles
    first.cpu.compileAfter = 1;
    first.cpu.runBlock(5);
    expect(first.cpu.compiledBlocks).toBe(2);
    // A new machine (a restarted session) with the same code, and one with code never compiled.
    const [again, other] = [twoPageMachine(0xc1), twoPageMachine(0xc2)];
    for (const m of [again, other]) {
      m.cpu.compileAfter = 10_000;
      expect(m.cpu.runBlock(99 * 5)).toBe(99 * 5); // each block 99 times
      expect(m.cpu.compiledBlocks).toBe(0);
      m.cpu.runBlock(5);
    }
    expect(again.cpu.compiledBlocks).toBe(2);
    expect(other.cpu.compiledBlocks).toBe(0);
    expect(again.state.gpr[1]).toBe(3n + 100n * 3n); // the stepped round, then the blocks' rounds
  });
});

describe('compiled VMREAD and VMWRITE', () => {
  // At the host's first VM exit, in place of vmx_handle_exit, one block of VMREAD/VMWRITE
  // between registers that VMsucceed, VMfailValid (a read-only field, bits 63:32 of the
  // encoding set) and read all 64 bits of VMCS_LINK_POINTER (~0), each outcome caught by SETcc:
  //   mov eax, GUEST_RIP; vmread rdx, rax; setc bl; setz bh
  //   mov ecx, VM_EXIT_REASON; vmwrite rcx, rdx; setz r8b
  //   mov ecx, GUEST_RIP; lea r9, [rdx+3]; vmwrite rcx, r9; setz r10b; vmread r11, rcx
  //   mov r12d, 1; shl r12, 32; or r12, GUEST_RIP; vmread r13, r12; setz r14b
  //   mov eax, VMCS_LINK_POINTER; vmread r15, rax; hlt
  const SNIPPET = Buffer.from('b81e6800000f78c20f92c30f94c7b9024400000f79ca410f94c0b91e6800004c8d4a03410f79c9410f94c2'
    + '410f78cb41bc0100000049c1e4204981cc1e680000450f78e5410f94c6b800280000410f78c7f4', 'hex');

  function atFirstExit(compiled: boolean): Machine {
    const m = Machine.boot({ hostElf: readFileSync(hostElf), guestElf: readFileSync(guestElf) });
    m.stopOnVmEntry = true;
    expect(m.run(100_000_000).kind).toBe('vmentry');
    m.stopOnVmEntry = false;
    m.writeMemory(m.host.symbol('vmx_handle_exit')!.value, SNIPPET, 'host-linear');
    m.interpreter.blocks = compiled;
    m.interpreter.buildAfter = 1;
    m.interpreter.compileAfter = 1;
    expect(m.run(10_000_000).kind).toBe('halted');
    return m;
  }

  it('succeed and fail in a compiled block exactly as the interpreter does', () => {
    buildSample();
    const fast = atFirstExit(true), ref = atFirstExit(false);
    const seen = (m: Machine) => ({
      gpr: [...m.cpu.gpr], rflags: m.cpu.getRflags(), icount: m.cpu.icount,
      guestRip: m.vmcsRead(0x681e), error: m.vmcsRead(0x4400 /* VM_INSTRUCTION_ERROR */),
    });
    expect(seen(fast)).toEqual(seen(ref));
    const [rdx, rbx, r8, r10, r11, r13, r14, r15] = [2, 3, 8, 10, 11, 13, 14, 15].map((r) => fast.cpu.gpr[r]);
    expect(rbx & 0xffffn).toBe(0n); // VMREAD succeeded: CF and ZF clear
    expect(r8 & 0xffn).toBe(1n); // VMWRITE to a read-only field: VMfailValid
    expect(r10 & 0xffn).toBe(0n);
    expect(r11).toBe(rdx + 3n);
    expect(r14 & 0xffn).toBe(1n);
    expect(r13).toBe(ref.cpu.gpr[13]);
    expect(fast.vmcsRead(0x4400)).toBe(12n); // the last failure: unsupported component
    expect(r15).toBe(0xffff_ffff_ffff_ffffn);
    expect(fast.interpreter.compiledBlocks).toBeGreaterThan(0);
  });
});

describe('a superblock (through CALL, RET and JMP, past a Jcc not taken)', () => {
  for (const compiled of [false, true]) {
    const how = compiled ? 'compiled' : 'threaded';

    it(`${how}: runs a call into a function on its page, its return and the code after it as one block`, () => {
      const { fast, ref } = superblockMachines(compiled);
      expect(runAlike(fast, ref)).toBe(9); // inc, call, add, ret, inc, cmp, jae, jmp, inc
      expect(fast.state.ripNum).toBe(CODE_LINEAR + 0x14);
      expect(fast.state.gpr[0]).toBe(13n);
      expect(fast.state.gpr[4]).toBe(BigInt(DATA_LINEAR + 0x800));
    });

    it(`${how}: a Jcc taken leaves the block at its target`, () => {
      const { fast, ref } = superblockMachines(compiled, 200n);
      expect(runAlike(fast, ref)).toBe(7); // inc, call, add, ret, inc, cmp, jae taken
      expect(fast.state.ripNum).toBe(CODE_LINEAR + 0x10);
      expect(fast.state.gpr[0]).toBe(212n);
    });

    it(`${how}: a RET to another address than its CALL pushed leaves the block there`, () => {
      const { fast, ref } = superblockMachines(compiled, 0n, (code) => { code[3] = 0x49; }); // call 0x50
      expect(runAlike(fast, ref)).toBe(4); // inc, call, add [rsp], ret to 0x09
      expect(fast.state.ripNum).toBe(CODE_LINEAR + 0x09);
      expect(fast.state.gpr[0]).toBe(1n);
    });

    it(`${how}: none runs with a breakpoint in the function it calls`, () => {
      const { fast } = superblockMachines(compiled);
      expect(fast.cpu.runBlock(64, new Map([[CODE_LINEAR + 0x43, 0]]))).toBe(0); // the ret
      expect(fast.state.icount).toBe(1);
    });

    it(`${how}: an instruction that rewrites the function it then calls runs it as rewritten`, () => {
      // 0x00 mov byte [rip+0x3b], 20 (the immediate of add eax, 10 at 0x42); call 0x40; int3
      const { fast, ref } = superblockMachines(compiled, 0n, (code) => {
        code.fill(0xcc, 0, 0x40);
        code.set([0xc6, 0x05, 0x3b, 0x00, 0x00, 0x00, 0x14, 0xe8, 0x34, 0x00, 0x00, 0x00], 0);
      });
      let steps = 0;
      while (fast.state.ripNum !== CODE_LINEAR + 0x0c && steps < 10) {
        const ran = runAlike(fast, ref);
        if (ran === 0) { fast.cpu.step(); ref.cpu.step(); }
        steps += Math.max(ran, 1);
      }
      expect(steps).toBe(4); // mov, call, add, ret
      expect(fast.state.gpr[0]).toBe(20n);
    });
  }
});

describe('a function\'s tail whose CALL ran in an earlier block (returnPrediction.ts)', () => {
  // superblockMachines' code with a function that stops its first block at CLC (not BLOCK_SAFE):
  //   0x40 add eax, 10; clc; ret        0x20 call 0x40; int3 (a second caller)
  const tail = (code: Uint8Array) => {
    code.set([0x83, 0xc0, 0x0a, 0xf8, 0xc3], 0x40);
    code.set([0xe8, 0x1b, 0x00, 0x00, 0x00], 0x20);
  };
  /** From `rip`: the block to CLC, CLC stepped, then the block at the RET. */
  const toTheRet = (fast: FlatMachine, ref: FlatMachine, rip: number) => {
    for (const m of [fast, ref]) m.state.rip = BigInt(rip);
    runAlike(fast, ref);
    expect(fast.state.ripNum).toBe(CODE_LINEAR + 0x43);
    fast.cpu.step();
    ref.cpu.step();
    return runAlike(fast, ref);
  };
  for (const compiled of [false, true]) {
    const how = compiled ? 'compiled' : 'threaded';

    it(`${how}: goes on at the return address on the stack, and leaves the block at the RET for another caller`, () => {
      const { fast, ref } = superblockMachines(compiled, 0n, tail);
      expect(toTheRet(fast, ref, CODE_LINEAR)).toBe(6); // ret, inc, cmp, jae, jmp, inc
      expect(fast.state.ripNum).toBe(CODE_LINEAR + 0x14);
      expect(fast.state.gpr[0]).toBe(13n);
      // The same block from the second caller returns to 0x25: the prediction does not hold.
      expect(toTheRet(fast, ref, CODE_LINEAR + 0x20)).toBe(1);
      expect(fast.state.ripNum).toBe(CODE_LINEAR + 0x25);
      expect(fast.state.gpr[4]).toBe(BigInt(DATA_LINEAR + 0x800));
    });
  }
});

/** The physical address of `linear`'s page-table entry in `m`. */
function pteOf(m: FlatMachine, linear: number): number {
  let table = Number(m.state.cr3);
  for (const shift of [39, 30, 21]) table = Number(m.phys.read64(table + 8 * ((linear / 2 ** shift) & 511)) & 0xffff_f000n);
  return table + 8 * ((linear >>> 12) & 511);
}

/**
 * Code on two pages mapped the same distance apart in linear and physical memory, stack on DATA_LINEAR:
 *   page 0: 0x00 inc eax; call page 1 + 0x10; inc eax; int3     0x30 nop; int3
 *   page 1: 0x10 add eax, 10; ret
 *   page 2 (a spare frame): 0x10 add eax, 20; ret
 * `patch` changes page 0 (RBX holds the linear address of add eax, 10's immediate). Both
 * machines ran it once (both pages in the execute TLB) and start at page 0 again.
 */
function crossPageMachines(compiled: boolean, patch?: (code: Uint8Array) => void): { fast: FlatMachine; ref: FlatMachine } {
  const page0 = new Uint8Array(0x40).fill(0xcc);
  page0.set([0xff, 0xc0, 0xe8, 0x09, 0x10, 0x00, 0x00, 0xff, 0xc0], 0);
  page0.set([0x90], 0x30);
  patch?.(page0);
  const [fast, ref] = [new FlatMachine(), new FlatMachine()];
  for (const m of [fast, ref]) {
    for (const page of [0, 1, 2]) m.map(CODE_LINEAR + page * 0x1000);
    m.map(DATA_LINEAR);
    m.writeLinear(CODE_LINEAR, page0);
    m.writeLinear(CODE_LINEAR + 0x1010, new Uint8Array([0x83, 0xc0, 0x0a, 0xc3]));
    m.writeLinear(CODE_LINEAR + 0x2010, new Uint8Array([0x83, 0xc0, 0x14, 0xc3]));
    m.state.gpr[3] = BigInt(CODE_LINEAR + 0x1012);
    m.state.gpr[4] = BigInt(DATA_LINEAR + 0x800);
    m.state.rip = BigInt(CODE_LINEAR);
    for (let k = 0; k < 10 && m.state.ripNum !== CODE_LINEAR + page0.indexOf(0xcc, 2); k++) m.cpu.step();
    m.state.rip = BigInt(CODE_LINEAR);
    m.state.gpr[0] = 0n;
    m.state.gpr[4] = BigInt(DATA_LINEAR + 0x800);
  }
  fast.cpu.buildAfter = 1;
  fast.cpu.compileAfter = compiled ? 1 : Infinity;
  fast.cpu.chainBlocks = false;
  return { fast, ref };
}

/** Run `fast` by blocks (stepping where none runs) and `ref` by steps alike until `fast` reaches `rip`; returns the blocks' sizes. */
function runTo(fast: FlatMachine, ref: FlatMachine, rip: number): number[] {
  const ran: number[] = [];
  while (fast.state.ripNum !== rip && ran.length < 20) {
    const n = runAlike(fast, ref);
    if (n === 0) { fast.cpu.step(); ref.cpu.step(); }
    ran.push(n);
  }
  return ran;
}

describe('a superblock across two pages (a CALL to another page the execute TLB maps as the first)', () => {
  for (const compiled of [false, true]) {
    const how = compiled ? 'compiled' : 'threaded';

    it(`${how}: runs the call, the function on the other page, its return and the code after it as one block`, () => {
      const { fast, ref } = crossPageMachines(compiled);
      expect(runAlike(fast, ref)).toBe(5); // inc, call, add, ret, inc
      expect(fast.state.gpr[0]).toBe(12n);
      expect(fast.state.ripNum).toBe(CODE_LINEAR + 9);
    });

    it(`${how}: leaves the block at the call when the other page is no longer mapped as it was`, () => {
      const { fast, ref } = crossPageMachines(compiled);
      expect(runAlike(fast, ref)).toBe(5); // the block is built with page 1 where it is
      for (const m of [fast, ref]) {
        // Page 1's linear address now maps the spare frame; the TLB is flushed, and page 0 fetched again.
        m.phys.write64(pteOf(m, CODE_LINEAR + 0x1000), BigInt(m.physOf(CODE_LINEAR + 0x2000) | 7));
        m.cpu.flushTlb();
        m.state.rip = BigInt(CODE_LINEAR + 0x30);
        m.cpu.step();
        m.state.rip = BigInt(CODE_LINEAR);
        m.state.gpr[0] = 0n;
      }
      expect(runTo(fast, ref, CODE_LINEAR + 9)[0]).toBe(2); // inc, call: then the function is stepped from its new frame
      expect(fast.state.gpr[0]).toBe(22n);
    });

    it(`${how}: an instruction that rewrites the function on the other page before the call runs it as rewritten`, () => {
      // 0x00 xor byte [rbx], 0x1e (RBX: the immediate of add eax, 10 on page 1: 10 <-> 20 each time); call; inc eax; int3
      const { fast, ref } = crossPageMachines(compiled, (code) => { code.set([0x80, 0x33, 0x1e, 0xe8, 0x08, 0x10, 0x00, 0x00, 0xff, 0xc0, 0xcc], 0); });
      const ran = runTo(fast, ref, CODE_LINEAR + 10);
      expect(ran[0]).toBe(1); // the write to page 1 ends the block after it
      expect(fast.state.gpr[0]).toBe(11n); // the warm-up run left 20, this one's xor made 10 again
    });

    it(`${how}: none runs with a breakpoint in the function on the other page`, () => {
      const { fast } = crossPageMachines(compiled);
      expect(fast.cpu.runBlock(64, new Map([[CODE_LINEAR + 0x1013, 0]]))).toBe(0); // the ret
      expect(fast.state.ripNum).toBe(CODE_LINEAR);
    });
  }
});

describe('where a block must not run', () => {

  it('runs none that holds a breakpoint past its first instruction, or is longer than the budget', () => {
    const m = loopMachine();
    const icount = m.state.icount;
    expect(m.cpu.runBlock(64, new Map([[CODE_LINEAR + 4, 0]]))).toBe(0); // the third inc
    expect(m.cpu.runBlock(3)).toBe(0);
    expect(m.state.icount).toBe(icount);
    expect(m.cpu.runBlock(64, new Map([[CODE_LINEAR, 0]]))).toBe(4); // at its first instruction: the caller checked it
    expect(m.state.gpr[0]).toBe(3n);
  });

  it('runs none under TF, in an interrupt shadow or with a watch hook', () => {
    const m = loopMachine();
    m.cpu.chainBlocks = false;
    m.state.setRflags(m.state.getRflags() | 0x100);
    expect(m.cpu.runBlock(64)).toBe(0);
    m.state.setRflags(m.state.getRflags() & ~0x100);
    m.state.interruptShadow = 1;
    expect(m.cpu.runBlock(64)).toBe(0);
    m.state.interruptShadow = 0;
    m.cpu.watch = () => undefined;
    expect(m.cpu.runBlock(64)).toBe(0);
    m.cpu.watch = undefined;
    for (let k = 0; k < 2; k++) { m.cpu.step(); m.state.rip = BigInt(CODE_LINEAR); } // setting the hook flushed the TLB
    expect(m.cpu.runBlock(64)).toBe(4);
  });
});

describe('a compiled loop (a block that jumps back to its start)', () => {
  // Compiled at first sight, it runs rounds inside one call.
  const compiledLoop = () => loopMachine(1);

  it('runs whole rounds up to the budget, and one round when a breakpoint sits at its start', () => {
    const m = compiledLoop();
    expect(m.cpu.runBlock(64)).toBe(64);
    expect(m.cpu.compiledBlocks).toBe(1);
    expect(m.state.gpr[0]).toBe(48n); // three inc per round
    expect(m.cpu.runBlock(10)).toBe(8); // a third round would pass the budget
    expect(m.cpu.runBlock(64, new Map([[CODE_LINEAR, 0]]))).toBe(4);
    expect(m.state.icount).toBe(76);
    expect(m.state.ripNum).toBe(CODE_LINEAR);
  });

  it('runs rounds in one call only with a body of at most 32 instructions (a longer one runs a round per call)', () => {
    const short = compiledLoop(), long = loopMachine(1, 39);
    for (const m of [short, long]) m.cpu.chainBlocks = false;
    expect(short.cpu.runBlock(64)).toBe(64);
    expect(long.cpu.runBlock(1000)).toBe(40);
    expect(long.cpu.compiledBlocks).toBe(1);
    expect(long.state.gpr[0]).toBe(39n);
    expect(long.state.ripNum).toBe(CODE_LINEAR);
  });

  it('stops its rounds at the VMX-preemption timer deadline in VMX non-root operation', () => {
    const m = compiledLoop();
    let checks = 0;
    m.cpu.vmx = {
      nonRoot: true, preemptionTimerDeadline: 10, beforeInstruction: () => { checks++; },
      translateGuestPhysical: (gpa: bigint) => Number(gpa),
    } as unknown as VmxUnit;
    expect(m.cpu.runBlock(64)).toBe(8); // the deadline falls inside the third round
    expect(checks).toBe(1);
    expect(m.cpu.runBlock(64)).toBe(0); // the next round would pass it: the interpreter steps to it
    expect(m.state.icount).toBe(8);
  });
});

describe('code generation refused', () => {
  it('the engine detects it, runs blocks threaded, and gives the same run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hc-codegen-'));
    const out = join(dir, 'probe.js');
    await build({ entryPoints: [join(__dirname, 'fixtures/codegenProbe.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: out, logLevel: 'warning' });
    const run = (flags: string[]) => {
      const r = spawnSync(process.execPath, [...flags, out], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`codegen probe failed: ${r.stderr}`);
      return JSON.parse(r.stdout) as { allowed: boolean; compiled: number; blocks: number; state: string };
    };
    let free, refused;
    try {
      free = run([]);
      refused = run(['--disallow-code-generation-from-strings']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(free.allowed).toBe(true);
    expect(free.compiled).toBeGreaterThan(0);
    expect(refused.allowed).toBe(false);
    expect(refused.compiled).toBe(0);
    expect(refused.blocks).toBeGreaterThan(0);
    expect(refused.state).toBe(free.state);
  });
});
