// The x86-64 instruction interpreter: one logical processor executing from CpuState over
// PhysicalMemory and an IoBus (Intel SDM vol. 2, vol. 3A). step() fetches through paging,
// decodes with decoder/, dispatches through the handler table bound to the opcode table's
// rows, and turns CpuFault into exception delivery (interrupts.ts). Memory operands are
// accessed through a small per-access-kind TLB; linear addresses are JS numbers holding the
// canonical address as a signed integer (NaN marks a non-canonical one).

import { Cr0, Cr4, Efer, Flag, Seg, type CpuState } from './state';
import { CpuFault, VmExitTaken, Vector } from './signals';
import type { IoBus, VmxUnit } from './vmxUnit';
import type { PhysicalMemory } from '../memory/physical';
import { DecodedInsn, DecodeError, decode } from '../decoder/decoder';
import { OPCODES } from '../decoder/opcodeTable';
import { Access, TLB_BITS, TLB_SIZE, walk, WalkResult, type PagingBus } from './paging';
import { HANDLERS, type Handler } from './handlers';
import { deliverFault, deliverEvent, EventKind, singleStepTrap } from './interrupts';
import { readMsr, writeMsr } from './msr';
import { Block, blockRole, compileBlock, finishBlock, followInBlock, MAX_BLOCK } from './blocks';
import { StackTrack } from './returnPrediction';
import { join } from './halves';

const DECODE_CACHE = 8192;
const BLOCK_SLOT_BITS = 12, BLOCK_SLOTS = 1 << BLOCK_SLOT_BITS, BLOCK_WAYS = 4;
/**
 * Visits of a block start before it is built, and runs of a built block before it is compiled:
 * counted in runs, not instructions, because V8 optimizes a new function after enough calls,
 * and until then it runs slower than the threaded runner (a superblock of 30 instructions
 * reached 100,000 instructions in 3,000 runs, and the sample's first 5,000 round trips ran at
 * 60 % of their speed without compiling).
 */
const BUILD_AFTER = 2, COMPILE_AFTER = 10_000;
const TWO32 = 4294967296;
const CANON = 140737488355328; // 2^47
const TWO64 = 1n << 64n;
/** Address spaces whose TLB epochs are kept across VM transitions (switchAddressSpace). */
const MAX_SPACES = 8;
/** CR4 bits that change how linear addresses translate (SDM 4.1.1, 4.6). */
const PAGING_CR4 = Cr4.PSE | Cr4.PAE | Cr4.PGE | Cr4.LA57 | Cr4.PCIDE | Cr4.SMEP | Cr4.SMAP;

/** Data-access key added to a TLB tag: explicit supervisor, user (CPL 3), implicit supervisor. */
const enum Priv { Supervisor = 0, User = 1, Implicit = 2 }

export class Cpu {
  /** The VMX unit (emulator/vmx), set after construction; undefined means no VMX (CPUID.1:ECX.VMX = 0). */
  vmx: VmxUnit | undefined = undefined;
  /** Length of the instruction being executed (valid while step() runs it). */
  insnLength = 0;
  /** Called on every data access while set (watchpoints); setting it flushes the TLB. */
  private watchHook: ((linear: bigint, phys: number, size: number, write: boolean) => void) | undefined = undefined;

  /** GPRs as little-endian 32-bit halves over state.gpr's buffer: [2r] low, [2r+1] high. */
  readonly r32: Uint32Array;
  /** The instruction being executed (a decoded-cache slot or the scratch object). */
  insn: DecodedInsn;
  private readonly scratch = new DecodedInsn();
  /** Side channel for 64-bit values: high half of the last 64-bit read or ALU result. */
  hi = 0;
  /** RIP of the executing instruction and the RIP after it (branches change nextRip). */
  rip = 0;
  nextRip = 0;
  /** 64-bit mode for the executing instruction. */
  mode64 = true;
  /** Memory operand: linear address (NaN if non-canonical), effective address halves (LEA). */
  ea = 0;
  eaLo = 0;
  eaHi = 0;
  /** Fault vector for a non-canonical memory operand: #SS for SS-based forms, else #GP. */
  ncVector: number = Vector.GP;
  /** A handler already set state.rip (VM entry, exit): step() must not overwrite it. */
  ripCommitted = false;
  /** The executing instruction set the interrupt shadow (STI, MOV SS, POP SS). */
  shadowSet = false;
  /** Privilege class of data accesses (Priv): CPL 3 or not, or implicit supervisor (descriptor tables, TSS, IDT). */
  get priv(): number { return this.privClass; }
  set priv(p: number) { this.privClass = p; this.tagKey = this.tlbEpoch + p; }
  private privClass: number = Priv.Supervisor;
  /**
   * A TLB tag is linear page + epoch + privilege class (the low 12 bits are free). flushTlb()
   * takes a fresh epoch (a multiple of 4 below 4096), which makes every older entry miss, and
   * clears the arrays only when the epochs run out; a VM transition may go back to an epoch
   * its address space kept (switchAddressSpace).
   */
  private tlbEpoch = 0;
  private nextEpoch = 4;
  /**
   * VmxCpu.systemWrites: counts each step(), each fault a block delivers and each flushTlb(),
   * which whoever writes the state from outside calls (Machine.setRegister, restore). A block's
   * run is not counted: BLOCK_SAFE handlers leave the system registers alone. An event VM entry
   * injects needs no count: it takes a write of VM_ENTRY_INTR_INFO since the last exit, which
   * clears its valid bit, and that write already voids the last save (savedGuestState.ts).
   */
  systemWrites = 0;
  /** tlbEpoch + priv: what a hit's tag must equal, less the linear page. Compiled blocks (blockCompiler.ts) read it and the arrays below for their TLB hits. */
  tagKey: number = Priv.Supervisor;
  /**
   * XORed into the linear page number to index the TLB: it differs between epochs, so the host
   * and a guest using the same linear addresses (both linked at 1 MiB, say) do not evict each
   * other's entries at every VM transition.
   */
  tlbSalt = 0;
  /** Set when the processor shut down: the event that could not be delivered (triple fault). */
  shutdownCause: { vector: number; errorCode?: number; rip: bigint; firstVector?: number } | undefined = undefined;

