// DWARF expressions (DWARF 5 section 2.5/2.6) and CFA programs (6.4.2) gcc rarely emits for our
// programs, checked against values worked out by hand from the standard.

import { CallFrameInfo } from '../../debug-adapter/symbols/callFrameInfo';
import type { DwarfSections } from '../../debug-adapter/symbols/dwarfSections';
import { evaluateLocation, type ExpressionContext } from '../../debug-adapter/symbols/expression';
import { unwindFrame } from '../../debug-adapter/symbols/unwind';

const memory = new Map<bigint, number>();
function poke64(address: bigint, value: bigint): void {
  for (let i = 0; i < 8; i++) memory.set(address + BigInt(i), Number((value >> BigInt(8 * i)) & 0xffn));
}
const readMemory = (address: bigint, size: number): Uint8Array | null => {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const b = memory.get(address + BigInt(i));
    if (b === undefined) return null;
    out[i] = b;
  }
  return out;
};
const regs: Record<number, bigint> = { 0: 0x11n, 6: 0x7000n, 7: 0x6ff0n };
const ctx: ExpressionContext = {
  readRegister: (n) => regs[n],
  readMemory,
  frameBase: () => 0x7010n,
  cfa: () => 0x7010n,
};
const evaluate = (...ops: number[]) => evaluateLocation(Uint8Array.from(ops), ctx);

describe('DWARF expressions', () => {
  beforeAll(() => poke64(0x7000n, 0x1234_5678_9abc_def0n));

  it('computes memory locations from frame base, registers and addresses', () => {
    expect(evaluate(0x91, 0x78)).toEqual({ kind: 'memory', address: 0x7008n });                  // fbreg -8
    expect(evaluate(0x76, 0x10)).toEqual({ kind: 'memory', address: 0x7010n });                  // breg6 (rbp) +16
    expect(evaluate(0x92, 0x07, 0x7f)).toEqual({ kind: 'memory', address: 0x6fefn });            // bregx rsp -1
    expect(evaluate(0x03, 0x00, 0x30, 0x10, 0, 0, 0, 0, 0)).toEqual({ kind: 'memory', address: 0x103000n }); // addr
    expect(evaluate(0x9c, 0x23, 0x08)).toEqual({ kind: 'memory', address: 0x7018n });            // call_frame_cfa; plus_uconst 8
  });

  it('names registers, computed values and implicit values', () => {
    expect(evaluate(0x53)).toEqual({ kind: 'register', reg: 3 });                                // reg3 (rbx)
    expect(evaluate(0x90, 0x10)).toEqual({ kind: 'register', reg: 16 });                         // regx 16
    expect(evaluate(0x35, 0x33, 0x1c, 0x9f)).toEqual({ kind: 'value', value: 2n });              // lit5 lit3 minus stack_value
    expect(evaluate(0x11, 0x7e, 0x9f)).toEqual({ kind: 'value', value: (1n << 64n) - 2n });      // consts -2
    expect(evaluate(0x9e, 0x02, 0xaa, 0xbb)).toEqual({ kind: 'implicit', bytes: Uint8Array.from([0xaa, 0xbb]) });
  });

  it('dereferences, branches and compares', () => {
    expect(evaluate(0x76, 0x00, 0x06, 0x9f)).toEqual({ kind: 'value', value: 0x1234_5678_9abc_def0n });   // breg6 0; deref
    expect(evaluate(0x76, 0x00, 0x94, 0x02, 0x9f)).toEqual({ kind: 'value', value: 0xdef0n });            // deref_size 2
    // lit1; bra +1 (taken, skips lit7); lit9; stack_value -> 9
    expect(evaluate(0x31, 0x28, 0x01, 0x00, 0x37, 0x39, 0x9f)).toEqual({ kind: 'value', value: 9n });
    expect(evaluate(0x32, 0x33, 0x2d, 0x9f)).toEqual({ kind: 'value', value: 1n });              // 2 < 3
    expect(evaluate(0x3f, 0x32, 0x25, 0x9f)).toEqual({ kind: 'value', value: 3n });              // 15 >> 2
  });

  it('assembles pieces, with optimized-out gaps', () => {
    expect(evaluate(0x50, 0x93, 0x04, 0x93, 0x04, 0x76, 0x00, 0x93, 0x08)).toEqual({
      kind: 'pieces',
      pieces: [
        { location: { kind: 'register', reg: 0 }, size: 4 },
        { location: undefined, size: 4 },
        { location: { kind: 'memory', address: 0x7000n }, size: 8 },
      ],
    });
  });

  it('reports what it cannot know instead of failing', () => {
    expect(evaluate()).toEqual({ kind: 'unavailable', reason: 'optimized out' });
    expect(evaluate(0x54)).toEqual({ kind: 'register', reg: 4 });
    expect(evaluate(0x74, 0x00)).toEqual({ kind: 'unavailable', reason: 'register 4 is not available in this frame' });
    expect(evaluate(0xa3, 0x01, 0x55, 0x9f)).toEqual({ kind: 'unavailable', reason: 'optimized out (entry value)' });
    expect(evaluate(0x76, 0x40, 0x06)).toEqual({ kind: 'unavailable', reason: 'cannot read memory at 0x6fc0' }); // sleb 0x40 = -64
  });
});

