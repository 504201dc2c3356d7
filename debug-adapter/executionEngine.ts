// Runs the machine for the debugger: in slices with the event loop free in between (so pause
// answers at once), deciding at each machine stop whether the user should see it (breakpoint
// conditions, hit counts, logpoints, exception filters, data breakpoints, faults) or whether a
// stepping goal was reached. Knows nothing of DAP messages; session.ts turns outcomes into events.

import type { ReverseSearch, StopReason, VmExitInfo } from '../emulator/api';
import type { BreakpointManager, ConditionEvaluator, HitVerdict } from './breakpoints';
import type { Debuggee } from './debuggee';
import type { ExceptionFilters, FilterHit } from './exceptionFilters';
import { describeFault } from './faults';
import type { Side } from './programSymbols';

/**
 * Slices adapt to the machine's speed so that each one takes about SLICE_MS: pause then
 * answers within a few tens of milliseconds however fast or slow the emulator runs.
 */
const SLICE_MS = 20;
const MIN_SLICE = 1_000;
const MAX_SLICE = 2_000_000;

export type Outcome =
  | { kind: 'goal' }
  /** `exitView`: an exception filter stopped at a VM exit; show the guest at the exiting instruction. */
  | { kind: 'stop'; reason: string; description?: string; text?: string; hitBreakpointIds?: number[]; exitView?: boolean }
  /** The machine cannot go on (or a failed VM entry the user asked to see); `fatal` ends the session on the next resume. */
  | { kind: 'fault'; description: string; text: string; fatal: boolean }
  | { kind: 'exited'; status: number };

/** What a stepping request waits for, besides user stops. */
export interface Goal {
  at?: { address: bigint; side: Side; when?: () => boolean };
  vmEntry?: boolean;
  vmExit?: boolean;
  /** Exception filters stay quiet (the step itself is about the exit, e.g. stepping into a VMCALL). */
  quietExits?: boolean;
}

export interface EngineHost {
  /** Condition/logpoint context of the current top frame. */
  evaluator(): ConditionEvaluator;
  /** Logpoint output. */
  log(text: string): void;
  /** A fault the user chose not to stop on, still worth a line in the console. */
  notice(text: string): void;
}

export interface EngineOptions {
  /** Instructions the host may run from boot without any VM entry before it counts as "never launches a guest". */
  neverEnteredLimit: number;
}

function breakpointStop(verdict: HitVerdict): Outcome | undefined {
  return verdict.stop ? { kind: 'stop', reason: verdict.error ? 'exception' : verdict.reason, hitBreakpointIds: verdict.ids, description: verdict.error, text: verdict.error } : undefined;
}

function dataStop(verdict: HitVerdict, at: { address: bigint; access: string }): Outcome | undefined {
  return verdict.stop ? { kind: 'stop', reason: 'data breakpoint', hitBreakpointIds: verdict.ids, description: verdict.error ?? `Data breakpoint: ${at.access} of 0x${at.address.toString(16)}` } : undefined;
}

function filterStop(hit: FilterHit | undefined): Outcome | undefined {
  return hit ? { kind: 'stop', reason: 'exception', description: hit.description, text: hit.text, exitView: true } : undefined;
}