  readonly mem: Uint8Array;
  private readonly physSize: number;
  readonly view: DataView;
  readonly tagR = new Float64Array(TLB_SIZE).fill(NaN);
  readonly tagW = new Float64Array(TLB_SIZE).fill(NaN);
  private readonly tagX = new Float64Array(TLB_SIZE).fill(NaN);
  // Physical pages of RAM (below 2^32): small integers, which V8 keeps as such in a Block's `phys` and in fetchPage (a double would be a boxed number to load).
  readonly physR = new Uint32Array(TLB_SIZE);
  readonly physW = new Uint32Array(TLB_SIZE);
  private readonly physX = new Uint32Array(TLB_SIZE);
  /** The execute-TLB hit of the last fetchPhys (tag, physical page); cleared by a miss and by flushTlb(). */
  private fetchTag = NaN;
  private fetchPage = 0;
  private readonly walkOut = new WalkResult();
  private readonly fetchBuf = new Uint8Array(16);
  private fsBig = 0n; private fsNum = 0;
  private gsBig = 0n; private gsNum = 0;
  private readonly handlers: Handler[];
  private readonly dcTag = new Float64Array(DECODE_CACHE).fill(NaN);
  private readonly dcGen = new Uint32Array(DECODE_CACHE);
  private readonly dcInsn: DecodedInsn[] = Array.from({ length: DECODE_CACHE }, () => new DecodedInsn());
  /** Per physical page: holds cached decoded code; write generation. */
  private readonly codePage: Uint8Array;
  private readonly codeGen: Uint32Array;
  /** Block execution (blocks.ts) on; false runs every instruction through step() (the reference). */
  blocks = true;
  /** Visits of a block start before it is built, and instructions run in a block before it is compiled (tests lower both). */
  buildAfter = BUILD_AFTER;
  compileAfter = COMPILE_AFTER;
  /** Blocks compiled to JavaScript so far (stays 0 where code generation is refused). */
  compiledBlocks = 0;
  /** runBlock goes on from block to block; tests turn it off to see where one block ends. */
  chainBlocks = true;
  private readonly blkTab: (Block | undefined)[] = new Array<Block | undefined>(BLOCK_SLOTS).fill(undefined);
  private readonly blkSeen = new Uint8Array(BLOCK_SLOTS);
  /**
   * The block that ended the last chain (a VM exit or entry, port I/O): its `next` is where the
   * next chain began last time, so a VMCALL's block finds the host's handler, and VMRESUME's the
   * guest's code, without the table's lookup.
   */
  private chainEnd: Block | undefined;
  /** Address spaces left at VM transitions (at most MAX_SPACES, oldest first): their TLB epoch and the paging-structure write count when it began. */
  private readonly spaces: { space: number; cr3: bigint; bits: number; epoch: number; writes: number }[] = [];
  readonly bus: PagingBus;

  constructor(readonly state: CpuState, readonly phys: PhysicalMemory, readonly io: IoBus) {
    this.r32 = state.gprHalves;
    this.mem = phys.bytes;
    this.physSize = phys.size;
    this.insn = this.scratch;
    this.codePage = new Uint8Array((phys.size >>> 12) + 1);
    this.codeGen = new Uint32Array((phys.size >>> 12) + 1);
    this.view = phys.view;
    this.handlers = OPCODES.map((e) => {
      const h = HANDLERS[e.handler];
      if (!h) throw new Error(`opcode table row ${e.mnemonic} names unknown handler ${e.handler}`);
      return h;
    });
    if (state.dr[6] === 0n && state.dr[7] === 0n) { state.dr[6] = 0xffff0ff0n; state.dr[7] = 0x400n; }
    this.bus = {
      toHost: (gpa, access, linear, ps) => this.toHost(gpa, access, linear, ps),
      read32: (a) => { this.markPagingStructure(a); return this.phys.read32(a); },
      write32: (a, v) => this.phys.write32(a, v),
    };
  }

  get watch(): ((linear: bigint, phys: number, size: number, write: boolean) => void) | undefined { return this.watchHook; }
  set watch(hook: ((linear: bigint, phys: number, size: number, write: boolean) => void) | undefined) { this.watchHook = hook; this.forgetAddressSpaces(); this.flushTlb(); }

  // ---------------------------------------------------------------- execution loop

  /** Execute one instruction or deliver one pending event. Only CpuFault/VmExitTaken are handled; nothing else escapes except a clear internal Error. */
  step(): void {
    const st = this.state;
    if (st.shutdown) return;
    this.systemWrites++;
    try {
      const vmx = this.vmx;
      if (vmx !== undefined && vmx.nonRoot) vmx.beforeInstruction();
      if (st.halted) return;
      this.execute();
    } catch (e) {
      this.recover(e);
    }
  }

