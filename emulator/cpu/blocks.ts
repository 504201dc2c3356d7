// Basic blocks: a straight-line run of 64-bit code, decoded once and run as a unit. A block
// goes on past a Jcc (not taken), through a direct JMP or CALL whose target is on its page, or
// on one more page that the execute TLB maps as it maps the first (linear and physical
// addresses the same distance apart), and through a RET to the instruction after a CALL it went
// through (a superblock: a function of a few instructions is no longer a block of its own, nor
// is the code after a call to another page); it ends after any other control transfer, before
// any instruction outside BLOCK_SAFE (those need the per-instruction loop: string I/O, system,
// VMX but VMREAD/VMWRITE, flag/segment/shadow changers) and before a page end; a VM transition
// (VMCALL, VMLAUNCH, VMRESUME) or an IN/OUT is a block's last instruction (CHAIN_ENDS). A Jcc taken, or a RET whose address on
// the stack is not the one its CALL pushed, leaves the block there (a side exit), and so does
// the transfer to the second page when the execute TLB no longer maps it as it did. Cold
// blocks run threaded by the interpreter's handlers (runThreaded, also the fallback where code
// generation is refused); hot ones are compiled to a JavaScript function (blockCompiler.ts)
// that writes the common instructions out and calls the handlers of the rest. Both keep the
// architectural state exactly as step() leaves it wherever it can be seen:
//  - before an instruction that can fault or exit, RIP and the retired count are committed
//    (a fault or VM exit inside it sees what step() would have shown);
//  - after an instruction that can write memory, a write to one of the block's pages (codeGen
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
import { HALVES } from './halves';
import { divideFast, imul64, mul64Low } from './ops/integer';

/** Longest block, in instructions. */
export const MAX_BLOCK = 64;
/**
 * Longest block that runs whole rounds in one call when its last instruction jumps back to its
 * first (Block.loops): a longer loop body ran slower that way than one round per call, V8
 * optimizing the big function worse (the memory guest's loop of 44: 143 against 244 MIPS).
 */
const MAX_LOOP = 32;

/**
 * Handlers that a block may run: no I/O, no system state, no RFLAGS.TF/IF/AC or shadow changes,
 * no TLB flush, except as the block's last instruction (CHAIN_ENDS). VMREAD and VMWRITE touch
 * only the current VMCS (in VMX non-root operation they exit, which unwinds out of the block as a
 * fault does), so a -O0 vmcs_read() wrapper joins its caller's block.
 */
const BLOCK_SAFE = new Set([
  'aluEG', 'aluGE', 'aluAI', 'aluEI', 'testEG', 'testAI', 'testEI', 'movEG', 'movGE', 'movEI', 'movZI', 'movAO', 'movOA',
  'lea', 'movsxd', 'movzx', 'movsx', 'cbw', 'cwd', 'xchgEG', 'xchgZA', 'nop90', 'nopE', 'incZ', 'decZ', 'incDecE', 'notE',
  'negE', 'mulDiv', 'imul2', 'imul3', 'shift', 'shxd', 'btG', 'btI', 'bsf', 'bsr', 'tzcnt', 'lzcnt', 'popcnt', 'setcc',
  'cmov', 'bswap', 'movbe', 'cmpxchg', 'xadd', 'lahf', 'sahf', 'xlat', 'pushZ', 'popZ', 'pushI', 'pushE', 'popE', 'leave',
  'jcc', 'jmpNear', 'callNear', 'jmpE', 'callE', 'retNear', 'loop', 'jrcxz', 'vmread', 'vmwrite', 'vmcall', 'vmlaunch', 'vmresume',
  'inOut',
]);
/**
 * Instructions after which the caller must look before the next one: VM transitions (VMCALL,
 * VMLAUNCH, VMRESUME: the other side's code, mode and VMX checks follow) and port I/O (IN/OUT: a
 * device may have asked the machine to stop, or powered it off; in VMX non-root operation they
 * exit). Each ends its block and the chain, retired as step() retires it (retireChainEnd): RIP is
 * the exit's or the entry's when one happened, else the next instruction's.
 */
