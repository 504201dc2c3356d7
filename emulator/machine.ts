// The whole machine behind MachineApi (emulator/api.ts): CpuState, RAM, the interpreter, VMX,
// the devices of docs/platform.md and the trace buffer, booted by the loader. run() is the
// hot loop: one cpu.step() per instruction with only cheap checks around it (breakpoints when
// any are set, a pending-stop field that hooks and devices fill, halted/shutdown flags).

import type {
  AddressSpace, ConsoleOutput, EntryFailure, HistoryApi, HistoryOptions, MachineApi, MachineSnapshot, RegisterName, StopReason, TripleFault, VmExitInfo,
} from './api';
import { Cpu } from './cpu/cpu';
import { CpuState, Flag, GPR_NAMES, type Segment } from './cpu/state';
import { PlatformExit } from './devices/platformExit';
import { PortBus } from './devices/portBus';
import { Serial16550, type SerialState } from './devices/serial16550';
import { TraceChannel } from './devices/traceChannel';
import { boot, type BootInfo } from './loader/boot';
import type { ElfFile } from './loader/elf';
import { DEFAULT_RAM, MiB } from './loader/memoryMap';
import { PhysicalMemory } from './memory/physical';
import type { TraceRecord } from './trace/record';
import { TraceBuffer } from './trace/traceBuffer';
import { capturePages, restorePages, type Pages } from './history/pages';
import { History } from './history/history';
import { EXIT_REASON_FAILED_VMENTRY, ExitReason, Field, FIELD_SLOT, VMCS_FIELDS, VM_INSTRUCTION_ERROR_MESSAGES } from './vmx/fields';
import { Vmx, type VmxSnapshot } from './vmx/vmx';
import { Vmcs } from './vmx/vmcs';
import { HALVES, join } from './cpu/halves';

export interface MachineOptions {
  hostElf: Uint8Array;
  guestElf: Uint8Array;
  /** Used in error messages (base name only); default "host.elf" / "guest.elf". */
  hostPath?: string;
  guestPath?: string;
  /** Bytes of RAM; default 64 MiB. */
  memorySize?: number;
  /** Trace records kept (the newest; default about a million). */
  traceCapacity?: number;
}

export const PORT_COM1 = 0x3f8, PORT_COM2 = 0x2f8, PORT_TRACE = 0x510, PORT_EXIT = 0x501;


/** Where the SDM states the checks behind each VM-instruction error VMLAUNCH/VMRESUME reports. */
const INSTRUCTION_ERROR_SDM: Record<number, string> = {
  0: '31.2 (VMfailInvalid: no current VMCS)', 4: '31.3 (VMLAUNCH)', 5: '31.3 (VMRESUME)',
  7: '27.2.1', 8: '27.2.2-27.2.3',
};

interface Watchpoint { start: number; end: number; read: boolean; write: boolean; space: 'linear' | 'physical' }

interface VmcsHalves { readonly lo: Uint32Array; readonly hi: Uint32Array }

interface SnapshotData {
  /** The non-zero 4 KiB pages of RAM by page number, shared with the base snapshot where unchanged. */
  pages: Pages;
  /** Bytes of page copies this snapshot made (the rest it shares). */
  copied: number;
  steps: number;
  consoleProduced: Record<ConsoleOutput['port'], number>;
  vmcsAtExit: VmcsHalves | undefined;
  state: CpuState;
  vmx: VmxSnapshot;
  serials: [SerialState, SerialState];
  exitStatus: number | undefined;
  traceWritten: number;
  lastExit: VmExitInfo | undefined;
  entered: boolean;
}

export class Machine implements MachineApi {
  readonly cpu: CpuState;
  readonly memory: PhysicalMemory;
  readonly interpreter: Cpu;
  readonly vmx: Vmx;
  readonly bus = new PortBus();
  readonly trace: TraceBuffer;
  readonly host: ElfFile;
  readonly guest: ElfFile;
  readonly bootInfo: BootInfo;

