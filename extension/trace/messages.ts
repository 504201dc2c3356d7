// The one message contract between the Trace panel's extension side (panel.ts) and its
// webview (extension/webview/main.ts). Both sides import these types; nothing else crosses.

import { TRACE_EVENT_NAMES, type TraceEventName } from '../../emulator/trace/record';

export const TRACE_EVENTS: readonly TraceEventName[] = TRACE_EVENT_NAMES;

export interface TraceFilter {
  /** Events to show; an event not listed is hidden. */
  events: TraceEventName[];
  /** Case-insensitive substring every shown line contains; '' shows all. */
  text: string;
}

/** One row of the `perf kvm stat`-style summary. */
export interface ExitStat {
  reason: string;
  count: number;
  /** Share of all VM exits, 0..1. */
  share: number;
  /** Time from kvm_exit to the next kvm_entry, summed over the exits with one, in µs. */
  timeUs: number;
  /** Share of all exit handling time, 0..1. */
  timeShare: number;
  avgUs: number;
}

/** Extension -> webview. */
export type ToWebview =
  /**
   * The shape of the view changed: header text, how many rows the current filter shows, totals.
   * `epoch` changes whenever row numbers stop meaning the same lines (filter, clear, overwrite).
   */
  | {
    type: 'state'; header: string[]; rows: number; retained: number; written: number; filter: TraceFilter; live: boolean; epoch: number;
    /** The row of the session's current moment (-1: none), and the first row that has not happened yet (`rows`: none). */
    currentRow: number; firstFutureRow: number;
  }
  /** Rows `start`.. of the filtered view, in answer to `rows` (or pushed when they changed). */
  | { type: 'rows'; start: number; lines: string[]; requestId: number }
  | { type: 'stats'; stats: ExitStat[]; totalExits: number }
  /** The last Run on Real KVM: where it ran and the verdict in one line, and real KVM's ftrace text; `select` brings its tab forward. */
  | { type: 'realKvm'; summary: string; trace: string; select: boolean };

/** Webview -> extension. */
export type FromWebview =
  | { type: 'ready' }
  | { type: 'rows'; start: number; count: number; requestId: number }
  | { type: 'filter'; filter: TraceFilter }
  /** The user picked filtered row `row`: reveal where its event was emitted. */
  | { type: 'reveal'; row: number }
  /** "Go to this event": take the live session to the moment filtered row `row` was emitted. */
  | { type: 'goTo'; row: number }
  | { type: 'export' }
  /** The Real KVM tab's button: open the last comparison again. */
  | { type: 'openComparison' }
  | { type: 'clear' };