const CHAIN_ENDS = new Set(['vmcall', 'vmlaunch', 'vmresume', 'inOut']);
/** Control transfers: a block ends after one unless followInBlock goes on past it. */
const ENDS_BLOCK = new Set(['jcc', 'jmpNear', 'callNear', 'jmpE', 'callE', 'retNear', 'loop', 'jrcxz', ...CHAIN_ENDS]);
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
  /** Runs since the block was built (hotness for the compiler). */
  runs = 0;
  run: BlockRun = runThreaded;
  /** Offset of each instruction from the block's first byte (negative for code before it that a jump reached). */
  readonly deltas: number[] = [];
  readonly handlers: Handler[] = [];
  /** The handlers' names (the opcode table's), which the compiler writes out. */
  readonly names: string[] = [];
  /** The instruction can fault, exit or write memory: commit before it, check for code writes after it. */
  readonly committed: boolean[] = [];
  /** Its last instruction jumps back to its first (and it is at most MAX_LOOP long): compiled, it runs whole rounds in one call. */
  loops = false;
  /** Its last instruction is one of CHAIN_ENDS: the chain ends after it, and it runs even alone. */
  endsChain = false;
  /** The code bytes the block was decoded from on its first page: from `from` bytes past its start to its last instruction's end there. */
  bytes: Uint8Array = new Uint8Array(0);
  from = 0;
  /**
   * The second page, if the block goes on to one (blocks.ts header): its instructions from index
   * `cross` on lie there, decoded from `bytes2` at physical `start2`, and `gen2` is its write
   * generation as `gen` is the first page's. Without one, `page2` is the first page and `cross` the length.
   */
  page2: number;
  gen2: number;
  cross: number;
  bytes2: Uint8Array = new Uint8Array(0);
  start2 = 0;
  /** Instructions in the block (a field: runBlock reads it without touching `insns`). */
  readonly length: number;
  /**
   * The block that ran right after this one in a chain last time: runBlock tries it before the
   * block table, while its code is current. Blocks from before Cpu.invalidateCode cannot be
   * reached (the table that held them is cleared, and new blocks remember only new ones), and a
   * block dropped from the table forgets its own.
   */
  next: Block | undefined = undefined;
  /** `gen` is the write generation of the block's page at which its bytes were last seen unchanged. */
  constructor(readonly phys: number, public gen: number, readonly insns: DecodedInsn[]) {
    this.length = insns.length;
    this.page2 = phys >>> 12;
    this.gen2 = gen;
    this.cross = insns.length;
  }

  /** True if the block is still the code at its place: no write to its pages since, or none that changed its own bytes (then it is current again). */
  isCurrent(mem: Uint8Array, codeGen: Uint32Array): boolean {
    const gen = codeGen[this.phys >>> 12], gen2 = codeGen[this.page2];
    if (gen === this.gen && gen2 === this.gen2) return true;
    if (!sameBytes(mem, this.phys + this.from, this.bytes) || !sameBytes(mem, this.start2, this.bytes2)) return false;
    this.gen = gen;
    this.gen2 = gen2;
    return true;
  }
}

function sameBytes(mem: Uint8Array, start: number, bytes: Uint8Array): boolean {
  for (let k = 0; k < bytes.length; k++) if (mem[start + k] !== bytes[k]) return false;
  return true;
}

/** Whether a decoded row may join a block, and whether it ends one. */
export function blockRole(handlerName: string): 'stop' | 'end' | 'continue' {
  if (!BLOCK_SAFE.has(handlerName)) return 'stop';
  return ENDS_BLOCK.has(handlerName) ? 'end' : 'continue';
}

/**
 * Where a block goes on after its control transfer `i` (handler `name`) at physical `p`: the
 * next instruction after a Jcc, the target of a direct JMP, or of a 64-bit direct CALL (whose return address joins `returns`),
 * or the return address of the innermost CALL the block went through for a RET, else the one
 * `predicted` from the stack (returnPrediction.ts); undefined
 * (the block ends) for any other transfer, a target already in the block (`at`: its
 * instructions' addresses; a jump back to the first one is a loop), or one off the block's
 * `pages`. A JMP or CALL may take the block to a second page if `admit` says the execute TLB
 * maps it as it maps the first; it joins `pages`.
 */
export function followInBlock(
  name: string, i: DecodedInsn, p: number, at: readonly number[], returns: number[], pages: number[], admit: (page: number) => boolean,
  predicted?: number,
): number | undefined {
  let to: number | undefined;
  if (name === 'jcc') {
    // Not taken, it goes on; taken, it leaves the block there (a side exit). A jump back into
    // the block is a loop's: the block ends at it (a jump to its first instruction runs rounds).
    if (at.includes(p + i.length + i.imm)) return undefined;
    to = p + i.length;
  } else if (name === 'jmpNear') to = p + i.length + i.imm;
  else if (name === 'callNear' && i.opsize === 8) { to = p + i.length + i.imm; returns.push(p + i.length); }
  else if (name === 'retNear' && i.opcode === 0xc3 && i.opsize === 8) to = returns.length > 0 ? returns.pop() : predicted;
  if (to === undefined || at.includes(to)) return undefined;
  const page = to >>> 12;
  if (pages.includes(page)) return to;
  if (pages.length > 1 || !admit(page)) return undefined;
  pages.push(page);
  return to;
}

/** Fill the block's per-instruction tables once its instructions (at physical addresses `at`) are decoded. */
export function finishBlock(b: Block, at: readonly number[], handlerNames: string[], handlers: Handler[], mem: Uint8Array): void {
  const page = b.phys >>> 12;
  let from = 0, to = 0, start2 = Infinity, end2 = 0;
  b.insns.forEach((i, k) => {
    const delta = at[k] - b.phys;
    b.deltas.push(delta);
    if (at[k] >>> 12 === page) {
      from = Math.min(from, delta);
      to = Math.max(to, delta + i.length);
    } else {
      if (b.cross === b.length) { b.cross = k; b.page2 = at[k] >>> 12; }
      start2 = Math.min(start2, at[k]);
      end2 = Math.max(end2, at[k] + i.length);
    }
    b.handlers.push(handlers[k]);
    b.names.push(handlerNames[k]);
    const memory = i.hasModrm && i.mod !== 3;
    b.committed.push(memory || !REGISTER_PURE.has(handlerNames[k]));
  });
  b.from = from;
  b.bytes = mem.slice(b.phys + from, b.phys + to);
  if (b.cross < b.length) {
    b.start2 = start2;
    b.bytes2 = mem.slice(start2, end2);
  }
  const last = b.insns[b.length - 1], name = handlerNames[b.length - 1];
  b.endsChain = CHAIN_ENDS.has(name);
  b.loops = b.length <= MAX_LOOP && (name === 'jcc' || name === 'jmpNear') && b.deltas[b.length - 1] + last.length + last.imm === 0;
}