  private readonly hostConsole: Serial16550;
  private readonly guestConsole: Serial16550;
  private readonly platformExit = new PlatformExit();
  private readonly consoleListeners: ((out: ConsoleOutput) => void)[] = [];
  stopOnVmExit = false;
  stopOnVmEntry = false;
  /** The last VM exit's information (not an entry failure's); a restored snapshot's until the next exit. */
  get lastExit(): VmExitInfo | undefined { return this.exitSinceRestore ? this.vmx.lastExit.record() : this.restoredExit; }
  private exitSinceRestore = false;
  private restoredExit: VmExitInfo | undefined;
  entered = false;
  /** Machine steps since boot (instructions retired or events delivered): the coordinate of history. */
  steps = 0;
  /** icount when the running basic block started, or -1 outside a block. */
  private blockIcount = -1;
  /** Reverse execution, once enableHistory() was called. */
  history: History | undefined;

  // Device output is part of history: what was produced in this timeline (machine state) and
  // how much of it listeners have seen. Output is muted while history re-executes the past.
  private readonly traceListeners: ((record: TraceRecord, step: number) => void)[] = [];
  private consoleProduced = { host: 0, guest: 0 };
  private readonly consoleEmitted = { host: 0, guest: 0 };
  private traceEmitted = 0;
  private muted = false;
  /** Re-execution for history: watchpoints and VM transitions do not stop it. */
  private quiet = false;
  /**
   * The VMCS the last VM exit left, whose fields then it keeps (Vmcs.markExit); after a
   * restore, the snapshot's copy of them (VMCS_FIELDS slots, low and high halves). `undefined`
   * before the first exit with a VMCS.
   */
  private vmcsAtExit: Vmcs | VmcsHalves | undefined;
  /** What RAM held when its record of written pages began: all zero, then the snapshot last taken or restored (history/pages.ts). */
  private cleanPages: Pages = new Map();

  /** Linear breakpoints by RIP as a signed number (CpuState.ripNum), to the address as given. */
  private readonly linearBreakpoints = new Map<number, bigint>();
  private readonly physicalBreakpoints = new Set<number>();
  private readonly watchpoints: Watchpoint[] = [];
  /** A stop decided inside cpu.step() (hook, device, watchpoint) or by requestPause(); taken right after the step. */
  private pending: StopReason | undefined;

  /** Boot a machine from the two ELF images. Throws an Error with one sentence naming a bad file. */
  static boot(options: MachineOptions): Machine {
    return new Machine(options);
  }

  private constructor(options: MachineOptions) {
    const size = options.memorySize ?? DEFAULT_RAM;
    if (!Number.isSafeInteger(size) || size <= 0 || size % MiB !== 0) throw new Error(`The RAM size must be a whole number of MiB, not ${size} bytes.`);
    this.cpu = new CpuState();
    this.memory = new PhysicalMemory(size);
    this.trace = new TraceBuffer(options.traceCapacity, () => this.stepAfterCurrent());
    const loaded = boot(this.cpu, this.memory, {
      hostElf: options.hostElf, guestElf: options.guestElf,
      hostPath: options.hostPath ?? 'host.elf', guestPath: options.guestPath ?? 'guest.elf',
    });
    this.host = loaded.host;
    this.guest = loaded.guest;
    this.bootInfo = loaded.bootInfo;

    this.hostConsole = new Serial16550(PORT_COM1, (text) => this.emitConsole('host', text));
    this.guestConsole = new Serial16550(PORT_COM2, (text) => this.emitConsole('guest', text));
    this.bus.map(PORT_COM1, PORT_COM1 + 7, this.hostConsole);
    this.bus.map(PORT_COM2, PORT_COM2 + 7, this.guestConsole);
    this.bus.map(PORT_TRACE, PORT_TRACE, new TraceChannel(this.cpu, this.memory, this.trace, (ip) => this.host.symbolAt(ip)?.name));
    this.bus.map(PORT_EXIT, PORT_EXIT, {
      in: () => 0xffffffff,
      out: (port, size, value) => {
        this.platformExit.out(port, size, value);
        this.pending ??= { kind: 'poweroff', status: this.platformExit.status! };
      },
    });

    this.interpreter = new Cpu(this.cpu, this.memory, this.bus);
    this.vmx = new Vmx(this.interpreter);
    this.interpreter.vmx = this.vmx;
    this.vmx.onExitTaken(() => this.vmExited());
    this.vmx.onEntry((launch) => this.vmEntered(launch));
    this.vmx.onEntryFailure((error, message) => this.entryFailed(error, message));
    this.trace.onRecord((record, step) => this.traced(record, step));
  }

