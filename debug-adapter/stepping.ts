// next / stepIn / stepOut, by source line or by instruction, across the VM boundary:
// stepIn on VMCALL lands in the host at `hostStepInTarget`; stepping out of the host's exit
// handler (vmx_handle_exit) returns to the guest after VMRESUME; next over VMCALL runs the
// whole host handling (host breakpoints still count) and stops at the next guest line.

import type { Debuggee } from './debuggee';
import type { ExecutionEngine, Outcome } from './executionEngine';
import type { HostStepInTarget } from './launchConfig';
import type { LineLocation, Side } from './programSymbols';

export type Granularity = 'line' | 'instruction';

/** The host function whose return means "the exit is handled" (Linux arch/x86/kvm/vmx/vmx.c). */
export const HOST_EXIT_HANDLER = 'vmx_handle_exit';
/** Instruction steps between two looks at the event loop (pause requests). */
const STEPS_PER_YIELD = 2_000;

const STEP: Outcome = { kind: 'stop', reason: 'step' };

interface Position { side: Side; rip: bigint; rsp: bigint; line: LineLocation | undefined }

export class SteppingEngine {
  constructor(private readonly debuggee: Debuggee, private readonly engine: ExecutionEngine, private readonly target: HostStepInTarget) {}

  private position(): Position {
    const d = this.debuggee;
    const side = d.side;
    const rip = d.machine.register('rip');
    return { side, rip, rsp: d.machine.register('rsp'), line: d.symbolsFor(side).addressToLine(rip) };
  }

  private isVmcallAt(side: Side, rip: bigint): boolean {
    const bytes = this.debuggee.memory(side).read(rip, 3);
    return side === 'guest' && !!bytes && bytes[0] === 0x0f && bytes[1] === 0x01 && bytes[2] === 0xc1;
  }

  /** Length of a SYSCALL (0f 05) or INT n (cd ib) at `rip`, else 0: instructions `next` treats like calls. */
  private systemCallLength(side: Side, rip: bigint): number {
    const bytes = this.debuggee.memory(side).read(rip, 2);
    if (!bytes || this.debuggee.machine.cpl !== 3) return 0;
    if (bytes[0] === 0x0f && bytes[1] === 0x05) return 2;
    return bytes[0] === 0xcd ? 2 : 0;
  }

  /** A filter stop shows the guest at its VMCALL while the CPU already sits at the host's exit entry. */
  private takeExitView(): boolean {
    const was = this.debuggee.exitStopView && this.debuggee.exit !== undefined;
    this.debuggee.exitStopView = false;
    return was;
  }

  /**
   * Step Back through the machine's history: one machine step (instruction), or the reverse
   * of `next` (line): back to the start of the previous line of this frame or an outer one on
   * the same side, so a VMCALL's whole host handling is stepped over backwards as forwards;
   * from the host, back into the guest where it exited.
   */
  async stepBack(granularity: Granularity): Promise<Outcome> {
    const d = this.debuggee;
    const history = d.machine.history!;
    const exitView = this.takeExitView();
    // One machine step back, even from a filter stop: from the host at the exit to the guest's exiting instruction.
    if (granularity === 'instruction' || exitView) history.seek(d.machine.steps - 1);
    if (granularity === 'instruction') return STEP;
    const start = this.position();
    const symbols = d.symbolsFor(start.side);
    const lineHere = () => symbols.addressToLine(d.machine.register('rip'));
    const inFrame = () => d.side === start.side && d.machine.register('rsp') >= start.rsp;
    const other = (line: LineLocation | undefined) => () => {
      if (!inFrame()) return false;
      const here = lineHere();
      return here !== undefined && (here.path !== line?.path || here.line !== line.line);
    };
    // The host's lines do not step over the guest, backwards as forwards (next from VMRESUME
    // stops in the guest): going back past the start of an exit's handling stops at the guest
    // instruction that exited.
    const intoGuest = () => start.side === 'host' && d.side === 'guest';
    const back = await this.reverseUntil(() => intoGuest() || other(start.line)());
    if (typeof back !== 'boolean') return back; // paused
    if (!back) return STEP;
    if (intoGuest()) return STEP;
    // Now somewhere in the previous line: back to just after the line before it.
    const before = await this.reverseUntil(other(lineHere()));
    if (typeof before !== 'boolean') return before;
    if (before) history.seek(d.machine.steps + 1);
    return STEP;
  }