  /**
   * Run basic blocks (blocks.ts) from RIP, one after another, while that is exactly what
   * `limit` step() calls would do, and return the steps they took; 0 when there is none to
   * run, and the caller steps instead. A block runs only in 64-bit code on the page of the last
   * fetch (the execute TLB's answer), with no RF/TF, no interrupt shadow, no watch hook, no
   * breakpoint (`breakpoints`, linear RIPs) at any of its instructions but the first (the
   * chain stops before a block that starts at one: the caller checks it), and no
   * VMX-preemption timer expiring inside it; VMX's per-instruction checks run before its first
   * instruction as step() runs them, and nothing in a block can change their outcome later. A
   * fault, a VM exit or entry, or port I/O ends the chain, so the caller sees its listeners'
   * and devices' requests at once (and the other side's VMX checks run before its first instruction).
   */
  runBlock(limit: number, breakpoints?: ReadonlyMap<number, unknown>): number {
    const st = this.state;
    if (!this.blocks || st.halted || st.shutdown || st.interruptShadow !== 0 || this.watchHook !== undefined) return 0;
    const csAttrs = st.seg[Seg.CS].attrs;
    if ((st.efer & Efer.LMA) === 0 || (csAttrs & (1 << 13)) === 0 || (st.getRflags() & (Flag.RF | Flag.TF)) !== 0) return 0;
    // None of this can change inside a block (blocks.ts BLOCK_SAFE): it holds for the whole chain.
    const priv = (csAttrs & 0x60) === 0x60 ? Priv.User : Priv.Supervisor;
    const vmx = this.vmx;
    const nonRoot = vmx !== undefined && vmx.nonRoot;
    // The per-instruction state the handlers read, as step() sets it (it sets it again itself).
    this.mode64 = true;
    this.priv = priv;
    this.ripCommitted = false;
    this.shadowSet = false;
    // Runs at which a block is compiled: see below.
    const after = this.compileAfter, known = Math.ceil(after / 100), loops = Math.ceil(after / 10);
    let total = 0;
    let prev = this.chainEnd;
    do {
      const rip = st.ripNum;
      const off = rip & 0xfff;
      if (off > 4096 - 15) break;
      const tag = rip - off + this.tlbEpoch + priv;
      if (tag !== this.fetchTag) {
        // A control transfer to another page: its execute-TLB entry, as the fetch would use it.
        const idx = this.tlbSlot(rip);
        if (this.tagX[idx] !== tag) break;
        this.fetchTag = tag;
        this.fetchPage = this.physX[idx];
      }
      // The block that followed this one last time, if it is still the code there; else the table.
      // Its generations are compared here before isCurrent (which begins with the same test):
      // calling it at every block was 2-4 % slower on the sample.
      const phys = this.fetchPage + off, gen = this.codeGen[phys >>> 12];
      let b = prev?.next;
      if (b === undefined || b.phys !== phys || ((b.gen !== gen || b.gen2 !== this.codeGen[b.page2]) && !b.isCurrent(this.mem, this.codeGen))) {
        b = this.blockAt(phys, rip);
        if (b === undefined) break;
        if (prev !== undefined) prev.next = b;
      }
      const n = b.length, left = limit - total;
      if ((n < 2 && !b.endsChain) || n > left) break;
      const icount = st.icount;
      // The icount a compiled loop's rounds may reach: the budget, the preemption deadline, one
      // round when a breakpoint sits at the start (the caller checks it before the chain).
      let end = icount + left;
      if (breakpoints !== undefined) {
        let k = 1;
        while (k < n && !breakpoints.has(rip + b.deltas[k])) k++;
        if (k < n) break;
        if (breakpoints.has(rip)) {
          if (total > 0) break;
          end = icount + n;
        }
      }
      if (nonRoot) {
        const deadline = vmx.preemptionTimerDeadline;
        if (deadline !== undefined) {
          if (icount + n > deadline) break;
          if (deadline < end) end = deadline;
        }
      }
      // A loop's function runs whole rounds in one call, where V8 optimizes it at once (on-stack
      // replacement): it is compiled ten times sooner. Code compiled before in this process (a
      // restarted session, a history replay's fresh table) has a function V8 has optimized
      // already: a block takes it a hundred times sooner.
      const runs = ++b.runs;
      if ((runs === known && compileBlock(b, true)) || (runs === (b.loops ? loops : after) && compileBlock(b, false))) this.compiledBlocks++;
      prev = b;
      try {
        if (nonRoot) vmx.beforeInstruction();
        total += b.run(this, st, rip, icount, this.codeGen, b.gen, end);
      } catch (e) {
        const retired = st.icount - icount;
        this.recover(e);
        return total + retired + 1;
      }
      if (b.endsChain) { this.chainEnd = b; break; }
    } while (total < limit && this.chainBlocks);
    return total;
  }

  /** Whether the execute TLB maps linear `lin`'s page to physical page `page` now, for this privilege (a block's second page, blocks.ts). */
  fetchMaps(lin: number, page: number): boolean {
    const idx = this.tlbSlot(lin);
    return this.tagX[idx] === lin - (lin & 0xfff) + this.tagKey && this.physX[idx] === page * 4096;
  }

  /** The current block at physical `phys` (linear `rip`): found, revalidated after a write to its pages, or built once it was asked for often enough; undefined if not (yet). */
  private blockAt(phys: number, rip: number): Block | undefined {
    // Fibonacci hashing onto sets of BLOCK_WAYS slots: hot blocks whose hashes collide keep their own slots.
    // The table holds the blocks alone (their phys is the tag): a lookup touches one table slot and one Block.
    const set = (Math.imul(phys, 0x9e3779b1) >>> (32 - BLOCK_SLOT_BITS)) & -BLOCK_WAYS;
    let slot = set, b = this.blkTab[set];
    while (slot < set + BLOCK_WAYS - 1 && (b === undefined || b.phys !== phys)) b = this.blkTab[++slot];
    const found = b !== undefined && b.phys === phys;
    if (found && b !== undefined && b.isCurrent(this.mem, this.codeGen)) return b;
    if (++this.blkSeen[set] < this.buildAfter) return undefined;
    this.blkSeen[set] = 0;
    const built = this.buildBlock(phys, rip);
    if (!found) { // a new block goes first in its set, the last one drops out
      slot = set;
      const dropped = this.blkTab[set + BLOCK_WAYS - 1];
      if (dropped !== undefined) dropped.next = undefined; // so that dropped blocks cannot keep a chain of others alive
      this.blkTab.copyWithin(set + 1, set, set + BLOCK_WAYS - 1);
    }
    this.blkTab[slot] = built;
    return built;
  }

  /** Decode the block starting at physical address `phys`, linear `rip` (a block of length < 2 runs only if it ends a chain, Block.endsChain). */
  private buildBlock(phys: number, rip: number): Block {
    const page = phys >>> 12;
    this.markCodePage(page);
    const insns: DecodedInsn[] = [], names: string[] = [], handlers: Handler[] = [], at: number[] = [];
    const returns: number[] = [], pages = [page];
    // A second page joins if the execute TLB maps it now as the first is mapped (blocks.ts).
    const admit = (other: number) => {
      if (!this.fetchMaps(rip - phys + other * 4096, other)) return false;
      this.markCodePage(other);
      return true;
    };
    const r = this.r32, stack = new StackTrack((r[9] | 0) * TWO32 + r[8], (r[11] | 0) * TWO32 + r[10]);
    let p: number | undefined = phys;
    while (p !== undefined && insns.length < MAX_BLOCK && (p & 0xfff) <= 4096 - 15 && p + 15 <= this.physSize) {
      const i = new DecodedInsn();
      decode(i, this.mem, p, 15, true, 4);
      if (i.error !== DecodeError.None) break;
      const name = OPCODES[i.id].handler;
      const role = blockRole(name);
      if (role === 'stop') break;
      insns.push(i); names.push(name); handlers.push(this.handlers[i.id]); at.push(p);
      const predicted = name === 'retNear' && returns.length === 0 ? this.predictedReturn(stack.top, phys, rip) : undefined;
      stack.step(name, i);
      p = role === 'end' ? followInBlock(name, i, p, at, returns, pages, admit, predicted) : p + i.length;
    }
    const b = new Block(phys, this.codeGen[page], insns);
    finishBlock(b, at, names, handlers, this.mem);
    b.gen2 = this.codeGen[b.page2];
    return b;
  }