  get inGuest(): boolean { return this.vmx.nonRoot; }
  get currentVmcs(): bigint | undefined { return this.vmx.currentVmcs; }
  /** The trace records kept (all of them unless more than `traceCapacity` were written). */
  get traceRecords(): readonly TraceRecord[] { return this.trace.all; }
  /** Status written to the platform exit port, once the machine powered off. */
  get exitStatus(): number | undefined { return this.platformExit.status; }

  // ---- registers ----------------------------------------------------------------------------

  get icount(): number { return this.cpu.icount; }
  get cpl(): number { return this.cpu.cpl; }
  get mode64(): boolean { return this.cpu.mode64; }
  get longMode(): boolean { return this.cpu.longMode; }
  gprs(): BigUint64Array { return new BigUint64Array(this.cpu.gpr); }
  segment(index: number): Segment { return copySegment(this.cpu.seg[index]); }

  register(name: RegisterName): bigint {
    const st = this.cpu;
    const gpr = (GPR_NAMES as readonly string[]).indexOf(name);
    if (gpr >= 0) return st.gpr[gpr];
    switch (name) {
      case 'rip': return st.rip;
      case 'rflags': return BigInt(st.getRflags());
      case 'cr0': return BigInt(st.cr0);
      case 'cr2': return st.cr2;
      case 'cr3': return st.cr3;
      case 'cr4': return BigInt(st.cr4);
      case 'cr8': return BigInt(st.cr8);
      case 'efer': return BigInt(st.efer);
      case 'gdtr.base': return st.gdtr.base;
      case 'idtr.base': return st.idtr.base;
    }
    throw new Error(`There is no register named ${name}.`);
  }

  setRegister(name: RegisterName, value: bigint): void {
    this.history?.discardFuture();
    const st = this.cpu;
    const v = BigInt.asUintN(64, value);
    const gpr = (GPR_NAMES as readonly string[]).indexOf(name);
    if (gpr >= 0) { st.gpr[gpr] = v; return; }
    switch (name) {
      case 'rip': st.rip = v; break;
      case 'rflags': st.setRflags(Number(v & 0xffffffffn)); break;
      case 'cr0': st.cr0 = Number(v & 0xffffffffn); break;
      case 'cr2': st.cr2 = v; break;
      case 'cr3': st.cr3 = v; break;
      case 'cr4': st.cr4 = Number(v & 0xffffffffn); break;
      case 'cr8': st.cr8 = Number(v & 0xfn); break;
      case 'efer': st.efer = Number(v & 0xffffffffn); break;
      case 'gdtr.base': st.gdtr.base = v; break;
      case 'idtr.base': st.idtr.base = v; break;
      default: throw new Error(`There is no register named ${name}.`);
    }
    // RIP, flags, paging and mode decide what the interpreter decoded and translated.
    this.interpreter.flushTlb();
    this.interpreter.invalidateCode();
    this.forgetRipPage();
  }

  // ---- execution ---------------------------------------------------------------------------

  run(budget: number): StopReason {
    const history = this.history?.recording() ? this.history : undefined;
    if (!history) {
      const stop = this.execute(budget, true);
      this.flushConsoles();
      return stop;
    }
    // Cut where snapshots are due; a continuation checks breakpoints from its first instruction.
    const end = this.steps + budget;
    let stop = this.execute(history.budget(budget), true);
    for (;;) {
      this.flushConsoles();
      history.executed();
      if (stop.kind !== 'budget' || this.steps >= end) return stop;
      stop = this.execute(history.budget(end - this.steps), true, 'all');
    }
  }

  step(): StopReason {
    const stop = this.execute(1, false);
    this.flushConsoles();
    if (this.history?.recording()) this.history.executed();
    return stop;
  }

