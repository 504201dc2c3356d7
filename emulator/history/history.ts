// Reverse execution: the machine is deterministic (the TSC counts instructions, devices have
// no outside input), so any earlier moment is "the nearest snapshot before it, then run
// forward". Snapshots are taken every `interval` steps while the machine runs forward and
// share unchanged RAM pages (pages.ts); past the memory limit, the snapshot whose removal
// leaves the smallest gap goes, so old history thins out instead of disappearing. A seek
// that re-executes far also leaves a waypoint snapshot just before its target, so repeated
// Step Back from there re-executes little.

import type { HistoryApi, HistoryOptions, MachineSnapshot, ReverseSearch, StopReason } from '../api';
import type { Machine } from '../machine';

const DEFAULT_INTERVAL = 500_000;
const DEFAULT_MEMORY_LIMIT = 256 * 1024 * 1024;
/** What a snapshot holds besides its page copies (CPU state, every VMCS, devices), roughly. */
const STATE_BYTES = 16 * 1024;
/** Waypoints kept (the most recent), and how far before its target a seek leaves one. */
const WAYPOINTS = 4;
const WAYPOINT_FRACTION = 16;
/** Steps a reverseUntil slice tests one by one before its caller gets a look at its events. */
const UNTIL_SLICE = 50_000;

/** Drives a search to its end in one go. */
function finish<T>(search: ReverseSearch<T>): T | undefined {
  while (!search.next()) { /* next slice */ }
  return search.result;
}

export class History implements HistoryApi {
  private readonly interval: number;
  private readonly memoryLimit: number;
  /** In order of steps; the first is the moment history started. */
  private readonly snapshots: MachineSnapshot[] = [];
  /** Snapshots taken on the way to seek targets, newest last; only valid up to the frontier of this timeline. */
  private waypoints: MachineSnapshot[] = [];
  private pageBytes = 0;
  frontier: number;
  /** True while history itself moves the machine (seek, reverse): nothing is recorded then. */
  private travelling = false;
  /** The state changed at the moment of the newest snapshot (a write there): take it again before use. */
  private stale = false;
  private readonly discardListeners: ((steps: number) => void)[] = [];

  constructor(private readonly machine: Machine, options: HistoryOptions = {}) {
    this.interval = Math.max(1, options.interval ?? DEFAULT_INTERVAL);
    this.memoryLimit = options.memoryLimit ?? DEFAULT_MEMORY_LIMIT;
    this.frontier = machine.steps;
    this.capture();
  }

  get memoryBytes(): number {
    const waypoints = this.waypoints.reduce((sum, w) => sum + w.copiedBytes + STATE_BYTES, 0);
    return this.pageBytes + this.snapshots.length * STATE_BYTES + waypoints;
  }
  get snapshotCount(): number { return this.snapshots.length; }

  // ---- recording (called by Machine.run/step) ---------------------------------------------

  /** Whether a forward run should be recorded (not when history itself re-executes). */
  recording(): boolean { return !this.travelling; }

  /** A run() budget cut so that it ends where the next snapshot is due. */
  budget(budget: number): number {
    this.settle();
    const due = this.last().steps + this.interval - this.machine.steps;
    return due > 0 ? Math.min(budget, due) : budget;
  }

  /** After a forward run: snapshot when one is due, and move the frontier. */
  executed(): void {
    const steps = this.machine.steps;
    if (steps >= this.last().steps + this.interval) this.capture();
    if (steps > this.frontier) this.frontier = steps;
  }

  /** A write into the machine's state: what lay after this moment can no longer happen. */
  discardFuture(): void {
    if (this.travelling) return;
    const steps = this.machine.steps;
    if (steps >= this.frontier && this.last().steps < steps) return;
    const discarded = steps < this.frontier;
    while (this.snapshots.length > 1 && this.last().steps >= steps) this.drop(this.snapshots.length - 1);
    this.frontier = steps;
    this.waypoints = this.waypoints.filter((w) => w.steps < steps);
    this.machine.forgetFuture();
    // The write happens right after this call: a snapshot still at this moment is taken again before use.
    this.stale = this.last().steps >= steps;
    if (discarded) for (const listener of this.discardListeners) listener(steps);
  }

  onFutureDiscarded(listener: (steps: number) => void): void { this.discardListeners.push(listener); }

  private settle(): void {
    if (!this.stale) return;
    this.stale = false;
    const old = this.snapshots.pop()!;
    this.pageBytes -= old.copiedBytes;
    this.capture();
  }

  private last(): MachineSnapshot { return this.snapshots[this.snapshots.length - 1]; }

  private capture(): void {
    const snapshot = this.machine.snapshot();
    this.snapshots.push(snapshot);
    this.pageBytes += snapshot.copiedBytes;
    while (this.memoryBytes > this.memoryLimit && this.snapshots.length > 2) this.thin();
  }

  /** Drops the inner snapshot whose neighbours are closest together. */
  private thin(): void {
    let best = 1;
    for (let i = 2; i < this.snapshots.length - 1; i++) {
      const gap = this.snapshots[i + 1].steps - this.snapshots[i - 1].steps;
      if (gap < this.snapshots[best + 1].steps - this.snapshots[best - 1].steps) best = i;
    }
    this.drop(best);
  }

  /** Removes snapshot i; its page copies that no neighbour shares are freed. */
  private drop(i: number): void {
    const pages = (s: MachineSnapshot | undefined) => (s?.data as { pages: ReadonlyMap<number, Uint8Array> } | undefined)?.pages;
    const mine = pages(this.snapshots[i])!, before = pages(this.snapshots[i - 1]), after = pages(this.snapshots[i + 1]);
    // Sharing runs along consecutive snapshots, so a copy no neighbour holds is held by none.
    for (const [p, copy] of mine) if (before?.get(p) !== copy && after?.get(p) !== copy) this.pageBytes -= copy.length;
    this.snapshots.splice(i, 1);
  }