  /**
   * The physical address a RET would return to if it read its address at linear `top` now,
   * in the block starting at physical `phys`, linear `rip`: only through the read or write TLB
   * (nothing walked, nothing faults); undefined if unknown or outside memory.
   */
  private predictedReturn(top: number | undefined, phys: number, rip: number): number | undefined {
    if (top === undefined) return undefined;
    const off = top & 0xfff, idx = this.tlbSlot(top), tag = top - off + this.tagKey;
    if (off > 4088) return undefined;
    const page = this.tagR[idx] === tag ? this.physR[idx] : this.tagW[idx] === tag ? this.physW[idx] : -1;
    if (page < 0) return undefined;
    const at = page + off;
    const to = phys + ((this.view.getUint32(at + 4, true) | 0) * TWO32 + this.view.getUint32(at, true) - rip);
    return to >= 0 && to < this.physSize ? to : undefined;
  }

  /** Code is decoded from `page`: writes to it must bump its generation (codeGen), so none may go through the write TLB. */
  private markCodePage(page: number): void {
    if (!this.codePage[page]) { this.codePage[page] = 1; this.forgetWriteMappings(); }
  }

  private recover(e: unknown): void {
    this.systemWrites++;
    try {
      if (e instanceof CpuFault) deliverFault(this, e);
      else if (e instanceof VmExitTaken) this.state.icount++;
      else throw e;
    } catch (e2) {
      if (e2 instanceof VmExitTaken) { this.state.icount++; return; }
      const why = e2 instanceof Error ? e2.message : String(e2);
      throw new Error(`internal CPU error at RIP 0x${this.state.rip.toString(16)}: ${why}`, { cause: e2 });
    }
  }

  private execute(): void {
    const st = this.state;
    const rip = st.ripNum;
    this.rip = rip;
    // One read of CS's attributes gives 64-bit mode (EFER.LMA && CS.L) and CPL (CS.DPL).
    const csAttrs = st.seg[Seg.CS].attrs;
    const mode64 = (st.efer & Efer.LMA) !== 0 && (csAttrs & (1 << 13)) !== 0;
    this.mode64 = mode64;
    this.priv = (csAttrs & 0x60) === 0x60 ? Priv.User : Priv.Supervisor;
    const flagsBefore = st.getRflags();
    // Hot path, inlined: 64-bit code on the page of the previous fetch, found in the decoded cache.
    const off = rip & 0xfff;
    let i: DecodedInsn | undefined;
    if (mode64 && off <= 4096 - 15 && rip - off + this.tagKey === this.fetchTag) {
      const base = this.fetchPage + off;
      const slot = (base ^ (base >>> 11)) & (DECODE_CACHE - 1);
      if (this.dcTag[slot] === base * 4 && this.dcGen[slot] === this.codeGen[base >>> 12]) {
        i = this.dcInsn[slot];
        this.insn = i;
      }
    }
    if (i === undefined) i = this.fetchDecode(rip, mode64);
    const len = i.length;
    this.insnLength = len;
    this.nextRip = mode64 ? rip + len : (rip + len) % TWO32;
    if (i.hasModrm && i.mod !== 3) this.computeEa(i);
    this.ripCommitted = false;
    this.shadowSet = false;
    this.handlers[i.id](this, i);
    // Retire (SDM 6.8.3 shadow, 17.3.1.1 RF, 17.3.1.4 single-step).
    st.icount++;
    if (!this.ripCommitted) this.commitRip(this.nextRip);
    if (this.shadowSet) st.interruptShadow = 1;
    else if (st.interruptShadow > 0) st.interruptShadow--;
    if (flagsBefore & (Flag.RF | Flag.TF)) this.retireRfTf(flagsBefore);
  }

  /** RF is cleared after the instruction it covered; TF traps after it (kept out of execute() so that stays small enough for V8 to inline into step()). */
  private retireRfTf(flagsBefore: number): void {
    const st = this.state;
    if (flagsBefore & Flag.RF) st.setRflags(st.getRflags() & ~Flag.RF);
    if ((flagsBefore & Flag.TF) && !this.shadowSet && !this.ripCommitted) singleStepTrap(this);
  }

  /** Set state.rip to `n` (a canonical linear address as a signed number). */
  commitRip(n: number): void {
    this.state.setRipNum(n);
  }

  /**
   * Fetch and decode at `rip`. Decoded instructions are cached by physical address and mode;
   * a cache entry is valid while its page's write generation is unchanged (writes through the
   * CPU bump it; code pages are kept out of the write TLB so every write to them is seen).
   */
  private fetchDecode(rip: number, mode64: boolean): DecodedInsn {
    const off = rip & 0xfff;
    let base = this.fetchPhys(rip);
    let i: DecodedInsn;
    if (mode64 && off <= 4096 - 15 && base + 15 <= this.physSize) {
      // Hot path: 64-bit code not crossing a page, found in the decoded cache.
      const slot = (base ^ (base >>> 11)) & (DECODE_CACHE - 1);
      if (this.dcTag[slot] === base * 4 && this.dcGen[slot] === this.codeGen[base >>> 12]) {
        i = this.dcInsn[slot];
        this.insn = i;
        return i;
      }
    }
    const defSize = mode64 ? 4 : (this.state.seg[Seg.CS].attrs & (1 << 14)) ? 4 : 2;
    if (off <= 4096 - 15 && base + 15 <= this.physSize) {
      const key = base * 4 + (mode64 ? 0 : defSize === 4 ? 1 : 2);
      const slot = (base ^ (base >>> 11)) & (DECODE_CACHE - 1);
      i = this.dcInsn[slot];
      const page = base >>> 12;
      if (this.dcTag[slot] === key && this.dcGen[slot] === this.codeGen[page]) { this.insn = i; return i; }
      decode(i, this.mem, base, 15, mode64, defSize);
      if (i.error === DecodeError.None) {
        this.dcTag[slot] = key;
        this.dcGen[slot] = this.codeGen[page];
        this.markCodePage(page);
      } else this.dcTag[slot] = NaN;
    } else {
      // Crossing a page (or the end of RAM): gather bytes; fault on the next page only if they are needed.
      i = this.scratch;
      const buf = this.fetchBuf;
      const first = Math.min(15, 4096 - off);
      for (let k = 0; k < first; k++) buf[k] = this.phys.read8(base + k);
      let avail = first;
      let pending: CpuFault | undefined;
      if (first < 15) {
        try {
          base = this.fetchPhys(rip + first);
          for (let k = first; k < 15; k++) buf[k] = this.phys.read8(base + k - first);
          avail = 15;
        } catch (e) {
          if (!(e instanceof CpuFault)) throw e;
          pending = e;
        }
      }
      decode(i, buf, 0, avail, mode64, defSize);
      if (i.error === DecodeError.Truncated && pending) throw pending;
    }
    this.insn = i;
    if (i.error !== DecodeError.None) {
      if (i.error === DecodeError.TooLong) throw new CpuFault(Vector.GP, 0);
      throw new CpuFault(Vector.UD);
    }
    return i;
  }