  /**
   * Re-execution for history: on to step `target` unless the machine cannot go on, with
   * breakpoints, watchpoints and VM transitions not stopping it. Returns the dead stop if any.
   */
  advance(target: number): StopReason | undefined {
    this.quiet = true;
    try {
      while (this.steps < target) {
        const stop = this.execute(target - this.steps, true, 'none');
        if (stop.kind === 'poweroff' || stop.kind === 'halted' || stop.kind === 'shutdown') return stop;
      }
      return undefined;
    } finally {
      this.quiet = false;
      this.flushConsoles();
    }
  }

  /** A breakpoint at the instruction about to execute, as run() would report it. */
  breakpointHere(): StopReason | undefined {
    return this.linearBreakpoints.size > 0 || this.physicalBreakpoints.size > 0 ? this.breakpointAt() : undefined;
  }

  private flushConsoles(): void {
    this.hostConsole.flush();
    this.guestConsole.flush();
  }

  /** Runs `work` with device output muted, then treats everything produced so far as seen: the listeners' view is truncated or advanced to this moment. */
  silently<T>(work: () => T): T {
    this.muted = true;
    try {
      return work();
    } finally {
      this.muted = false;
      this.consoleEmitted.host = this.consoleProduced.host;
      this.consoleEmitted.guest = this.consoleProduced.guest;
      this.traceEmitted = this.trace.written;
    }
  }

  enableHistory(options?: HistoryOptions): HistoryApi {
    this.history ??= new History(this, options);
    return this.history;
  }

  /** JavaScript is single-threaded: a pause can only be asked from a hook or listener during run(), or between runs. */
  requestPause(): void { if (!this.quiet) this.pending ??= { kind: 'pause' }; }

  /** `breakpoints`: checked before every instruction but the first (run's rule), before all of them, or never. */
  private execute(budget: number, run: boolean, breakpoints: 'after-first' | 'all' | 'none' = 'after-first'): StopReason {
    const st = this.cpu;
    const dead = this.deadStop();
    if (dead) return dead;
    if (this.pending) return this.takePending();
    const checkBreakpoints = breakpoints !== 'none' && (this.linearBreakpoints.size > 0 || this.physicalBreakpoints.size > 0);
    const first = breakpoints === 'all' ? 0 : 1;
    // Basic blocks stand for as many steps as they have instructions; none may hold a
    // breakpoint past its first instruction (physical breakpoints: the interpreter alone).
    const blocks = this.physicalBreakpoints.size === 0 || breakpoints === 'none';
    const inBlock = breakpoints !== 'none' && this.linearBreakpoints.size > 0 ? this.linearBreakpoints : undefined;
    for (let n = 0; n < budget;) {
      if (checkBreakpoints && n >= first) {
        const hit = this.breakpointAt();
        if (hit) return hit;
      }
      let ran = 0;
      if (blocks) {
        this.blockIcount = st.icount;
        ran = this.interpreter.runBlock(budget - n, inBlock);
        this.blockIcount = -1;
      }
      if (ran === 0) { this.steps++; this.interpreter.step(); n++; } else { n += ran; this.steps += ran; }
      if (this.pending) return this.takePending();
      if (st.halted || st.shutdown) {
        const stop = this.deadStop();
        if (stop) return stop;
      }
    }
    return run ? { kind: 'budget' } : { kind: 'step' };
  }

  private takePending(): StopReason {
    const p = this.pending!;
    this.pending = undefined;
    return p;
  }

  /** The stop for a machine that cannot go on: shutdown, powered off, or halted with nothing to wake it. */
  private deadStop(): StopReason | undefined {
    const st = this.cpu;
    if (st.shutdown) return { kind: 'shutdown', fault: this.tripleFault() };
    if (this.platformExit.status !== undefined) return { kind: 'poweroff', status: this.platformExit.status };
    if (st.halted && !this.wakeable()) return { kind: 'halted' };
    return undefined;
  }

