// One step of stack unwinding on x86-64: from a frame's registers to its caller's, using
// CFI when an FDE covers the pc and the rbp frame-pointer chain otherwise.

import { CallFrameInfo, type RegisterRule } from './callFrameInfo';
import { X86_64_DWARF_REGS, type RegName } from './dwarfConstants';
import { evaluateLocation } from './expression';

/** Registers of a frame by x86-64 name; missing entries are unknown in that frame. */
export type RegisterSet = Partial<Record<RegName, bigint>>;
export type MemoryReader = (address: bigint, size: number) => Uint8Array | null;

export interface UnwoundFrame {
  /** The caller's registers; `rip` is the return address. */
  registers: RegisterSet;
  /** This frame's canonical frame address (rsp just before the call that created it). */
  cfa: bigint;
  method: 'cfi' | 'frame-pointer';
}

function regByNumber(regs: RegisterSet, n: number): bigint | undefined {
  const name = X86_64_DWARF_REGS[n];
  return name ? regs[name] : undefined;
}

function readU64(read: MemoryReader, address: bigint): bigint | undefined {
  const b = read(address, 8);
  if (!b || b.length < 8) return undefined;
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}

/** The CFA of the frame described by `regs`, if CFI covers its pc. */
export function computeCfa(cfi: CallFrameInfo, regs: RegisterSet, read: MemoryReader, callerFrame: boolean): bigint | undefined {
  const pc = regs.rip;
  if (pc === undefined) return undefined;
  const row = cfi.rowAt(callerFrame ? pc - 1n : pc);
  if (!row) return undefined;
  if (row.cfa.kind === 'register') {
    const base = regByNumber(regs, row.cfa.reg);
    return base === undefined ? undefined : BigInt.asUintN(64, base + row.cfa.offset);
  }
  const loc = evaluateLocation(row.cfa.expr, { readRegister: (n) => regByNumber(regs, n), readMemory: read });
  return loc.kind === 'memory' ? loc.address : undefined;
}

/**
 * Unwinds one frame. `callerFrame` is true for every frame except the innermost: its rip is
 * a return address, so the FDE is looked up at rip-1 (the call may be a function's last
 * instruction). Returns undefined when neither CFI nor a plausible rbp chain applies.
 */
export function unwindFrame(cfi: CallFrameInfo, regs: RegisterSet, read: MemoryReader, callerFrame: boolean): UnwoundFrame | undefined {
  const pc = regs.rip;
  if (pc === undefined) return undefined;
  const row = cfi.rowAt(callerFrame ? pc - 1n : pc);
  if (row) {
    const cfa = computeCfa(cfi, regs, read, callerFrame);
    if (cfa === undefined) return undefined;
    const caller: RegisterSet = {};
    // Callee-saved registers without a rule keep their value (psABI 3.6.2 "same value" default).
    for (const name of ['rbx', 'rbp', 'r12', 'r13', 'r14', 'r15'] as const) {
      if (regs[name] !== undefined) caller[name] = regs[name];
    }
    for (const [n, rule] of row.registers) {
      const name = X86_64_DWARF_REGS[n];
      if (!name) continue;
      const v = applyRule(rule, n, cfa, regs, read);
      if (v === undefined) delete caller[name]; else caller[name] = v;
    }
    if (caller.rip === undefined) return undefined;   // no return-address rule: outermost frame
    caller.rsp = cfa;
    return { registers: caller, cfa, method: 'cfi' };
  }
  return unwindWithFramePointer(regs, read);
}

function applyRule(rule: RegisterRule, n: number, cfa: bigint, regs: RegisterSet, read: MemoryReader): bigint | undefined {
  const ctx = { readRegister: (r: number) => regByNumber(regs, r), readMemory: read };
  switch (rule.kind) {
    case 'undefined': return undefined;
    case 'same': return regByNumber(regs, n);
    case 'offset': return readU64(read, BigInt.asUintN(64, cfa + rule.offset));
    case 'valOffset': return BigInt.asUintN(64, cfa + rule.offset);
    case 'register': return regByNumber(regs, rule.reg);
    case 'expression': {
      const loc = evaluateLocation(rule.expr, ctx, cfa);
      return loc.kind === 'memory' ? readU64(read, loc.address) : undefined;
    }
    case 'valExpression': {
      const loc = evaluateLocation(rule.expr, ctx, cfa);
      return loc.kind === 'memory' ? loc.address : loc.kind === 'value' ? loc.value : undefined;
    }
  }
}

/** Classic frame-pointer frame: [rbp] = caller's rbp, [rbp+8] = return address. */
export function unwindWithFramePointer(regs: RegisterSet, read: MemoryReader): UnwoundFrame | undefined {
  const rbp = regs.rbp;
  if (rbp === undefined || rbp === 0n || (rbp & 7n) !== 0n) return undefined;
  const savedRbp = readU64(read, rbp);
  const ra = readU64(read, rbp + 8n);
  if (savedRbp === undefined || ra === undefined || ra === 0n) return undefined;
  // The chain must move towards the stack base, or it is not a chain.
  if (savedRbp !== 0n && savedRbp <= rbp) return undefined;
  const cfa = rbp + 16n;
  return { registers: { rip: ra, rsp: cfa, rbp: savedRbp, rbx: regs.rbx, r12: regs.r12, r13: regs.r13, r14: regs.r14, r15: regs.r15 }, cfa, method: 'frame-pointer' };
}