  /** Physical page `physPage` was written behind the CPU's back: its decoded instructions and blocks are checked again before use. */
  invalidateDecoded(physPage: number): void {
    if (physPage >= 0 && physPage < this.codeGen.length) this.codeGen[physPage]++;
    this.forgetAddressSpaces(); // the page may hold paging structures too
  }

  /**
   * Registers were written behind the CPU's back (debugger, snapshot): CR0/CR3/CR4/EFER or
   * segment changes make cached translations stale. GPRs, RIP and RFLAGS need nothing: blocks
   * and the decoded cache read them afresh at every instruction boundary.
   */
  onStateWritten(): void { this.flushTlb(); }

  /** Forget decoded instructions (call after writing guest code behind the CPU's back, e.g. a debugger or loader). */
  invalidateCode(): void {
    this.forgetAddressSpaces();
    this.dcTag.fill(NaN);
    this.blkTab.fill(undefined);
    this.chainEnd = undefined;
    this.codePage.fill(0); // pages are marked again when code is fetched from them
  }

  private fetchPhys(lin: number): number {
    const off = lin & 0xfff;
    const tag = lin - off + this.tagKey;
    const idx = this.tlbSlot(lin);
    if (this.tagX[idx] === tag) {
      this.fetchTag = tag;
      this.fetchPage = this.physX[idx];
      return this.fetchPage + off;
    }
    this.fetchTag = NaN; // the walk below may refill this TLB slot
    return this.translate(lin, Access.Execute, this.priv);
  }

  // ---------------------------------------------------------------- effective addresses

  /** Compute the memory operand's effective address (SDM 3.7.5) and linear address. */
  computeEa(i: DecodedInsn): void {
    const r = this.r32;
    let lo: number, hi: number;
    if (i.ripRelative) {
      const t = this.nextRip + i.disp;
      lo = t >= 0 ? t % TWO32 : (t % TWO32 + TWO32) % TWO32;
      hi = Math.floor(t / TWO32) >>> 0;
    } else {
      lo = i.disp >>> 0;
      hi = i.disp < 0 ? -1 : 0;
      const b = i.base, x = i.index;
      if (b >= 0) { lo += r[b << 1]; hi += r[(b << 1) + 1]; }
      if (x >= 0) {
        const sc = i.scale, xl = r[x << 1], xh = r[(x << 1) + 1];
        if (sc === 0) { lo += xl; hi += xh; }
        else { lo += (xl << sc) >>> 0; hi += ((xh << sc) | (xl >>> (32 - sc))) >>> 0; }
      }
      const carry = Math.floor(lo / TWO32);
      lo -= carry * TWO32;
      hi = (hi + carry) >>> 0;
    }
    const as = i.addrsize;
    if (as !== 8) { lo = as === 4 ? lo : lo & 0xffff; hi = 0; }
    this.eaLo = lo;
    this.eaHi = hi;
    const seg = i.seg;
    this.ncVector = seg === Seg.SS ? Vector.SS : Vector.GP;
    if (this.mode64) {
      let lin = (hi | 0) * TWO32 + lo;
      if (seg >= Seg.FS) lin += this.segBase64(seg);
      this.ea = lin >= -CANON && lin < CANON ? lin : NaN;
    } else {
      this.ea = (this.segBase32(seg) + lo) % TWO32;
    }
  }

  /** FS/GS base as a signed number (cached against the bigint in CpuState). */
  segBase64(seg: number): number {
    const b = this.state.seg[seg].base;
    if (seg === Seg.FS) {
      if (b !== this.fsBig) { this.fsBig = b; this.fsNum = Number(BigInt.asIntN(64, b)); }
      return this.fsNum;
    }
    if (seg === Seg.GS) {
      if (b !== this.gsBig) { this.gsBig = b; this.gsNum = Number(BigInt.asIntN(64, b)); }
      return this.gsNum;
    }
    return 0;
  }

  segBase32(seg: number): number {
    const b = this.state.seg[seg].base;
    return b === 0n ? 0 : Number(b & 0xffffffffn);
  }

  /** Linear address of segment:offset for string instructions and implicit operands. */
  linearOf(seg: number, lo: number, hi: number): number {
    if (this.mode64) {
      let lin = (hi | 0) * TWO32 + lo;
      if (seg >= Seg.FS) lin += this.segBase64(seg);
      if (lin >= -CANON && lin < CANON) return lin;
      throw new CpuFault(seg === Seg.SS ? Vector.SS : Vector.GP, 0);
    }
    return (this.segBase32(seg) + lo) % TWO32;
  }

  // ---------------------------------------------------------------- registers

  /** Read a GPR of `size` bytes; size 8 leaves the high half in this.hi. Byte registers follow REX rules. */
  getReg(size: number, r: number): number {
    const g = this.r32;
    if (size === 8) { this.hi = g[(r << 1) + 1]; return g[r << 1]; }
    if (size === 4) return g[r << 1];
    if (size === 2) return g[r << 1] & 0xffff;
    if (r >= 4 && r < 8 && this.insn.rex === 0) return (g[(r - 4) << 1] >>> 8) & 0xff;
    return g[r << 1] & 0xff;
  }