  /**
   * This platform has no interrupt sources, so HLT ends execution unless the CPU is in VMX
   * non-root operation with the VMX-preemption timer armed (SDM 26.5.1), which exits from HLT.
   * Time passes while halted: the TSC (icount) jumps to the timer's deadline.
   */
  private wakeable(): boolean {
    const deadline = this.vmx.nonRoot ? this.vmx.preemptionTimerDeadline : undefined;
    if (deadline === undefined) return false;
    if (this.cpu.icount < deadline) this.cpu.icount = deadline;
    return true;
  }

  private tripleFault(): TripleFault {
    const cause = this.interpreter.shutdownCause;
    if (!cause) return { rip: this.cpu.rip };
    const first = cause.firstVector !== cause.vector ? cause.firstVector : undefined;
    return { rip: cause.rip, vector: cause.vector, firstVector: first, errorCode: cause.errorCode };
  }

  private breakpointAt(): StopReason | undefined {
    const st = this.cpu;
    const linear = this.linearBreakpoints.get(st.ripNum);
    if (linear !== undefined) return { kind: 'breakpoint', address: linear, space: 'linear' };
    if (this.physicalBreakpoints.size > 0) {
      const phys = this.ripPhysical();
      if (phys !== undefined && this.physicalBreakpoints.has(phys)) return { kind: 'breakpoint', address: BigInt(phys), space: 'physical' };
    }
    return undefined;
  }

  // RIP's page translations for physical breakpoints, valid for one side and CR3; dropped at
  // every VM transition and debugger write (a guest remapping its own code under the same CR3
  // is not seen until then).
  private readonly ripPages = new Map<number, number | undefined>();
  private ripPagesNonRoot = false;
  private ripPagesCr3 = 0n;

  private ripPhysical(): number | undefined {
    const st = this.cpu;
    const offset = st.ripNum & 0xfff;
    const page = st.ripNum - offset;
    if (this.ripPagesNonRoot !== this.vmx.nonRoot || this.ripPagesCr3 !== st.cr3) {
      this.ripPages.clear();
      this.ripPagesNonRoot = this.vmx.nonRoot;
      this.ripPagesCr3 = st.cr3;
    }
    let phys = this.ripPages.get(page);
    if (phys === undefined && !this.ripPages.has(page)) {
      const p = this.translate(BigInt.asUintN(64, BigInt(page)), this.vmx.nonRoot ? 'guest-linear' : 'host-linear');
      phys = p === undefined ? undefined : Number(p);
      this.ripPages.set(page, phys);
    }
    return phys === undefined ? undefined : phys + offset;
  }

  private forgetRipPage(): void { if (this.ripPages.size > 0) this.ripPages.clear(); } // clear() allocates a table, even when empty

  private vmExited(): void {
    this.forgetRipPage();
    this.exitSinceRestore = true;
    const vmcs = this.vmx.current;
    vmcs?.markExit();
    this.vmcsAtExit = vmcs;
    if (this.stopOnVmExit && !this.quiet) this.pending ??= { kind: 'vmexit', exit: this.vmx.lastExit.record() };
  }

  /**
   * VMLAUNCH/VMRESUME VMfailed (`error` is the VM-instruction error number, SDM 31.4; 0 for
   * VMfailInvalid) or VM entry failed late with an entry-failure exit (`error` is the exit
   * reason with bit 31 set, SDM 27.8).
   */
  private entryFailed(error: number, detail: string): void {
    this.forgetRipPage();
    this.pending = { kind: 'vmentry-failure', failure: this.entryFailure(error, detail.replace(/\.$/, '')) };
  }

  private entryFailure(error: number, detail: string): EntryFailure {
    if ((error & EXIT_REASON_FAILED_VMENTRY) !== 0) {
      const exitReason = error & 0xffff;
      const sdm = exitReason === ExitReason.INVALID_STATE ? '27.3.1' : exitReason === ExitReason.MSR_LOAD_FAIL ? '27.4' : '27.8';
      return { exitReason, check: detail, sdm, guestRip: this.vmx.vmcsRead(Field.GUEST_RIP) ?? 0n };
    }
    // Vmx prefixes the check with the error's own message (SDM 31.4); the front ends name the error themselves.
    const prefix = `${VM_INSTRUCTION_ERROR_MESSAGES[error]}: `;
    const check = detail.startsWith(prefix) ? detail.slice(prefix.length) : detail;
    return { instructionError: error, check, sdm: INSTRUCTION_ERROR_SDM[error] ?? '31.4' };
  }

