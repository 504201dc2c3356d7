// DWARF expression evaluator (DWARF 5 section 2.5 and 2.6): the stack machine used by
// location descriptions, frame bases and CFI expressions. Produces where a value lives.

import { ByteReader } from './reader';

export type Location =
  | { kind: 'memory'; address: bigint }
  | { kind: 'register'; reg: number }                 // DWARF register number
  | { kind: 'value'; value: bigint }                  // DW_OP_stack_value: the value itself
  | { kind: 'implicit'; bytes: Uint8Array }            // DW_OP_implicit_value
  | { kind: 'pieces'; pieces: Array<{ location: Location | undefined; size: number }> }
  | { kind: 'unavailable'; reason: string };

export interface ExpressionContext {
  addressSize?: number;
  readRegister(reg: number): bigint | undefined;
  readMemory(address: bigint, size: number): Uint8Array | null;
  /** The frame base (DW_AT_frame_base already evaluated), for DW_OP_fbreg. */
  frameBase?(): bigint | undefined;
  /** The canonical frame address, for DW_OP_call_frame_cfa. */
  cfa?(): bigint | undefined;
  /** .debug_addr lookup, for DW_OP_addrx/constx. */
  addrIndex?(index: number): bigint;
}

const MASK = (1n << 64n) - 1n;
const u64 = (v: bigint): bigint => v & MASK;
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);

class Unavailable extends Error {}

