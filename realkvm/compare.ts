// hcdbg compare's verdict: the same guest on the model and on real KVM, aspect by aspect
// (console, hypercall answers, kvm_hypercall/trace_printk sequence, exit reasons through the
// VMX<->SVM map), each difference as a unified diff.

import { COMPARED_EXITS, parseTrace, RETURN_REPORTER, vmxExitName, type TraceEvent } from './ftraceText';
import type { GuestRun, HypercallAnswer } from './modelRun';

export interface Aspect { name: string; agree: boolean; summary: string; diff?: string; notes: string[] }

export interface Verdict { agree: boolean; aspects: Aspect[] }

const hex = (v: bigint) => `0x${BigInt.asUintN(64, v).toString(16)}`;

/** The module's answer lines out of a real trace, in hypercall order. */
export function answersFromTrace(events: readonly TraceEvent[]): HypercallAnswer[] {
  return events.flatMap((e) => {
    if (e.kind !== 'printk' || e.func !== RETURN_REPORTER) return [];
    const m = /nr (0x[0-9a-f]+) ret (0x[0-9a-f]+)/.exec(e.msg);
    return m ? [{ nr: BigInt(m[1]), ret: BigInt(m[2]) }] : [];
  });
}

/** Minimal unified diff (LCS) of two line lists; the inputs here are at most a few thousand lines. */
export function unifiedDiff(a: readonly string[], b: readonly string[], from = 'model', to = 'real-kvm', context = 3): string {
  const n = a.length, m = b.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const ops: { op: ' ' | '-' | '+'; line: string; ai: number; bi: number }[] = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ op: ' ', line: a[i], ai: i++, bi: j++ });
    else if (j < m && (i === n || lcs[i][j + 1] > lcs[i + 1][j])) ops.push({ op: '+', line: b[j], ai: i, bi: j++ });
    else ops.push({ op: '-', line: a[i], ai: i++, bi: j });
  }
  const out = [`--- ${from}`, `+++ ${to}`];
  for (let k = 0; k < ops.length;) {
    if (ops[k].op === ' ') { k++; continue; }
    const start = Math.max(0, k - context);
    let end = k;
    while (end < ops.length && (ops[end].op !== ' ' || ops.slice(end, end + 2 * context + 1).some((o) => o.op !== ' '))) end++;
    end = Math.min(ops.length, end + context);
    const hunk = ops.slice(start, end);
    const aLen = hunk.filter((o) => o.op !== '+').length, bLen = hunk.filter((o) => o.op !== '-').length;
    out.push(`@@ -${hunk[0].ai + 1},${aLen} +${hunk[0].bi + 1},${bLen} @@`, ...hunk.map((o) => o.op + o.line));
    k = end;
  }
  return out.join('\n');
}

function aspect(name: string, model: readonly string[], real: readonly string[], summary: string, notes: string[] = []): Aspect {
  const agree = model.length === real.length && model.every((l, i) => l === real[i]);
  return { name, agree, summary, notes, diff: agree ? undefined : unifiedDiff(model, real) };
}

/** kvm_exit reasons the guest's own instructions cause, in VMX names, runs of one reason folded (REP OUTS is one exit on VMX, one per byte on SVM). */
function comparedExits(events: readonly TraceEvent[]): { seq: string[]; vendorNotes: string[]; skipped: Map<string, number> } {
  const seq: string[] = [], vendorNotes: string[] = [], skipped = new Map<string, number>();
  events.forEach((e, i) => {
    if (e.kind !== 'kvm_exit') return;
    const name = vmxExitName(e.reason);
    // KVM on AMD: the guest's VMCALL is #UD, intercepted, emulated and patched to VMMCALL (kvm_fix_hypercall).
    const next = events.slice(i + 1).find((x) => x.kind === 'kvm_exit');
    if (e.reason === 'UD excp' && next?.kind === 'kvm_exit' && vmxExitName(next.reason) === 'VMCALL' && next.rip === e.rip) {
      vendorNotes.push(`vendor difference, not a model bug: the guest ran Intel's VMCALL at rip ${hex(e.rip)} on AMD; KVM took the #UD and patched it to VMMCALL.`);
      return;
    }
    if (!COMPARED_EXITS.has(name)) { skipped.set(name, (skipped.get(name) ?? 0) + 1); return; }
    if (seq[seq.length - 1] !== name) seq.push(name);
  });
  return { seq, vendorNotes, skipped };
}

const printks = (events: readonly TraceEvent[]) => events.flatMap((e) =>
  e.kind === 'kvm_hypercall' ? [`kvm_hypercall: ${e.text}`] : e.kind === 'printk' && e.func !== RETURN_REPORTER ? [`${e.func}: ${e.msg}`] : []);

export function compareRuns(model: GuestRun, real: GuestRun): Verdict {
  const mEvents = parseTrace(model.trace), rEvents = parseTrace(real.trace);
  const lines = (s: string) => s.split('\n').slice(0, s.endsWith('\n') ? -1 : undefined);
  const aspects: Aspect[] = [];

  aspects.push(aspect('console', lines(model.console), lines(real.console), `${lines(model.console).length} lines of guest console`));
  // A triple fault's RIP is not comparable: KVM on AMD resets the vCPU at the SHUTDOWN intercept.
  const ending = (r: GuestRun) => (r.status === 0 ? 'guest halted' : r.ending.replace(/^(guest triple fault) at rip 0x[0-9a-f]+$/, '$1'));
  aspects.push(aspect('ending', [ending(model)], [ending(real)], 'how the run ended'));

  if (real.answers && model.answers) {
    const show = (a: HypercallAnswer) => `nr ${hex(a.nr)} -> ${hex(a.ret)}`;
    aspects.push(aspect('hypercalls', model.answers.map(show), real.answers.map(show), `${model.answers.length} hypercalls: number and answer`));
  } else {
    aspects.push({ name: 'hypercalls', agree: true, summary: 'answers not compared', notes: ['real KVM ran without the hcdbg_hc module, which traces each answer (--load-module)'] });
  }

  const mp = printks(mEvents), rp = printks(rEvents);
  aspects.push(aspect('events', mp, rp, `${mp.filter((l) => l.startsWith('kvm_hypercall')).length} kvm_hypercall, ${mp.filter((l) => !l.startsWith('kvm_hypercall')).length} trace_printk`));

  const me = comparedExits(mEvents), re = comparedExits(rEvents);
  const skipped = [...new Set([...me.skipped.keys(), ...re.skipped.keys()])].sort()
    .map((k) => `${k} ${me.skipped.get(k) ?? 0}/${re.skipped.get(k) ?? 0}`).join(', ');
  aspects.push(aspect('exit reasons', me.seq, re.seq, `${[...COMPARED_EXITS].join(', ')} in order (repeats folded)`,
    [...re.vendorNotes, ...(skipped ? [`not compared, hypervisor-specific (model/real): ${skipped}`] : [])]));

  return { agree: aspects.every((a) => a.agree), aspects };
}

export function renderVerdict(v: Verdict): string {
  const out: string[] = [];
  for (const a of v.aspects) {
    out.push(`${a.agree ? 'agree' : 'DIFFER'}  ${a.name}: ${a.summary}`);
    for (const n of a.notes) out.push(`        note: ${n}`);
    if (a.diff) out.push(a.diff.split('\n').map((l) => `        ${l}`).join('\n'));
  }
  out.push(v.agree ? 'compare: the model and real KVM agree' : 'compare: the model and real KVM differ');
  return out.join('\n') + '\n';
}