  private vmEntered(launch: boolean): void {
    this.forgetRipPage();
    this.entered = true;
    // The guest's RIP as a bigint only for a stop that reports it: making one at every entry cost ~3 % of a minimal exit + entry.
    if (this.stopOnVmEntry && !this.quiet) this.pending ??= { kind: 'vmentry', entry: { launch, guestRip: this.cpu.rip } };
  }

  // ---- breakpoints and watchpoints ----------------------------------------------------------

  addBreakpoint(address: bigint, space: 'linear' | 'physical'): void {
    if (space === 'linear') this.linearBreakpoints.set(Number(BigInt.asIntN(64, address)), BigInt.asUintN(64, address));
    else this.physicalBreakpoints.add(Number(address));
  }

  removeBreakpoint(address: bigint, space: 'linear' | 'physical'): void {
    if (space === 'linear') this.linearBreakpoints.delete(Number(BigInt.asIntN(64, address)));
    else this.physicalBreakpoints.delete(Number(address));
  }

  addWatchpoint(address: bigint, length: number, access: 'read' | 'write' | 'readwrite', space: 'linear' | 'physical'): void {
    this.watchpoints.push({
      start: Number(BigInt.asIntN(64, address)), end: Number(BigInt.asIntN(64, address)) + length,
      read: access !== 'write', write: access !== 'read', space,
    });
    this.interpreter.watch = (linear: bigint, phys: number, size: number, write: boolean) => this.watched(linear, phys, size, write);
  }

  removeWatchpoint(address: bigint, length: number, space: 'linear' | 'physical'): void {
    const start = Number(BigInt.asIntN(64, address));
    const i = this.watchpoints.findIndex((w) => w.start === start && w.end === start + length && w.space === space);
    if (i >= 0) this.watchpoints.splice(i, 1);
    if (this.watchpoints.length === 0) this.interpreter.watch = undefined;
  }

  private watched(linear: bigint, phys: number, size: number, write: boolean): void {
    if (this.pending || this.quiet) return;
    for (const w of this.watchpoints) {
      if (write ? !w.write : !w.read) continue;
      const a = w.space === 'linear' ? Number(BigInt.asIntN(64, linear)) : phys;
      if (a < w.end && a + size > w.start) {
        this.pending = { kind: 'watchpoint', address: BigInt.asUintN(64, BigInt(a)), access: write ? 'write' : 'read', space: w.space };
        return;
      }
    }
  }

  // ---- hooks --------------------------------------------------------------------------------

  onTrace(listener: (record: TraceRecord, step: number) => void): void { this.traceListeners.push(listener); }
  onConsole(listener: (out: ConsoleOutput) => void): void { this.consoleListeners.push(listener); }

  outputPosition(): { trace: number; host: number; guest: number } {
    return { trace: this.trace.written, ...this.consoleProduced };
  }

  /** History discarded what lay after this moment: so do the trace records of that future. */
  forgetFuture(): void { this.trace.forgetFuture(); }

  /** Output the listeners have not seen yet in this timeline goes to them (after a step back, regenerated output does). */
  private emitConsole(port: 'host' | 'guest', text: string): void {
    const start = this.consoleProduced[port];
    this.consoleProduced[port] = start + text.length;
    if (this.muted) return;
    const seen = this.consoleEmitted[port] - start;
    if (seen >= text.length) return;
    this.consoleEmitted[port] = this.consoleProduced[port];
    const out = { port, text: seen > 0 ? text.slice(seen) : text };
    for (const l of this.consoleListeners) l(out);
  }

  /**
   * The moment right after the instruction executing now: steps are counted before an
   * interpreter step, and inside a block (one step per instruction, icount committed before
   * any instruction with side effects) they are the block's start plus what it retired.
   */
  private stepAfterCurrent(): number {
    return this.blockIcount < 0 ? this.steps : this.steps + (this.cpu.icount - this.blockIcount) + 1;
  }