  /** Write a GPR; 32-bit writes zero the upper half (SDM 3.4.1.1). */
  setReg(size: number, r: number, lo: number, hi: number): void {
    const g = this.r32;
    if (size === 8) { g[r << 1] = lo; g[(r << 1) + 1] = hi; }
    else if (size === 4) { g[r << 1] = lo; g[(r << 1) + 1] = 0; }
    else if (size === 2) g[r << 1] = (g[r << 1] & 0xffff0000) | (lo & 0xffff);
    else if (r >= 4 && r < 8 && this.insn.rex === 0) { const k = (r - 4) << 1; g[k] = (g[k] & 0xffff00ff) | ((lo & 0xff) << 8); }
    else g[r << 1] = (g[r << 1] & 0xffffff00) | (lo & 0xff);
  }

  /** Read the ModRM r/m operand of the instruction's operand size. */
  readE(i: DecodedInsn, size = i.opsize): number {
    return i.mod === 3 ? this.getReg(size, i.rm) : this.read(size, this.ea);
  }

  writeE(i: DecodedInsn, lo: number, hi: number, size = i.opsize): void {
    if (i.mod === 3) this.setReg(size, i.rm, lo, hi);
    else this.write(size, this.ea, lo, hi);
  }

  get rflags(): number { return this.state.getRflags(); }
  set rflags(v: number) { this.state.setRflags(v); }

  // ---------------------------------------------------------------- data memory by linear address

  read(size: number, lin: number): number {
    switch (size) {
      case 1: return this.read8(lin);
      case 2: return this.read16(lin);
      case 4: return this.read32(lin);
      default: return this.read64(lin);
    }
  }

  write(size: number, lin: number, lo: number, hi: number): void {
    switch (size) {
      case 1: this.write8(lin, lo); break;
      case 2: this.write16(lin, lo); break;
      case 4: this.write32(lin, lo); break;
      default: this.write64(lin, lo, hi);
    }
  }

  read8(lin: number): number {
    const off = lin & 0xfff, idx = this.tlbSlot(lin);
    if (this.tagR[idx] === lin - off + this.tagKey) return this.mem[this.physR[idx] + off];
    return this.readSlow(lin, 1);
  }
  read16(lin: number): number {
    const off = lin & 0xfff, idx = this.tlbSlot(lin);
    if (off <= 4094 && this.tagR[idx] === lin - off + this.tagKey) return this.view.getUint16(this.physR[idx] + off, true);
    return this.readSlow(lin, 2);
  }
  read32(lin: number): number {
    const off = lin & 0xfff, idx = this.tlbSlot(lin);
    if (off <= 4092 && this.tagR[idx] === lin - off + this.tagKey) return this.view.getUint32(this.physR[idx] + off, true);
    return this.readSlow(lin, 4);
  }
  /** 64-bit read: returns the low half, high half in this.hi. */
  read64(lin: number): number {
    const off = lin & 0xfff, idx = this.tlbSlot(lin);
    if (off <= 4088 && this.tagR[idx] === lin - off + this.tagKey) {
      const p = this.physR[idx] + off;
      this.hi = this.view.getUint32(p + 4, true);
      return this.view.getUint32(p, true);
    }
    return this.readSlow(lin, 8);
  }
  write8(lin: number, v: number): void {
    const off = lin & 0xfff, idx = this.tlbSlot(lin);
    if (this.tagW[idx] === lin - off + this.tagKey) { this.mem[this.physW[idx] + off] = v; return; }
    this.writeSlow(lin, 1, v, 0);
  }
  write16(lin: number, v: number): void {
    const off = lin & 0xfff, idx = this.tlbSlot(lin);
    if (off <= 4094 && this.tagW[idx] === lin - off + this.tagKey) { this.view.setUint16(this.physW[idx] + off, v, true); return; }
    this.writeSlow(lin, 2, v, 0);
  }
  write32(lin: number, v: number): void {
    const off = lin & 0xfff, idx = this.tlbSlot(lin);
    if (off <= 4092 && this.tagW[idx] === lin - off + this.tagKey) { this.view.setUint32(this.physW[idx] + off, v >>> 0, true); return; }
    this.writeSlow(lin, 4, v, 0);
  }
  write64(lin: number, lo: number, hi: number): void {
    const off = lin & 0xfff, idx = this.tlbSlot(lin);
    if (off <= 4088 && this.tagW[idx] === lin - off + this.tagKey) {
      const p = this.physW[idx] + off;
      this.view.setUint32(p, lo >>> 0, true);
      this.view.setUint32(p + 4, hi >>> 0, true);
      return;
    }
    this.writeSlow(lin, 8, lo, hi);
  }

  /** Check that a write of `size` bytes at `lin` would succeed (for read-modify-write ordering), without writing. */
  probeWrite(lin: number, size: number): void {
    this.translate(lin, Access.Write, this.priv);
    if ((lin & 0xfff) + size > 4096) this.translate(lin + size - 1, Access.Write, this.priv);
  }

  private readSlow(lin: number, size: number): number {
    const off = lin & 0xfff;
    if (off + size <= 4096) {
      const p = this.translate(lin, Access.Read, this.priv);
      if (this.watchHook) this.watchHook(this.big(lin), p, size, false);
      const ph = this.phys;
      switch (size) {
        case 1: return ph.read8(p);
        case 2: return ph.read16(p);
        case 4: return ph.read32(p);
        default: this.hi = ph.read32(p + 4); return ph.read32(p);
      }
    }
    // Page-crossing access: both pages must translate before any byte is used.
    const first = 4096 - off;
    const p0 = this.translate(lin, Access.Read, this.priv);
    const p1 = this.translate(lin + first, Access.Read, this.priv);
    if (this.watchHook) this.watchHook(this.big(lin), p0, size, false);
    let lo = 0, hi = 0;
    for (let k = 0; k < size; k++) {
      const b = this.phys.read8(k < first ? p0 + k : p1 + k - first);
      if (k < 4) lo += b * 2 ** (8 * k); else hi += b * 2 ** (8 * (k - 4));
    }
    this.hi = hi;
    return lo;
  }