function le(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

/** Evaluates `expr`; `initial` is pushed first (CFI DW_CFA_expression pushes the CFA). */
export function evaluateLocation(expr: Uint8Array, ctx: ExpressionContext, initial?: bigint): Location {
  try {
    return evaluate(expr, ctx, initial);
  } catch (e) {
    if (e instanceof Unavailable) return { kind: 'unavailable', reason: e.message };
    throw e;
  }
}

function evaluate(expr: Uint8Array, ctx: ExpressionContext, initial?: bigint): Location {
  const r = new ByteReader(expr, 0, 'DWARF expression');
  const stack: bigint[] = initial === undefined ? [] : [initial];
  const pieces: Array<{ location: Location | undefined; size: number }> = [];
  let result: Location | undefined;
  const pop = (): bigint => {
    const v = stack.pop();
    if (v === undefined) throw new Error('DWARF expression pops an empty stack');
    return v;
  };
  const reg = (n: number): bigint => {
    const v = ctx.readRegister(n);
    if (v === undefined) throw new Unavailable(`register ${n} is not available in this frame`);
    return v;
  };
  const mem = (address: bigint, size: number): bigint => {
    const b = ctx.readMemory(address, size);
    if (!b || b.length < size) throw new Unavailable(`cannot read memory at 0x${address.toString(16)}`);
    return le(b.subarray(0, size));
  };
  const addrSize = ctx.addressSize ?? 8;

  while (!r.atEnd) {
    const op = r.u8();
    if (op >= 0x30 && op <= 0x4f) { stack.push(BigInt(op - 0x30)); continue; }              // lit0..31
    if (op >= 0x50 && op <= 0x6f) { result = { kind: 'register', reg: op - 0x50 }; continue; } // reg0..31
    if (op >= 0x70 && op <= 0x8f) { stack.push(u64(reg(op - 0x70) + r.sleb())); continue; }  // breg0..31
    switch (op) {
      case 0x03: stack.push(r.uSized(addrSize)); break;                      // addr
      case 0x06: stack.push(mem(pop(), addrSize)); break;                    // deref
      case 0x08: stack.push(BigInt(r.u8())); break;                          // const1u
      case 0x09: stack.push(u64(BigInt(r.i8()))); break;
      case 0x0a: stack.push(BigInt(r.u16())); break;
      case 0x0b: stack.push(u64(BigInt(r.i16()))); break;
      case 0x0c: stack.push(BigInt(r.u32())); break;
      case 0x0d: stack.push(u64(BigInt(r.i32()))); break;
      case 0x0e: stack.push(r.u64()); break;
      case 0x0f: stack.push(u64(r.i64())); break;
      case 0x10: stack.push(r.uleb()); break;                                // constu
      case 0x11: stack.push(u64(r.sleb())); break;                           // consts
      case 0x12: stack.push(stack[stack.length - 1]); break;                 // dup
      case 0x13: pop(); break;                                               // drop
      case 0x14: stack.push(stack[stack.length - 2]); break;                 // over
      case 0x15: stack.push(stack[stack.length - 1 - r.u8()]); break;        // pick
      case 0x16: { const a = pop(), b = pop(); stack.push(a, b); break; }    // swap
      case 0x17: { const a = pop(), b = pop(), c = pop(); stack.push(a, c, b); break; } // rot
      case 0x19: { const a = s64(pop()); stack.push(u64(a < 0n ? -a : a)); break; }     // abs
      case 0x1a: { const b = pop(); stack.push(pop() & b); break; }
      case 0x1b: { const b = s64(pop()), a = s64(pop()); if (b === 0n) throw new Unavailable('division by zero'); stack.push(u64(a / b)); break; }
      case 0x1c: { const b = pop(); stack.push(u64(pop() - b)); break; }     // minus
      case 0x1d: { const b = pop(), a = pop(); if (b === 0n) throw new Unavailable('division by zero'); stack.push(a % b); break; }
      case 0x1e: { const b = pop(); stack.push(u64(pop() * b)); break; }
      case 0x1f: stack.push(u64(-pop())); break;                             // neg
      case 0x20: stack.push(u64(~pop())); break;                             // not
      case 0x21: { const b = pop(); stack.push(pop() | b); break; }
      case 0x22: { const b = pop(); stack.push(u64(pop() + b)); break; }     // plus
      case 0x23: stack.push(u64(pop() + r.uleb())); break;                   // plus_uconst
      case 0x24: { const b = pop(); stack.push(u64(pop() << b)); break; }
      case 0x25: { const b = pop(); stack.push(pop() >> b); break; }
      case 0x26: { const b = pop(); stack.push(u64(s64(pop()) >> b)); break; }
      case 0x27: { const b = pop(); stack.push(pop() ^ b); break; }
      case 0x28: { const off = r.i16(); if (pop() !== 0n) r.offset += off; break; } // bra
      case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d: case 0x2e: {    // eq ge gt le lt ne
        const b = s64(pop()), a = s64(pop());
        const t = [a === b, a >= b, a > b, a <= b, a < b, a !== b][op - 0x29];
        stack.push(t ? 1n : 0n);
        break;
      }
      case 0x2f: { const off = r.i16(); r.offset += off; break; }            // skip
      case 0x90: result = { kind: 'register', reg: r.ulebn() }; break;       // regx
      case 0x91: {                                                            // fbreg
        const fb = ctx.frameBase?.();
        if (fb === undefined) throw new Unavailable('no frame base');
        stack.push(u64(fb + r.sleb()));
        break;
      }
      case 0x92: { const n = r.ulebn(); stack.push(u64(reg(n) + r.sleb())); break; } // bregx
      case 0x93: case 0x9d: {                                                // piece, bit_piece
        const size = op === 0x93 ? r.ulebn() : Math.ceil(r.ulebn() / 8);
        if (op === 0x9d) r.uleb();
        let location: Location | undefined = result;
        if (!location && stack.length > 0) location = { kind: 'memory', address: pop() };
        pieces.push({ location, size });
        result = undefined;
        break;
      }
      case 0x94: { const n = r.u8(); stack.push(mem(pop(), n)); break; }     // deref_size
      case 0x96: break;                                                       // nop
      case 0x9c: {                                                            // call_frame_cfa
        const cfa = ctx.cfa?.();
        if (cfa === undefined) throw new Unavailable('no CFA for this frame');
        stack.push(cfa);
        break;
      }
      case 0x9e: result = { kind: 'implicit', bytes: r.bytesN(r.ulebn()) }; break; // implicit_value
      case 0x9f: result = { kind: 'value', value: pop() }; break;            // stack_value
      case 0xa1: case 0xa2: case 0xfb: case 0xfc:                             // addrx, constx, GNU_addr_index, GNU_const_index
        if (!ctx.addrIndex) throw new Unavailable('no .debug_addr');
        stack.push(ctx.addrIndex(r.ulebn()));
        break;
      case 0xa3: case 0xf3: r.bytesN(r.ulebn()); throw new Unavailable('optimized out (entry value)');
      case 0xf2: case 0xa0: throw new Unavailable('synthetic pointer');   // implicit_pointer: gdb's wording
      default: throw new Unavailable(`unsupported DWARF operation 0x${op.toString(16)}`);
    }
  }
  if (pieces.length > 0) return { kind: 'pieces', pieces };
  if (result) return result;
  if (stack.length === 0) return { kind: 'unavailable', reason: 'optimized out' };
  return { kind: 'memory', address: stack[stack.length - 1] };
}