  private traced(record: TraceRecord, step: number): void {
    if (this.muted || record.seq < this.traceEmitted) return;
    this.traceEmitted = record.seq + 1;
    for (const l of this.traceListeners) l(record, step);
  }

  // ---- memory -------------------------------------------------------------------------------

  readMemory(address: bigint, length: number, space: AddressSpace): Uint8Array | null {
    const out = new Uint8Array(length);
    let offset = 0;
    while (offset < length) {
      const at = BigInt.asUintN(64, address + BigInt(offset));
      const pa = this.translate(at, space);
      if (pa === undefined) break;
      const n = Math.min(length - offset, 0x1000 - Number(at & 0xfffn), this.memory.size - Number(pa));
      out.set(this.memory.bytes.subarray(Number(pa), Number(pa) + n), offset);
      offset += n;
    }
    return offset === 0 && length > 0 ? null : out.subarray(0, offset);
  }

  writeMemory(address: bigint, data: Uint8Array, space: AddressSpace): number {
    this.history?.discardFuture();
    for (let i = 0; i < data.length; i++) {
      const pa = this.translate(address + BigInt(i), space);
      if (pa === undefined) { this.interpreter.invalidateCode(); this.forgetRipPage(); return i; }
      this.memory.bytes[Number(pa)] = data[i];
      this.memory.markWritten(Number(pa) >>> 12);
    }
    this.interpreter.invalidateCode(); // the write went behind the CPU's back
    this.forgetRipPage();
    return data.length;
  }

  translate(address: bigint, space: AddressSpace): bigint | undefined {
    const addr = BigInt.asUintN(64, address);
    let phys: bigint | undefined;
    switch (space) {
      case 'physical': phys = addr; break;
      case 'guest-physical': phys = this.vmx.eptTranslate(addr); break;
      case 'host-linear': phys = this.hostLinear(addr); break;
      case 'guest-linear': phys = this.guestLinear(addr); break;
    }
    return phys !== undefined && phys < BigInt(this.memory.size) ? phys : undefined;
  }

  /** Host-linear: the current CR3 in root operation, the VMCS host CR3 while the guest runs. */
  private hostLinear(addr: bigint): bigint | undefined {
    const cr3 = this.vmx.nonRoot ? this.vmx.vmcsRead(Field.HOST_CR3) : this.cpu.cr3;
    return cr3 === undefined ? undefined : this.interpreter.translateNoFault(addr, cr3);
  }

  /** Guest-linear: the guest's paging (live CR3 in non-root, the VMCS guest CR3 in root), then EPT. */
  private guestLinear(addr: bigint): bigint | undefined {
    const cr3 = this.vmx.nonRoot ? this.cpu.cr3 : this.vmx.vmcsRead(Field.GUEST_CR3);
    if (cr3 === undefined) return undefined;
    return this.interpreter.translateNoFault(addr, cr3, (gpa) => this.vmx.eptTranslate(gpa));
  }

  // ---- VMCS ---------------------------------------------------------------------------------

  vmcsRead(encoding: number): bigint | undefined { return this.vmx.vmcsRead(encoding); }
  vmcsWrite(encoding: number, value: bigint): boolean {
    this.history?.discardFuture();
    return this.vmx.vmcsWrite(encoding, value);
  }

  vmcsAtLastExit(encoding: number): bigint | undefined {
    const slot = FIELD_SLOT[(encoding >> 1) & 0x3fff];
    if (!this.vmcsAtExit || slot === undefined || slot < 0 || VMCS_FIELDS[slot].encoding !== (encoding & ~1)) return undefined;
    const at = this.vmcsAtExit;
    let lo: number, hi: number;
    if (at instanceof Vmcs) {
      at.atExit(slot);
      lo = HALVES[0]; hi = HALVES[1];
    } else {
      lo = at.lo[slot]; hi = at.hi[slot];
    }
    return (encoding & 1) !== 0 ? BigInt(hi) : join(lo, hi);
  }

  // ---- snapshot / restore -------------------------------------------------------------------

