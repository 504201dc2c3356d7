// VM exits per reason with count, share and handling time, like `perf kvm stat report`:
// the time of one exit runs from its kvm_exit line to the next kvm_entry line.

import type { ExitStat } from './messages';

interface Tally { count: number; timeUs: number; timed: number }

export class ExitStats {
  private readonly byReason = new Map<string, Tally>();
  private pending: { reason: string; timestampUs: number } | undefined;
  private exits = 0;

  get totalExits(): number {
    return this.exits;
  }

  exit(reason: string, timestampUs: number): void {
    const tally = this.byReason.get(reason) ?? { count: 0, timeUs: 0, timed: 0 };
    tally.count++;
    this.byReason.set(reason, tally);
    this.exits++;
    this.pending = { reason, timestampUs };
  }

  entry(timestampUs: number): void {
    if (!this.pending) return;
    const tally = this.byReason.get(this.pending.reason)!;
    tally.timeUs += Math.max(0, timestampUs - this.pending.timestampUs);
    tally.timed++;
    this.pending = undefined;
  }

  clear(): void {
    this.byReason.clear();
    this.pending = undefined;
    this.exits = 0;
  }

  /** Rows sorted by count (then by name), as perf kvm stat sorts by samples. */
  report(): ExitStat[] {
    let totalTime = 0;
    for (const t of this.byReason.values()) totalTime += t.timeUs;
    return [...this.byReason.entries()]
      .map(([reason, t]) => ({
        reason,
        count: t.count,
        share: this.exits ? t.count / this.exits : 0,
        timeUs: t.timeUs,
        timeShare: totalTime ? t.timeUs / totalTime : 0,
        avgUs: t.timed ? t.timeUs / t.timed : 0,
      }))
      .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  }
}