  private writeSlow(lin: number, size: number, lo: number, hi: number): void {
    const off = lin & 0xfff;
    const ph = this.phys;
    if (off + size <= 4096) {
      const p = this.translate(lin, Access.Write, this.priv);
      this.codeWritten(p);
      if (this.watchHook) this.watchHook(this.big(lin), p, size, true);
      switch (size) {
        case 1: ph.write8(p, lo & 0xff); break;
        case 2: ph.write16(p, lo & 0xffff); break;
        case 4: ph.write32(p, lo); break;
        default: ph.write32(p, lo); ph.write32(p + 4, hi);
      }
      return;
    }
    const first = 4096 - off;
    const p0 = this.translate(lin, Access.Write, this.priv);
    const p1 = this.translate(lin + first, Access.Write, this.priv);
    this.codeWritten(p0);
    this.codeWritten(p1);
    if (this.watchHook) this.watchHook(this.big(lin), p0, size, true);
    for (let k = 0; k < size; k++) {
      const b = k < 4 ? (lo >>> (8 * k)) & 0xff : (hi >>> (8 * (k - 4))) & 0xff;
      ph.write8(k < first ? p0 + k : p1 + k - first, b);
    }
  }

  private codeWritten(p: number): void {
    const page = p >>> 12;
    if (page < this.codePage.length && this.codePage[page]) this.codeGen[page]++;
  }

  /** Linear -> (host-)physical for an access at privilege `priv`, filling the TLB. Throws #PF/#GP or exits. */
  translate(lin: number, access: Access, priv: number): number {
    if (lin !== lin) throw new CpuFault(this.ncVector, 0);
    const st = this.state;
    let p: number;
    if (!(st.cr0 & Cr0.PG)) {
      const a = lin < 0 ? lin + 2 ** 64 : lin;
      p = this.toHost(a % TWO32, access, lin, false);
    } else {
      const user = priv === Priv.User;
      const smap = !user && (st.cr4 & Cr4.SMAP) !== 0 && (priv === Priv.Implicit || (st.getRflags() & Flag.AC) === 0);
      walk(st, this.bus, lin, access, user, smap, true, this.walkOut);
      p = this.toHost(this.walkOut.phys, access, lin, false);
    }
    const off = lin & 0xfff;
    const page = p - off;
    if (page >= 0 && page + 4096 <= this.phys.size && this.watchHook === undefined) {
      const idx = this.tlbSlot(lin);
      const tag = lin - off + this.tlbEpoch + priv;
      if (access === Access.Read) { this.tagR[idx] = tag; this.physR[idx] = page; }
      else if (access === Access.Write) {
        // Writes to code and paging-structure pages go the slow way, which notices them.
        if (!this.codePage[page >>> 12] && !this.phys.pagingPage[page >>> 12]) {
          this.tagW[idx] = tag;
          this.physW[idx] = page;
          this.phys.markWritten(page >>> 12); // stores through this entry bypass PhysicalMemory
        }
        this.tagR[idx] = tag; this.physR[idx] = page;
      }
      else { this.tagX[idx] = tag; this.physX[idx] = page; }
    }
    return p;
  }

  private toHost(gpa: number, access: Access, linear: number, pagingStructure: boolean): number {
    const vmx = this.vmx;
    if (vmx === undefined || !vmx.nonRoot) return gpa;
    return vmx.translateGuestPhysical(BigInt(gpa), access === Access.Read ? 'read' : access === Access.Write ? 'write' : 'execute', this.big(linear), pagingStructure);
  }

  /** The TLB slot of linear address `lin`: its page number XOR the epoch's salt (tlbSalt). Compiled blocks write the same out. */
  private tlbSlot(lin: number): number { return ((lin >>> 12) ^ this.tlbSalt) & (TLB_SIZE - 1); }

  /**
   * Forget the write TLB's entries, so that the next store to each page maps it again: after a
   * page became one whose writes must be seen (code, paging structures), and at a snapshot (a
   * page the write TLB maps is marked written, PhysicalMemory.takeWritten).
   */
  forgetWriteMappings(): void { this.tagW.fill(NaN); }

  /** Drop every cached translation (CR0/CR3/CR4/EFER writes, INVLPG, INVEPT/INVVPID, SMAP-relevant AC changes). */
  flushTlb(): void {
    this.systemWrites++;
    // A fresh epoch, never one an address space kept (switchAddressSpace goes back to old ones).
    let epoch = this.nextEpoch;
    this.nextEpoch += 4;
    if (epoch === 4096) {
      epoch = 0;
      this.nextEpoch = 4;
      this.tagR.fill(NaN);
      this.tagW.fill(NaN);
      this.tagX.fill(NaN);
      this.spaces.length = 0; // their epochs come round again
    }
    this.useEpoch(epoch);
  }

  private useEpoch(epoch: number): void {
    this.tlbEpoch = epoch;
    this.tagKey = epoch + this.privClass;
    this.tlbSalt = Math.imul(epoch >>> 2, 0x9e3779b1) >>> (32 - TLB_BITS); // Fibonacci hashing onto the TLB's slots
    this.fetchTag = NaN;
  }

  /**
   * After VM entry or exit, where the SDM (29.4.3, without VPID) has the TLB flushed: go back
   * to the epoch this address space (`space`: vmxCpu.ts ROOT_SPACE, GUEST_SPACE, or the guest's
   * EPT root, plus CR3 and the paging bits of CR0/CR4/EFER and SMAP's AC) had when it was last
   * entered, if no paging structure was written since that epoch began. Its entries then equal
   * what a fresh walk would give, with no accessed/dirty bit left to set, so keeping them cannot
   * be told from the flush; otherwise flush.
   */
  switchAddressSpace(space: number): void {
    const st = this.state, cr0 = st.cr0, efer = st.efer;
    const bits = ((st.cr4 & PAGING_CR4) << 5) | (cr0 & Cr0.PG ? 16 : 0) | (cr0 & Cr0.WP ? 8 : 0) | (efer & Efer.NXE ? 4 : 0)
      | (efer & Efer.LMA ? 2 : 0) | ((st.cr4 & Cr4.SMAP) !== 0 && (st.getRflags() & Flag.AC) !== 0 ? 1 : 0);
    const writes = this.phys.pagingWrites, spaces = this.spaces;
    let i = spaces.length - 1;
    while (i >= 0 && !(spaces[i].space === space && spaces[i].cr3 === st.cr3 && spaces[i].bits === bits)) i--;
    if (i >= 0 && spaces[i].writes === writes) {
      this.useEpoch(spaces[i].epoch);
      return;
    }
    if (i >= 0) spaces.splice(i, 1);
    else if (spaces.length === MAX_SPACES) spaces.shift();
    this.flushTlb(); // may empty `spaces` (the epochs ran out)
    spaces.push({ space, cr3: st.cr3, bits, epoch: this.tlbEpoch, writes });
  }