  /**
   * Reverse step out, the reverse of stepOut: back to the call of the current function (its
   * caller just before the call instruction, as gdb's reverse-finish); from the host's exit
   * dispatcher, back to the guest instruction that exited.
   */
  async stepOutBack(): Promise<Outcome> {
    const d = this.debuggee;
    const history = d.machine.history!;
    // A filter stop shows the guest at its exiting instruction: step out of that guest frame.
    if (this.takeExitView()) history.seek(d.machine.steps - 1);
    const side = d.side;
    const symbols = d.symbolsFor(side);
    const regs = d.liveRegisters();
    const handlingExit = side === 'host' && d.exit !== undefined;
    const frame = handlingExit && symbols.functionAt(regs.rip)?.name === HOST_EXIT_HANDLER ? undefined : symbols.unwind(regs, d.memory(side));
    let back: boolean | Outcome = false;
    if (frame) {
      const cfa = frame.cfa; // RSP in the caller before its call pushed the return address
      back = await this.reverseUntil(() => d.side === side && d.machine.register('rsp') >= cfa);
    } else if (handlingExit) {
      back = await this.reverseUntil(() => d.side === 'guest');
    }
    return typeof back === 'boolean' ? STEP : back;
  }

  /** history.reverseUntil, answering pause in between: whether `test` held somewhere, or the pause stop. */
  private async reverseUntil(test: () => boolean): Promise<boolean | Outcome> {
    const back = await this.engine.drive(this.debuggee.machine.history!.reverseUntilSearch(test));
    return back.paused ?? back.result ?? false;
  }

  async stepIn(granularity: Granularity): Promise<Outcome> {
    if (this.takeExitView()) return this.intoHostFromExit();
    const start = this.position();
    if (this.isVmcallAt(start.side, start.rip)) return this.intoHost();
    if (granularity === 'instruction') return (await this.crossing(start.side, () => this.engine.stepInstruction())) ?? STEP;
    return this.lineStep(start, true);
  }

  async next(granularity: Granularity): Promise<Outcome> {
    let start = this.position();
    if (this.takeExitView()) {
      // The VMCALL is "executing": let the host finish it, then go on as if stepping over it.
      const guestRip = this.debuggee.exit!.guestRip;
      const back = await this.engine.run({ vmEntry: true });
      if (back.kind !== 'goal') return back;
      if (granularity === 'instruction') return STEP;
      start = { ...this.position(), rip: guestRip, line: this.debuggee.symbols.guest.addressToLine(guestRip) };
      return this.lineStep(start, false, true);
    }
    if (granularity === 'instruction') {
      const outcome = await this.overInstruction(start);
      return outcome ?? STEP;
    }
    return this.lineStep(start, false);
  }

  async stepOut(): Promise<Outcome> {
    if (this.takeExitView()) {
      const back = await this.engine.run({ vmEntry: true });
      if (back.kind !== 'goal') return back;
    }
    const d = this.debuggee;
    const side = d.side;
    const symbols = d.symbolsFor(side);
    const regs = d.liveRegisters();
    const handlingExit = side === 'host' && d.exit !== undefined;
    if (handlingExit && symbols.functionAt(regs.rip)?.name === HOST_EXIT_HANDLER) return this.toGuest();
    const frame = symbols.unwind(regs, d.memory(side));
    if (!frame) return handlingExit ? this.toGuest() : this.engine.run({});
    const cfa = frame.cfa;
    const outcome = await this.engine.run({
      at: { address: frame.caller.rip, side, when: () => d.machine.register('rsp') >= cfa },
      vmEntry: handlingExit,
    });
    return outcome.kind === 'goal' ? STEP : outcome;
  }

  private async toGuest(): Promise<Outcome> {
    const outcome = await this.engine.run({ vmEntry: true });
    return outcome.kind === 'goal' ? STEP : outcome;
  }

  /** From the exit view (host not yet run): go to the step-in target. */
  private async intoHostFromExit(): Promise<Outcome> {
    if (this.target === 'vmexit') return STEP;
    return this.runToHostTarget();
  }

  /** stepIn on a VMCALL: one instruction reaches the host's exit entry; then on to the target. */
  private async intoHost(): Promise<Outcome> {
    const outcome = await this.engine.stepInstruction(true);
    if (outcome) return outcome;
    if (this.target === 'vmexit' || this.debuggee.side === 'guest') return STEP;
    return this.runToHostTarget();
  }

  private async runToHostTarget(): Promise<Outcome> {
    const host = this.debuggee.symbols.host;
    const fn = host.functionByName(this.target);
    if (!fn) return STEP;
    const outcome = await this.engine.run({ at: { address: host.bodyStart(fn), side: 'host' }, vmEntry: true, quietExits: true });
    return outcome.kind === 'goal' ? STEP : outcome;
  }