/** Instruction `k` of block `b`, at linear `r`, run by its handler with the interpreter's per-instruction protocol. */
function runHandler(b: Block, c: Cpu, k: number, r: number): void {
  const i = b.insns[k];
  c.insn = i;
  c.insnLength = i.length;
  c.rip = r;
  c.nextRip = r + i.length;
  if (i.hasModrm && i.mod !== 3) c.computeEa(i);
  b.handlers[k](c, i);
}

/** The reference way to run a block (cold blocks, and everywhere when code generation is refused): one round. */
function runThreaded(this: Block, c: Cpu, st: CpuState, rip: number, icount: number, codeGen: Uint32Array, gen: number): number {
  const n = this.length, page = this.phys >>> 12, page2 = this.page2, gen2 = this.gen2;
  for (let k = 0; k < n; k++) {
    const r = rip + this.deltas[k];
    if (k === this.cross && !c.fetchMaps(r, page2)) { // the second page is no longer where it was
      st.icount = icount + k;
      st.setRipNum(r);
      return k;
    }
    const committed = this.committed[k];
    if (committed) { st.icount = icount + k; st.setRipNum(r); }
    runHandler(this, c, k, r);
    if (k === n - 1 && this.endsChain) { retireChainEnd(c, st, icount + n); return n; }
    // The end, a side exit (a Jcc taken, a RET elsewhere than the block's path), or a write to one of the block's pages.
    if (k === n - 1 || c.nextRip !== rip + this.deltas[k + 1] || (committed && (codeGen[page] !== gen || codeGen[page2] !== gen2))) {
      st.icount = icount + k + 1;
      st.setRipNum(c.nextRip);
      return k + 1;
    }
  }
  return n;
}

/**
 * A block's last instruction, one of CHAIN_ENDS, retired as step() retires it: the retired count
 * `icount`, RIP unless a VM exit or entry set it, the interrupt shadow counted down (an entry may load one).
 */
export function retireChainEnd(c: Cpu, st: CpuState, icount: number): void {
  st.icount = icount;
  if (!c.ripCommitted) st.setRipNum(c.nextRip);
  if (st.interruptShadow > 0) st.interruptShadow--;
}

/**
 * A compiled block's instruction `k` run by its handler (one without an emitter, or the
 * handler's path of one written out), with the block's RFLAGS `flags` and the retired count
 * and RIP committed first as runThreaded does; returns RFLAGS after it. One function for every
 * block keeps the rarely taken paths out of the generated code.
 */
export function handlerAt(b: Block, c: Cpu, st: CpuState, k: number, rip: number, icount: number, flags: number): number {
  const r = rip + b.deltas[k];
  st.setRflags(flags);
  st.icount = icount + k;
  st.setRipNum(r);
  runHandler(b, c, k, r);
  return st.getRflags();
}

let allowed: boolean | undefined;

/** Whether this realm lets us generate code (new Function is refused under a strict Content Security Policy, or with node --disallow-code-generation-from-strings). */
export function codeGenerationAllowed(): boolean {
  if (allowed === undefined) {
    try { allowed = new Function('return 1')() === 1; } catch { allowed = false; }
  }
  return allowed;
}

/** What a compiled block's source is made into: its function given the helpers it calls (compiledSource). */
type BlockFactory = (
  p: Uint8Array, x: typeof handlerAt, h: Uint32Array, i: typeof imul64, l: typeof mul64Low, d: typeof divideFast, t: typeof retireChainEnd,
) => BlockRun;

/** Compiled functions by source, shared by every block (of any machine) with the same code; cleared when full. */
const compiled = new Map<string, BlockRun>();
const COMPILED_MAX = 4096;

/**
 * Compile a hot block (`known`: only if a function for its code exists already); false (the
 * threaded runner stays) if it is compiled already, there is none yet, or code generation is refused.
 */
export function compileBlock(b: Block, known: boolean): boolean {
  if (b.run !== runThreaded || !codeGenerationAllowed()) return false;
  const source = compiledSource(b);
  let run = compiled.get(source);
  if (run === undefined) {
    if (known) return false;
    if (compiled.size >= COMPILED_MAX) compiled.clear();
    run = (new Function('P', 'X', 'H', 'I', 'L', 'D', 'T', source) as BlockFactory)(PARITY, handlerAt, HALVES, imul64, mul64Low, divideFast, retireChainEnd);
    compiled.set(source, run);
  }
  b.run = run;
  return true;
}