  snapshot(): MachineSnapshot {
    this.interpreter.forgetWriteMappings();
    const { pages, copied } = capturePages(this.memory, this.cleanPages, this.memory.takeWritten());
    this.cleanPages = pages;
    const data: SnapshotData = {
      pages, copied,
      steps: this.steps,
      consoleProduced: { ...this.consoleProduced },
      vmcsAtExit: this.vmcsAtExit instanceof Vmcs ? halvesAtExit(this.vmcsAtExit) : this.vmcsAtExit,
      state: copyCpuState(this.cpu, new CpuState()),
      vmx: this.vmx.serialize(),
      serials: [this.hostConsole.save(), this.guestConsole.save()],
      exitStatus: this.platformExit.status,
      traceWritten: this.trace.written,
      lastExit: this.lastExit,
      entered: this.entered,
    };
    return { icount: this.cpu.icount, steps: this.steps, copiedBytes: copied, data };
  }

  restore(snapshot: MachineSnapshot): void {
    const data = snapshot.data as SnapshotData;
    restorePages(this.memory, this.cleanPages, this.memory.takeWritten(), data.pages);
    this.cleanPages = data.pages;
    this.interpreter.forgetWriteMappings(); // a new record of written pages starts here
    this.steps = data.steps;
    this.consoleProduced = { ...data.consoleProduced };
    this.vmcsAtExit = data.vmcsAtExit; // never written: snapshots share it
    copyCpuState(data.state, this.cpu);
    this.vmx.restore(data.vmx);
    this.hostConsole.load(data.serials[0]);
    this.guestConsole.load(data.serials[1]);
    this.platformExit.status = data.exitStatus;
    // Going back truncates what listeners have seen: running forward again regenerates it.
    this.consoleEmitted.host = this.consoleProduced.host;
    this.consoleEmitted.guest = this.consoleProduced.guest;
    this.traceEmitted = data.traceWritten;
    // A later snapshot of this timeline (history going forward) gets back the records the buffer still keeps.
    this.trace.moveTo(data.traceWritten);
    this.restoredExit = data.lastExit;
    this.exitSinceRestore = false;
    this.entered = data.entered;
    this.pending = undefined;
    this.interpreter.flushTlb();
    this.interpreter.invalidateCode();
    this.forgetRipPage();
  }
}

const copySegment = (s: Segment): Segment => ({ selector: s.selector, base: s.base, limit: s.limit, attrs: s.attrs });

/** Copy every architectural field of `from` into `to` (a snapshot or a restore). */
export function copyCpuState(from: CpuState, to: CpuState): CpuState {
  to.gpr.set(from.gpr);
  to.rip = from.rip;
  to.setRflags(from.getRflags() | Flag.FIXED1);
  from.seg.forEach((s, i) => { to.seg[i] = copySegment(s); });
  Object.assign(to.gdtr, from.gdtr);
  Object.assign(to.idtr, from.idtr);
  to.cr0 = from.cr0; to.cr2 = from.cr2; to.cr3 = from.cr3; to.cr4 = from.cr4; to.cr8 = from.cr8;
  to.efer = from.efer;
  to.dr.set(from.dr);
  to.sysenterCs = from.sysenterCs; to.sysenterEsp = from.sysenterEsp; to.sysenterEip = from.sysenterEip;
  to.pat = from.pat; to.debugctl = from.debugctl;
  to.msr.clear();
  for (const [k, v] of from.msr) to.msr.set(k, v);
  to.tsc = from.tsc;
  to.icount = from.icount;
  to.halted = from.halted;
  to.shutdown = from.shutdown;
  to.interruptShadow = from.interruptShadow;
  return to;
}

/** A VMCS's fields as its last VM exit left them, copied (a snapshot's). */
function halvesAtExit(vmcs: Vmcs): VmcsHalves {
  const lo = new Uint32Array(VMCS_FIELDS.length), hi = new Uint32Array(VMCS_FIELDS.length);
  for (let slot = 0; slot < VMCS_FIELDS.length; slot++) {
    vmcs.atExit(slot);
    lo[slot] = HALVES[0];
    hi[slot] = HALVES[1];
  }
  return { lo, hi };
}