  /**
   * One instruction; a call is run to its return. A guest instruction that exits (VMCALL, I/O)
   * runs the host's handling until the guest resumes. Returns a user stop, or undefined when done.
   */
  private async overInstruction(start: Position): Promise<Outcome | undefined> {
    const before = this.position();
    const trapLength = this.systemCallLength(before.side, before.rip);
    if (trapLength) {
      // SYSCALL / INT n: the kernel runs (and may exit to the host) until it returns right after it.
      const cpl = this.debuggee.machine.cpl;
      const back = await this.engine.run({ at: { address: before.rip + BigInt(trapLength), side: before.side, when: () => this.debuggee.machine.cpl === cpl } });
      return back.kind === 'goal' ? undefined : back;
    }
    const outcome = await this.crossing(start.side, () => this.engine.stepInstruction(this.isVmcallAt(before.side, before.rip)));
    if (outcome) return outcome;
    const now = this.position();
    if (now.side !== before.side) return undefined;
    const ret = this.debuggee.readU64(now.side, now.rsp);
    const called = now.rsp === before.rsp - 8n && ret !== undefined && ret > before.rip && ret <= before.rip + 15n && now.rip !== ret;
    if (!called) return undefined;
    const back = await this.engine.run({ at: { address: ret!, side: now.side, when: () => this.debuggee.machine.register('rsp') > now.rsp } });
    return back.kind === 'goal' ? undefined : back;
  }

  /** Runs `step`; if the guest exited to the host meanwhile, lets the host finish and the guest resume. */
  private async crossing(side: Side, step: () => Promise<Outcome | undefined>): Promise<Outcome | undefined> {
    const outcome = await step();
    if (outcome) return outcome;
    if (side === 'guest' && this.debuggee.side === 'host') {
      const back = await this.engine.run({ vmEntry: true });
      if (back.kind !== 'goal') return back;
    }
    return undefined;
  }

  /**
   * Source-line stepping: instruction by instruction until the start of another line (or a
   * jump back to the start of this one). `into` enters calls that have line information.
   */
  private async lineStep(start: Position, into: boolean, alreadyMoved = false): Promise<Outcome> {
    let moved = alreadyMoved;
    for (let n = 1; ; n++) {
      const here = this.position();
      if (moved) {
        if (here.side !== start.side) return STEP; // the host entered the guest (VMRESUME) or similar
        const loc = here.line;
        if (!loc) return STEP;
        const atRowStart = loc.address === here.rip;
        const otherLine = !start.line || loc.line !== start.line.line || loc.path !== start.line.path;
        if (atRowStart && (otherLine || here.rip <= start.rip || here.rsp > start.rsp)) {
          return into ? this.pastPrologue(here.side, here.rip) : STEP;
        }
      }
      if (into && this.isVmcallAt(here.side, here.rip)) return this.intoHost();
      const outcome = into ? await this.intoInstruction(here) : await this.overInstruction(start);
      if (outcome) return outcome;
      moved = true;
      if (n % STEPS_PER_YIELD === 0) {
        const paused = await this.engine.yieldToEvents();
        if (paused) return paused;
      }
    }
  }

  /** Entering a function stops where its body starts, after the prologue, as gdb's step does. */
  private async pastPrologue(side: Side, rip: bigint): Promise<Outcome> {
    const symbols = this.debuggee.symbolsFor(side);
    const fn = symbols.functionAt(rip);
    if (!fn || fn.low !== rip) return STEP;
    const body = symbols.bodyStart(fn);
    // The prologue is a handful of straight-line instructions (endbr64, push rbp, mov rbp, sub rsp).
    for (let i = 0; i < 16 && this.debuggee.machine.register('rip') !== body && this.debuggee.side === side; i++) {
      const outcome = await this.engine.stepInstruction();
      if (outcome) return outcome;
    }
    return STEP;
  }

  /** stepIn's single instruction: enter calls, but run through code without line information. */
  private async intoInstruction(before: Position): Promise<Outcome | undefined> {
    const outcome = await this.crossing(before.side, () => this.engine.stepInstruction());
    if (outcome) return outcome;
    const now = this.position();
    if (now.side !== before.side || now.line) return undefined;
    const ret = this.debuggee.readU64(now.side, now.rsp);
    if (now.rsp !== before.rsp - 8n || ret === undefined || ret <= before.rip || ret > before.rip + 15n) return undefined;
    const back = await this.engine.run({ at: { address: ret, side: now.side, when: () => this.debuggee.machine.register('rsp') > now.rsp } });
    return back.kind === 'goal' ? undefined : back;
  }
}