  /** Forget the epochs of address spaces left at VM transitions (memory or state changed behind the CPU's back, a watch hook set). */
  private forgetAddressSpaces(): void { this.spaces.length = 0; }

  /** A walk read a paging-structure entry at `addr`: writes to its page must now be seen (Cpu.switchAddressSpace), so none may hit the write TLB. */
  markPagingStructure(addr: number): void {
    const page = addr >>> 12;
    const marks = this.phys.pagingPage;
    if (page < marks.length && !marks[page]) { marks[page] = 1; this.forgetWriteMappings(); }
  }

  /** Signed-number linear address -> unsigned 64-bit bigint. */
  big(lin: number): bigint { return lin >= 0 ? BigInt(lin) : BigInt(lin) + TWO64; }
  /** Unsigned 64-bit bigint -> signed-number linear address (NaN if not canonical). */
  num(lin: bigint): number {
    const n = Number(BigInt.asIntN(64, lin));
    return this.mode64 || this.state.longMode ? (n >= -CANON && n < CANON ? n : NaN) : n % TWO32;
  }

  // ---------------------------------------------------------------- public bigint helpers (VMX, tests, debugger)

  readLinear8(linear: bigint): number { this.ncVector = Vector.GP; return this.read8(this.num(linear)); }
  readLinear16(linear: bigint): number { this.ncVector = Vector.GP; return this.read16(this.num(linear)); }
  readLinear32(linear: bigint): number { this.ncVector = Vector.GP; return this.read32(this.num(linear)); }
  readLinear64(linear: bigint): bigint {
    this.ncVector = Vector.GP;
    const lo = this.read64(this.num(linear));
    return join(lo, this.hi);
  }
  writeLinear8(linear: bigint, v: number): void { this.ncVector = Vector.GP; this.write8(this.num(linear), v); }
  writeLinear16(linear: bigint, v: number): void { this.ncVector = Vector.GP; this.write16(this.num(linear), v); }
  writeLinear32(linear: bigint, v: number): void { this.ncVector = Vector.GP; this.write32(this.num(linear), v); }
  writeLinear64(linear: bigint, v: bigint): void {
    this.ncVector = Vector.GP;
    this.write64(this.num(linear), Number(v & 0xffffffffn), Number((v >> 32n) & 0xffffffffn));
  }

  /**
   * Translate without side effects (no A/D writes, no faults, no VM exits) through the page
   * tables at `cr3` (default: the current CR3). In VMX non-root the result is guest-physical
   * unless `gpaToHpa` maps guest-physical addresses (used for the paging structures too).
   */
  translateNoFault(linear: bigint, cr3: bigint = this.state.cr3, gpaToHpa?: (gpa: bigint) => bigint | undefined): bigint | undefined {
    const st = this.state;
    const n = Number(BigInt.asIntN(64, linear));
    let gpa: number;
    if (!(st.cr0 & Cr0.PG)) gpa = Number(linear & 0xffffffffn);
    else {
      if (!(n >= -CANON && n < CANON)) return undefined;
      let failed = false;
      const bus: PagingBus = {
        toHost: (g) => {
          if (!gpaToHpa) return g;
          const h = gpaToHpa(BigInt(g));
          if (h === undefined) { failed = true; return this.phys.size; }
          return Number(h);
        },
        read32: (a) => this.phys.read32(a),
        write32: () => undefined,
      };
      const out = new WalkResult();
      if (!walk(st, bus, n, Access.Read, false, false, false, out, Number(cr3 & 0xffffffffff000n)) || failed) return undefined;
      gpa = out.phys;
    }
    if (!gpaToHpa) return BigInt(gpa);
    return gpaToHpa(BigInt(gpa));
  }

  /** Read bytes by linear address without side effects; returns how many leading bytes translated. */
  readLinearNoFault(linear: bigint, out: Uint8Array, cr3?: bigint, gpaToHpa?: (gpa: bigint) => bigint | undefined): number {
    for (let k = 0; k < out.length; k++) {
      const p = this.translateNoFault(BigInt.asUintN(64, linear + BigInt(k)), cr3, gpaToHpa);
      if (p === undefined || p >= BigInt(this.phys.size)) return k;
      out[k] = this.phys.read8(Number(p));
    }
    return out.length;
  }

  /** VM-entry event injection (SDM 27.6), called by VMX while entering the guest. */
  injectEvent(vector: number, type: number, errorCode: number | undefined, instructionLength: number): void {
    const st = this.state;
    this.rip = st.ripNum;
    this.mode64 = st.mode64;
    const kind = type === 4 ? EventKind.Software : type === 5 ? EventKind.PrivilegedSoftware : type === 6 ? EventKind.SoftwareException
      : type === 0 ? EventKind.External : EventKind.Hardware;
    const ret = kind === EventKind.Software || kind === EventKind.PrivilegedSoftware || kind === EventKind.SoftwareException
      ? this.rip + instructionLength : this.rip;
    st.halted = false;
    try {
      deliverEvent(this, vector, errorCode, kind, ret, undefined, false);
    } catch (e) {
      if (!(e instanceof CpuFault)) throw e;
      deliverFault(this, e);
    }
  }

  /** RDMSR as CPL 0 would see it (VMX MSR-store areas); undefined where RDMSR would #GP. */
  readMsr(index: number): bigint | undefined {
    try { return readMsr(this, index); } catch (e) { if (e instanceof CpuFault) return undefined; throw e; }
  }

  /** WRMSR as CPL 0 would do it (VMX MSR-load areas); false where WRMSR would #GP. */
  writeMsr(index: number, value: bigint): boolean {
    try { writeMsr(this, index, value); return true; } catch (e) { if (e instanceof CpuFault) return false; throw e; }
  }

  /** Raise #GP(0) etc. from handlers: small helper to keep them terse. */
  fault(vector: number, errorCode?: number): never { throw new CpuFault(vector, errorCode); }
}