  // ---- travel -----------------------------------------------------------------------------

  /** The index of the latest snapshot at or before `steps`. */
  private at(steps: number): number {
    let lo = 0, hi = this.snapshots.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.snapshots[mid].steps <= steps) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  private travel<T>(work: () => T): T {
    this.settle();
    this.travelling = true;
    try {
      return this.machine.silently(work);
    } finally {
      this.travelling = false;
    }
  }

  seek(steps: number): void {
    const target = Math.max(this.snapshots[0].steps, Math.min(steps, this.frontier));
    this.travel(() => this.goTo(target));
  }

  private goTo(target: number): void {
    const m = this.machine;
    let from = this.snapshots[this.at(target)];
    for (const w of this.waypoints) if (w.steps <= target && w.steps > from.steps) from = w;
    // Forward within reach of the current state: no restore needed.
    if (!(target >= m.steps && from.steps <= m.steps)) m.restore(from);
    const waypoint = target - Math.floor(this.interval / WAYPOINT_FRACTION);
    if (waypoint > m.steps + this.interval / WAYPOINT_FRACTION) {
      m.advance(waypoint);
      this.waypoints.push(m.snapshot());
      if (this.waypoints.length > WAYPOINTS) this.waypoints.shift();
    }
    m.advance(target);
  }

  reverse(accept: (stop: StopReason) => boolean): StopReason | undefined {
    return finish(this.reverseSearch(accept));
  }

  reverseSearch(accept: (stop: StopReason) => boolean): ReverseSearch<StopReason | undefined> {
    return this.search((cleared) => this.reverseSlices(accept, cleared));
  }

  reverseUntil(test: () => boolean): boolean {
    return finish(this.reverseUntilSearch(test))!;
  }

  reverseUntilSearch(test: () => boolean): ReverseSearch<boolean> {
    return this.search((cleared) => this.reverseUntilSlices(test, cleared));
  }

  /**
   * Runs a backwards search one slice per next(), each slice travelling; `cleared.steps` is
   * the earliest moment searched completely, where cancel() leaves the machine.
   */
  private search<T>(slices: (cleared: { steps: number }) => Generator<void, T>): ReverseSearch<T> {
    const cleared = { steps: this.machine.steps };
    const generator = slices(cleared);
    let answer: { value: T } | undefined;
    let cancelled = false;
    return {
      next: () => {
        if (answer || cancelled) return true;
        const slice = this.travel(() => generator.next());
        if (slice.done) answer = { value: slice.value };
        return answer !== undefined;
      },
      get result() { return answer?.value; },
      cancel: () => {
        if (answer || cancelled) return;
        cancelled = true;
        generator.return(undefined as T);
        this.seek(cleared.steps);
      },
    };
  }

  /** The snapshot intervals before now, newest first, each searched for the last accepted stop: one slice per interval. */
  private *reverseSlices(accept: (stop: StopReason) => boolean, cleared: { steps: number }): Generator<void, StopReason | undefined> {
    const m = this.machine;
    const now = m.steps;
    for (let k = this.at(now - 1); k >= 0 && now > 0; k--) {
      const end = Math.min(k + 1 < this.snapshots.length ? this.snapshots[k + 1].steps : now, now);
      m.restore(this.snapshots[k]);
      const found = this.lastStop(end, now, accept);
      if (found) {
        this.goTo(found.steps);
        return found.stop;
      }
      cleared.steps = this.snapshots[k].steps;
      yield;
    }
    this.goTo(this.snapshots[0].steps);
    return undefined;
  }

  /** Runs from the current state to `end`, as run() would stop, and keeps the last accepted stop before `now`. */
  private lastStop(end: number, now: number, accept: (stop: StopReason) => boolean): { steps: number; stop: StopReason } | undefined {
    const m = this.machine;
    let found: { steps: number; stop: StopReason } | undefined;
    const here = m.breakpointHere();
    if (here && m.steps < now && accept(here)) found = { steps: m.steps, stop: here };
    while (m.steps < end) {
      const stop = m.run(end - m.steps);
      if (stop.kind === 'budget' || stop.kind === 'poweroff' || stop.kind === 'halted' || stop.kind === 'shutdown') break;
      if (stop.kind !== 'pause' && m.steps < now && accept(stop)) found = { steps: m.steps, stop };
      // Like a forward continue, the next run starts by executing the instruction at RIP.
      if (stop.kind === 'breakpoint' && m.steps < end) {
        const next = m.step();
        if (next.kind !== 'step' && next.kind !== 'pause' && m.steps < now && accept(next)) found = { steps: m.steps, stop: next };
      }
    }
    return found;
  }

  /** As reverseSlices, testing at every step; a slice is an interval or UNTIL_SLICE steps of it. */
  private *reverseUntilSlices(test: () => boolean, cleared: { steps: number }): Generator<void, boolean> {
    const m = this.machine;
    const now = m.steps;
    for (let k = this.at(now - 1); k >= 0 && now > 0; k--) {
      const end = Math.min(k + 1 < this.snapshots.length ? this.snapshots[k + 1].steps : now, now);
      m.restore(this.snapshots[k]);
      let found: number | undefined;
      for (let n = 1; m.steps < end; n++) {
        if (test()) found = m.steps;
        if (m.advance(m.steps + 1)) break;
        if (n % UNTIL_SLICE === 0) yield;
      }
      if (found !== undefined) {
        this.goTo(found);
        return true;
      }
      cleared.steps = this.snapshots[k].steps;
      yield;
    }
    this.goTo(this.snapshots[0].steps);
    return false;
  }
}
