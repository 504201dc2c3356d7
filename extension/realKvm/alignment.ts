// The compare view's rows: the model's trace and real KVM's, event by event. Two events match
// when they say the same thing in one vocabulary (SVM exit reasons under their VMX names,
// realkvm/ftraceText.ts), timestamps, tasks and CPUs aside; the rest is marked.

import { eventLines, parseTrace, RETURN_REPORTER, vmxExitName, type TraceEvent } from '../../realkvm/ftraceText';

export type RowKind = 'same' | 'changed' | 'model-only' | 'real-only';

export interface AlignedRow { kind: RowKind; model?: string; real?: string }

const hex = (v: bigint) => `0x${v.toString(16)}`;

/** What an event means, the text a match is decided on. */
function meaning(e: TraceEvent): string {
  switch (e.kind) {
    case 'kvm_entry': return `kvm_entry rip ${hex(e.rip)}`;
    case 'kvm_exit': return `kvm_exit ${vmxExitName(e.reason)} rip ${hex(e.rip)}`;
    case 'kvm_hypercall': return `kvm_hypercall ${e.text}`;
    case 'printk': return `${e.func}: ${e.msg}`;
  }
}

interface Event { key: string; kind: TraceEvent['kind']; line: string }

/** Each event's line as ftrace printed it, without the "task-pid [cpu] flags time: " head. */
function events(trace: string): Event[] {
  const out: Event[] = [];
  for (const line of eventLines(trace)) {
    const [e] = parseTrace(line);
    if (!e || (e.kind === 'printk' && e.func === RETURN_REPORTER)) continue;
    out.push({ key: meaning(e), kind: e.kind, line: line.replace(/^\s*\S+-\d+\s+\[\d{3}\]\s+\S{5}\s+\d+\.\d{6}: /, '') });
  }
  return out;
}

/**
 * Longest common subsequence of the two event lists; between matches, a model event and a
 * real one of the same kind share a row as "changed", the others stand alone.
 */
export function alignTraces(modelTrace: string, realTrace: string): AlignedRow[] {
  const a = events(modelTrace), b = events(realTrace);
  const n = a.length, m = b.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i].key === b[j].key ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const rows: AlignedRow[] = [];
  let i = 0, j = 0;
  const gap = (iEnd: number, jEnd: number) => {
    while (i < iEnd || j < jEnd) {
      if (i < iEnd && j < jEnd && a[i].kind === b[j].kind) rows.push({ kind: 'changed', model: a[i++].line, real: b[j++].line });
      else if (i < iEnd && (j === jEnd || !b.slice(j, jEnd).some((e) => e.kind === a[i].kind))) rows.push({ kind: 'model-only', model: a[i++].line });
      else rows.push({ kind: 'real-only', real: b[j++].line });
    }
  };
  while (i < n || j < m) {
    if (i < n && j < m && a[i].key === b[j].key) { rows.push({ kind: 'same', model: a[i++].line, real: b[j++].line }); continue; }
    // The stretch up to the next match (or the ends) is one gap.
    let iEnd = i, jEnd = j;
    while (iEnd < n || jEnd < m) {
      if (iEnd < n && jEnd < m && a[iEnd].key === b[jEnd].key && lcs[iEnd][jEnd] === lcs[i][j]) break;
      if (jEnd < m && (iEnd === n || lcs[iEnd][jEnd + 1] >= lcs[iEnd + 1][jEnd])) jEnd++;
      else iEnd++;
    }
    gap(iEnd, jEnd);
  }
  return rows;
}
