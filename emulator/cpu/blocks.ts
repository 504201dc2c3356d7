// Basic blocks: a straight-line run of 64-bit code on one physical page, decoded once and run
// as a unit. A block ends after its first control transfer, before any instruction outside
// BLOCK_SAFE (those need the per-instruction loop: I/O, system, VMX, flag/segment/shadow
// changers) and before the page end. Cold blocks run threaded by the interpreter's handlers
// (runThreaded, also the fallback where code generation is refused); hot ones are compiled to
// a JavaScript function (blockCompiler.ts) that writes the common instructions out and calls
// the handlers of the rest. Both keep the architectural state exactly as step() leaves it
// wherever it can be seen:
//  - before an instruction that can fault or exit, RIP and the retired count are committed
//    (a fault or VM exit inside it sees what step() would have shown);
//  - after an instruction that can write memory, a write to the block's own page (codeGen
//    moved) ends the block there, so self-modifying code is decoded afresh;
//  - at the end, RIP is the last instruction's next RIP and icount counts every instruction.
// The caller (Cpu.runBlock) runs a block only where nothing needs an instruction boundary
// inside it (see there).

import type { Cpu } from './cpu';
import type { CpuState } from './state';
import type { DecodedInsn } from '../decoder/decoder';
import type { Handler } from './handlers';
import { compiledSource } from './blockCompiler';
import { PARITY } from './flags';

/** Longest block, in instructions. */
export const MAX_BLOCK = 32;

/** Handlers that a block may run: no I/O, no system/VMX state, no RFLAGS.TF/IF/AC or shadow changes, no TLB flush. */
const BLOCK_SAFE = new Set([
  'aluEG', 'aluGE', 'aluAI', 'aluEI', 'testEG', 'testAI', 'testEI', 'movEG', 'movGE', 'movEI', 'movZI', 'movAO', 'movOA',
  'lea', 'movsxd', 'movzx', 'movsx', 'cbw', 'cwd', 'xchgEG', 'xchgZA', 'nop90', 'nopE', 'incZ', 'decZ', 'incDecE', 'notE',
  'negE', 'mulDiv', 'imul2', 'imul3', 'shift', 'shxd', 'btG', 'btI', 'bsf', 'bsr', 'tzcnt', 'lzcnt', 'popcnt', 'setcc',
  'cmov', 'bswap', 'movbe', 'cmpxchg', 'xadd', 'lahf', 'sahf', 'xlat', 'pushZ', 'popZ', 'pushI', 'pushE', 'popE', 'leave',
  'jcc', 'jmpNear', 'callNear', 'jmpE', 'callE', 'retNear', 'loop', 'jrcxz',
]);
/** Control transfers: a block ends after one. */
const ENDS_BLOCK = new Set(['jcc', 'jmpNear', 'callNear', 'jmpE', 'callE', 'retNear', 'loop', 'jrcxz']);
/** Handlers whose register-only forms neither fault nor touch memory (no commit, no code-write check needed). */
const REGISTER_PURE = new Set([
  'aluEG', 'aluGE', 'aluAI', 'aluEI', 'testEG', 'testAI', 'testEI', 'movEG', 'movGE', 'movEI', 'movZI', 'lea', 'movsxd',
  'movzx', 'movsx', 'cbw', 'cwd', 'xchgEG', 'xchgZA', 'nop90', 'nopE', 'incZ', 'decZ', 'incDecE', 'notE', 'negE', 'imul2',
  'imul3', 'shift', 'shxd', 'btG', 'btI', 'bsf', 'bsr', 'tzcnt', 'lzcnt', 'popcnt', 'setcc', 'cmov', 'bswap', 'lahf', 'sahf',
]);

/**
 * Runs a block at linear `rip` with `icount` retired so far; returns the instructions it
 * retired. A compiled loop may run more rounds while its retired count stays within `limit`.
 */
export type BlockRun = (this: Block, c: Cpu, st: CpuState, rip: number, icount: number, codeGen: Uint32Array, gen: number, limit: number) => number;