/** A .debug_frame with one CIE (code align 1, data align -8, RA column 16) and one FDE for [0x1000, 0x1100). */
function debugFrame(fdeInstructions: number[]): DwarfSections {
  const cie = [0xff, 0xff, 0xff, 0xff, 4, 0, 8, 0, 1, 0x78, 16, 0x0c, 7, 8, 0x90, 1];   // v4 CIE: def_cfa rsp+8; offset ra, cfa-8
  const fdeBody = [0, 0, 0, 0, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0x00, 0x01, 0, 0, 0, 0, 0, 0, ...fdeInstructions];
  const pad = (b: number[]): number[] => { const out = [...b]; while ((out.length + 4) % 8) out.push(0); return out; };
  const entry = (b: number[]): number[] => { const p = pad(b); return [p.length & 0xff, (p.length >> 8) & 0xff, 0, 0, ...p]; };
  const frame = Uint8Array.from([...entry(cie), ...entry(fdeBody)]);
  const empty = new Uint8Array(0);
  return { fileName: 'synthetic', info: empty, abbrev: empty, str: empty, lineStr: empty, strOffsets: empty, addr: empty, line: empty,
    rnglists: empty, loclists: empty, ranges: empty, loc: empty, frame, ehFrame: empty, ehFrameAddress: 0n };
}

describe('CFA programs', () => {
  it('unwinds with a CFA expression, saved-register expressions and remembered state', () => {
    const cfi = new CallFrameInfo(debugFrame([
      0x41,                               // advance_loc 1 -> 0x1001
      0x0a,                               // remember_state
      0x0f, 0x02, 0x76, 0x20,             // def_cfa_expression: breg6 (rbp) + 32
      0x10, 0x03, 0x03, 0x11, 0x70, 0x22, // expression rbx: saved at [CFA + consts -16] (the CFA is pushed first)
      0x41,                               // advance_loc 1 -> 0x1002
      0x0b,                               // restore_state
    ]));
    expect(cfi.fdes).toHaveLength(1);
    expect(cfi.rowAt(0x1000n)?.cfa).toEqual({ kind: 'register', reg: 7, offset: 8n });
    expect(cfi.rowAt(0x1002n)?.cfa).toEqual({ kind: 'register', reg: 7, offset: 8n });
    expect(cfi.rowAt(0x1001n)?.cfa).toEqual({ kind: 'expression', expr: Uint8Array.from([0x76, 0x20]) });
    poke64(0x7018n, 0xabcdn);             // return address at CFA-8 (CFA = rbp+32 = 0x7020)
    poke64(0x7010n, 0x5150n);             // rbx saved at CFA-16
    const up = unwindFrame(cfi, { rip: 0x1001n, rsp: 0x6ff0n, rbp: 0x7000n, rbx: 5n }, readMemory, false)!;
    expect(up.cfa).toBe(0x7020n);
    expect(up.registers.rip).toBe(0xabcdn);
    expect(up.registers.rsp).toBe(0x7020n);
    expect(up.registers.rbx).toBe(0x5150n);
    // After restore_state the CIE's rules are back: CFA = rsp+8, rbx unchanged.
    poke64(0x6ff0n, 0x7777n);
    expect(unwindFrame(cfi, { rip: 0x1002n, rsp: 0x6ff0n, rbp: 0x7000n, rbx: 5n }, readMemory, false)!.registers).toMatchObject({ rip: 0x7777n, rsp: 0x6ff8n, rbx: 5n });
  });

  it('applies val_offset, register and same_value rules', () => {
    const cfi = new CallFrameInfo(debugFrame([
      0x0e, 0x10,                         // def_cfa_offset 16
      0x14, 0x0c, 0x01,                   // val_offset r12 = CFA + 1*-8
      0x09, 0x03, 0x0d,                   // register rbx = r13
      0x08, 0x06,                         // same_value rbp
    ]));
    poke64(0x6ff8n, 0x4242n);             // return address at CFA-8, CFA = rsp+16 = 0x7000
    const up = unwindFrame(cfi, { rip: 0x1000n, rsp: 0x6ff0n, rbp: 0x9000n, r13: 77n, rbx: 1n }, readMemory, false)!;
    expect(up.registers).toMatchObject({ rip: 0x4242n, rsp: 0x7000n, r12: 0x6ff8n, rbx: 77n, rbp: 0x9000n });
  });
});