/** Lets pending messages (pause!) be handled; setImmediate in Node, a zero timeout in a web worker. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

export class ExecutionEngine {
  private goal: Goal = {};
  private pauseRequested = false;
  private sliceSize = 10_000;

  constructor(
    private readonly debuggee: Debuggee,
    private readonly breakpoints: BreakpointManager,
    private readonly filters: ExceptionFilters,
    private readonly host: EngineHost,
    private readonly options: EngineOptions,
  ) {}

  requestPause(): void {
    // Slices are short, so the flag is seen within milliseconds; the machine's own pause flag
    // would outlive a stop and cut the next run short.
    this.pauseRequested = true;
  }

  /** The program stopped for whatever reason: a pause asked for meanwhile is answered by that stop. */
  clearPause(): void { this.pauseRequested = false; }

  /** The one place a VM exit becomes a stop: an exception filter, or the goal of a step. */
  private atVmExit(exit: VmExitInfo): Outcome | undefined {
    const hit = filterStop(this.goal.quietExits ? undefined : this.filters.onVmExit(exit));
    return hit ?? (this.goal.vmExit ? { kind: 'goal' } : undefined);
  }

  /** Executes exactly one instruction; hooks and faults still count. */
  async stepInstruction(quietExits = false): Promise<Outcome | undefined> {
    const outcome = await this.guard({ quietExits }, () => this.interpret(this.debuggee.machine.step()));
    return outcome.kind === 'goal' ? undefined : outcome;
  }

  /** Runs until the goal, a user stop, a fault or the end. The instruction at RIP always executes first. */
  async run(goal: Goal): Promise<Outcome> {
    const temp = goal.at?.address;
    if (temp !== undefined) this.breakpoints.retainMachineBreakpoint(temp);
    try {
      return await this.guard(goal, async () => {
        let outcome = this.interpret(this.debuggee.machine.step());
        // Slices that end early (at each VM exit, which the filters look at) run on without
        // yielding until SLICE_MS has passed: a loop of hypercalls would otherwise go through
        // the event loop once per round trip.
        let yielded = -Infinity;
        while (!outcome) {
          if (performance.now() - yielded >= SLICE_MS) {
            await yieldToEventLoop();
            if (this.pauseRequested) return { kind: 'stop', reason: 'pause' } as Outcome;
            yielded = performance.now();
          }
          outcome = this.slice();
        }
        return outcome;
      });
    } finally {
      if (temp !== undefined) this.breakpoints.releaseMachineBreakpoint(temp);
    }
  }

  /** Lets a long stepping loop (instruction by instruction) yield and see a pause request. */
  async yieldToEvents(): Promise<Outcome | undefined> {
    await yieldToEventLoop();
    if (this.pauseRequested) {
      this.pauseRequested = false;
      return { kind: 'stop', reason: 'pause' };
    }
    return undefined;
  }

  private async guard(goal: Goal, body: () => Outcome | undefined | Promise<Outcome | undefined>): Promise<Outcome> {
    if (this.debuggee.deadReason) return { kind: 'fault', description: 'The machine has stopped', text: this.debuggee.deadReason, fatal: true };
    this.goal = goal;
    const machine = this.debuggee.machine;
    machine.stopOnVmExit = true;
    machine.stopOnVmEntry = goal.vmEntry === true;
    try {
      const outcome = await body();
      if (outcome?.kind === 'stop' && outcome.reason === 'pause') this.pauseRequested = false;
      return outcome ?? { kind: 'goal' };
    } finally {
      this.goal = {};
      machine.stopOnVmExit = false;
      machine.stopOnVmEntry = false;
    }
  }

  private slice(): Outcome | undefined {
    const machine = this.debuggee.machine;
    const max = this.debuggee.config.maxInstructions;
    let budget = this.sliceSize;
    if (max !== undefined) budget = Math.min(budget, max - machine.icount);
    if (!this.debuggee.entered) budget = Math.min(budget, Math.max(1, this.options.neverEnteredLimit - machine.icount));
    if (budget <= 0) return this.fault('budget');
    const before = machine.icount;
    const started = performance.now();
    const stop = machine.run(budget);
    const elapsed = performance.now() - started;
    if (stop.kind === 'budget') {
      if (elapsed < SLICE_MS / 2) this.sliceSize = Math.min(MAX_SLICE, this.sliceSize * 2);
      else if (elapsed > SLICE_MS * 2) this.sliceSize = Math.max(MIN_SLICE, this.sliceSize >> 1);
    }
    const outcome = this.interpret(stop);
    if (outcome) return outcome;
    // An ignored stop that retired nothing must not come back forever: move one instruction on.
    if (machine.icount === before) return this.interpret(machine.step());
    return undefined;
  }

  private fault(cause: Parameters<typeof describeFault>[1], detail?: StopReason): Outcome {
    const { description, text, fatal } = describeFault(this.debuggee, cause, detail);
    if (fatal) this.debuggee.deadReason = text;
    return { kind: 'fault', description, text, fatal };
  }

  // ---- backwards (the machine's history) ----------------------------------------------------

  /**
   * Back to the last moment a forward run would have stopped for the user (breakpoint, data
   * breakpoint, exception filter at a VM exit), or to the beginning of history.
   */
  async reverseContinue(): Promise<Outcome> {
    const machine = this.debuggee.machine;
    const start = machine.steps;
    let found: Outcome | undefined;
    machine.stopOnVmExit = true;
    try {
      const back = await this.drive(machine.history!.reverseSearch((stop) => {
        const outcome = this.userStop(stop);
        if (outcome) found = outcome;
        return outcome !== undefined;
      }));
      if (machine.steps !== start) this.debuggee.deadReason = undefined;
      if (back.paused) return back.paused;
    } finally {
      machine.stopOnVmExit = false;
    }
    return found ?? { kind: 'stop', reason: 'entry', description: 'The beginning of the recorded history' };
  }

  /**
   * Drives a backwards search slice by slice with the event loop free in between, so that
   * pause is answered: the search is given up where it has completely searched to (a
   * recorded moment, so a stop it would have found is never skipped).
   */
  async drive<T>(search: ReverseSearch<T>): Promise<{ result?: T; paused?: Outcome }> {
    while (!search.next()) {
      const paused = await this.yieldToEvents();
      if (paused) {
        search.cancel();
        return { paused };
      }
    }
    return { result: search.result };
  }

  /** Goes to moment `steps` of the machine's history (clamped to what was recorded). */
  goTo(steps: number): Outcome {
    this.debuggee.machine.history!.seek(steps);
    this.debuggee.deadReason = undefined;
    return { kind: 'goal' };
  }

  /** The user-visible stop a machine stop makes, judged without side effects (no hit counts, no logpoints). */
  private userStop(reason: StopReason): Outcome | undefined {
    const side = this.debuggee.side;
    switch (reason.kind) {
      case 'breakpoint': return breakpointStop(this.breakpoints.onBreakpoint(reason.address, side, () => this.host.evaluator(), true));
      case 'watchpoint': return dataStop(this.breakpoints.onWatchpoint(reason.address, side, () => this.host.evaluator(), true), reason);
      case 'vmexit': return filterStop(this.filters.onVmExit(reason.exit));
      default: return undefined;
    }
  }

  /** Turns one machine stop into an outcome, or undefined to keep running. */
  private interpret(reason: StopReason): Outcome | undefined {
    const machine = this.debuggee.machine;
    switch (reason.kind) {
      case 'breakpoint': {
        const side = this.debuggee.side;
        const at = this.goal.at;
        if (at && at.address === reason.address && at.side === side && (!at.when || at.when())) return { kind: 'goal' };
        const verdict = this.breakpoints.onBreakpoint(reason.address, side, () => this.host.evaluator());
        for (const line of verdict.logs) this.host.log(line);
        return breakpointStop(verdict) ?? this.interpret(machine.step());
      }
      case 'watchpoint': {
        const verdict = this.breakpoints.onWatchpoint(reason.address, this.debuggee.side, () => this.host.evaluator());
        for (const line of verdict.logs) this.host.log(line);
        return dataStop(verdict, reason);
      }
      case 'vmexit': return this.atVmExit(reason.exit);
      case 'vmentry': return this.goal.vmEntry ? { kind: 'goal' } : undefined;
      case 'pause': return { kind: 'stop', reason: 'pause' };
      case 'vmentry-failure':
        if (this.filters.isEnabled('vmentry-failure')) return this.fault('vmentry-failure', reason);
        this.host.notice(describeFault(this.debuggee, 'vmentry-failure', reason).text);
        return undefined;
      case 'poweroff':
        if (!this.debuggee.entered) return this.fault('poweroff-before-entry', reason);
        this.debuggee.deadReason = `The machine powered off with status ${reason.status}.`;
        return { kind: 'exited', status: reason.status };
      case 'halted': return this.fault('halted');
      case 'shutdown': return this.fault('shutdown', reason);
      case 'budget': {
        const max = this.debuggee.config.maxInstructions;
        if (max !== undefined && machine.icount >= max) return this.fault('budget');
        if (!this.debuggee.entered && machine.icount >= this.options.neverEnteredLimit) return this.fault('never-entered');
        return undefined;
      }
      default: return undefined; // 'step'
    }
  }
}