export class Block {
  /** Instructions run since the block was built (hotness for the compiler). */
  runs = 0;
  run: BlockRun = runThreaded;
  /** Offset of each instruction from the block's first byte. */
  readonly deltas: number[] = [];
  readonly handlers: Handler[] = [];
  /** The handlers' names (the opcode table's), which the compiler writes out. */
  readonly names: string[] = [];
  /** The instruction can fault, exit or write memory: commit before it, check for code writes after it. */
  readonly committed: boolean[] = [];
  /** The code bytes the block was decoded from. */
  bytes: Uint8Array = new Uint8Array(0);
  /** `gen` is the write generation of the block's page at which its bytes were last seen unchanged. */
  constructor(readonly phys: number, public gen: number, readonly insns: DecodedInsn[]) {}
  get length(): number { return this.insns.length; }

  /** After a write to its page: true (and current again) if the block's own bytes did not change. */
  revalidate(mem: Uint8Array, gen: number): boolean {
    const b = this.bytes;
    for (let k = 0; k < b.length; k++) if (mem[this.phys + k] !== b[k]) return false;
    this.gen = gen;
    return true;
  }
}

/** Whether a decoded row may join a block, and whether it ends one. */
export function blockRole(handlerName: string): 'stop' | 'end' | 'continue' {
  if (!BLOCK_SAFE.has(handlerName)) return 'stop';
  return ENDS_BLOCK.has(handlerName) ? 'end' : 'continue';
}

/** Fill the block's per-instruction tables once its instructions are decoded. */
export function finishBlock(b: Block, handlerNames: string[], handlers: Handler[], mem: Uint8Array): void {
  let delta = 0;
  b.insns.forEach((i, k) => {
    b.deltas.push(delta);
    delta += i.length;
    b.handlers.push(handlers[k]);
    b.names.push(handlerNames[k]);
    const memory = i.hasModrm && i.mod !== 3;
    b.committed.push(memory || !REGISTER_PURE.has(handlerNames[k]));
  });
  b.bytes = mem.slice(b.phys, b.phys + delta);
}

/** The reference way to run a block (cold blocks, and everywhere when code generation is refused): one round. */
function runThreaded(this: Block, c: Cpu, st: CpuState, rip: number, icount: number, codeGen: Uint32Array, gen: number): number {
  const n = this.insns.length, page = this.phys >>> 12;
  for (let k = 0; k < n; k++) {
    const i = this.insns[k];
    const r = rip + this.deltas[k];
    c.insn = i;
    c.insnLength = i.length;
    c.rip = r;
    c.nextRip = r + i.length;
    const committed = this.committed[k];
    if (committed) { st.icount = icount + k; st.setRipNum(r); }
    if (i.hasModrm && i.mod !== 3) c.computeEa(i);
    this.handlers[k](c, i);
    if (k === n - 1 || (committed && codeGen[page] !== gen)) {
      st.icount = icount + k + 1;
      st.setRipNum(c.nextRip);
      return k + 1;
    }
  }
  return n;
}

let allowed: boolean | undefined;

/** Whether this realm lets us generate code (new Function is refused under a strict Content Security Policy, or with node --disallow-code-generation-from-strings). */
export function codeGenerationAllowed(): boolean {
  if (allowed === undefined) {
    try { allowed = new Function('return 1')() === 1; } catch { allowed = false; }
  }
  return allowed;
}

/** Compiled functions by source, shared by every block (of any machine) with the same code; cleared when full. */
const compiled = new Map<string, BlockRun>();
const COMPILED_MAX = 4096;

/** Compile a hot block; false (the threaded runner stays) if code generation is refused. */
export function compileBlock(b: Block): boolean {
  if (!codeGenerationAllowed()) return false;
  const source = compiledSource(b);
  let run = compiled.get(source);
  if (run === undefined) {
    if (compiled.size >= COMPILED_MAX) compiled.clear();
    run = (new Function('P', source) as (p: Uint8Array) => BlockRun)(PARITY);
    compiled.set(source, run);
  }
  b.run = run;
  return true;
}
