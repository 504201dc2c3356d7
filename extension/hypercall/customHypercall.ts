// "Create a new custom hypercall" as pure text edits of the sample's sources: a KVM_HC_*
// number in kvm_para.h that collides with nothing, a case for it in kvm_emulate_hypercall's
// switch, a kvm_hc_<name>() caller for the guest, and a call to it from the guest.

import { hypercallDefines, UPSTREAM_HYPERCALLS, type HypercallDefine } from '../../emulator/trace/kvmHypercalls';

/** Custom numbers start here: upstream allocates densely from 1, so these stay clear of it. */
export const FIRST_CUSTOM_NUMBER = 0x100;

export interface GuestSource {
  path: string;
  text: string;
}

export interface NewHypercall {
  macro: string;
  /** What the new host case passes to trace_printk: the trace shows `kvm_emulate_hypercall: <this>`. */
  traceText: string;
  number: number;
  /** The guest function that makes the call. */
  caller: string;
  kvmParaH: string;
  hostC: string;
  /** The guest file with a call added, when one had a place for it. */
  guest?: GuestSource;
  /** 0-based line of the new case in hostC. */
  hostLine: number;
  warnings: string[];
}

/** A name that cannot be used or sources without the expected anchors; the message says which. */
export class CustomHypercallError extends Error {}

/** "hello world", "my_call" or "KVM_HC_MY_CALL" -> "KVM_HC_MY_CALL"; anything a C name cannot hold is refused, not dropped. */
export function hypercallMacroName(name: string): string {
  const bare = name.trim().replace(/^KVM_HC_/i, '');
  const bad = [...new Set(bare.replace(/[A-Za-z0-9_ ]/g, ''))];
  const words = bare.split(/[ _]+/).filter(Boolean);
  const macro = 'KVM_HC_' + words.join('_').toUpperCase();
  if (bad.length > 0 || words.length === 0 || !/^KVM_HC_[A-Z][A-Z0-9_]*$/.test(macro)) {
    const chars = bad.length ? ` (${bad.map((c) => `"${c}"`).join(', ')} cannot be part of a C name)` : '';
    throw new CustomHypercallError(`"${name.trim()}" is not a usable hypercall name${chars}: use letters, digits and underscores, starting with a letter.`);
  }
  return macro;
}

/** Existing custom numbers that collide with upstream or with each other. */
export function collisionWarnings(defines: readonly HypercallDefine[]): string[] {
  const upstreamByNumber = new Map([...UPSTREAM_HYPERCALLS].map(([name, nr]) => [nr, name]));
  const warnings: string[] = [];
  const seen = new Map<number, string>();
  for (const d of defines) {
    const upstream = upstreamByNumber.get(d.number);
    if (upstream !== undefined && upstream !== d.name) {
      warnings.push(`${d.name} is ${d.number}, the number of upstream ${upstream}: a real KVM guest calling it gets ${upstream} instead.`);
    }
    const other = seen.get(d.number);
    if (other !== undefined && upstream === undefined) warnings.push(`${d.name} and ${other} share the number 0x${d.number.toString(16)}.`);
    seen.set(d.number, d.name);
  }
  return warnings;
}

export function pickHypercallNumber(defines: readonly HypercallDefine[]): number {
  const used = new Set([...defines.map((d) => d.number), ...UPSTREAM_HYPERCALLS.values()]);
  let nr = FIRST_CUSTOM_NUMBER;
  while (used.has(nr)) nr++;
  return nr;
}

/** Pads "#define NAME" with tabs to column `column` (tab stops every 8), as the sample's header does. */
function padToColumn(text: string, column: number): string {
  let width = text.length;
  let out = text;
  do {
    out += '\t';
    width = (Math.floor(width / 8) + 1) * 8;
  } while (width < column);
  return out;
}

function addDefine(kvmParaH: string, macro: string, number: number, defines: readonly HypercallDefine[]): string {
  const lines = kvmParaH.split('\n');
  if (defines.length === 0) throw new CustomHypercallError('kvm_para.h has no KVM_HC_* #define to add the new one after.');
  let after = defines[defines.length - 1].line;
  // A trailing /* comment */ may run over several lines: insert after its end.
  if (lines[after].includes('/*') && !lines[after].slice(lines[after].lastIndexOf('/*')).includes('*/')) {
    while (after + 1 < lines.length && !lines[after].includes('*/')) after++;
  }
  const define = `${padToColumn(`#define ${macro}`, 40)}0x${number.toString(16)}\t/* added by "Create a New Custom Hypercall" */`;
  lines.splice(after + 1, 0, define);
  return lines.join('\n');
}

function addGuestCaller(kvmParaH: string, macro: string, caller: string): string {
  const lines = kvmParaH.split('\n');
  let at = lines.findIndex((l) => /^#endif\s*\/\*\s*__ASSEMBLER__/.test(l));
  for (let i = lines.length - 1; at < 0 && i >= 0; i--) if (/^#endif/.test(lines[i])) at = i;
  if (at < 0) throw new CustomHypercallError('kvm_para.h has no closing #endif to add the guest caller before.');
  lines.splice(at, 0, '', `/* ${macro} from the guest (CPL 0). */`, `static inline long ${caller}(void)`, '{', `\treturn kvm_hypercall0(${macro});`, '}');
  return lines.join('\n');
}

/** The body of `kvm_emulate_hypercall`: the 0-based line of its opening brace and of its closing one. */
function functionBody(lines: string[], name: string): { open: number; close: number } | undefined {
  const head = lines.findIndex((l) => new RegExp(`^[A-Za-z_].*\\b${name}\\s*\\(`).test(l) && !l.trimEnd().endsWith(';'));
  if (head < 0) return undefined;
  const open = lines.findIndex((l, i) => i >= head && l.startsWith('{'));
  const close = lines.findIndex((l, i) => i > open && l.startsWith('}'));
  return open < 0 || close < 0 ? undefined : { open, close };
}

function addHostCase(hostC: string, macro: string, name: string): { text: string; line: number } {
  const lines = hostC.split('\n');
  const body = functionBody(lines, 'kvm_emulate_hypercall');
  if (!body) throw new CustomHypercallError('No definition of kvm_emulate_hypercall found in the host sources.');
  const switchLine = lines.findIndex((l, i) => i > body.open && i < body.close && /\bswitch\s*\(\s*nr\s*\)/.test(l));
  if (switchLine < 0) throw new CustomHypercallError('kvm_emulate_hypercall has no "switch (nr)" to add the new case to.');
  const caseIndent = /^(\s*)/.exec(lines[switchLine])![1];
  const defaultLine = lines.findIndex((l, i) => i > switchLine && i < body.close && l === `${caseIndent}default:`);
  if (defaultLine < 0) throw new CustomHypercallError('The "switch (nr)" in kvm_emulate_hypercall has no "default:" label to add the new case before.');
  const resultVar = /^\s*(\w+)\s*=\s*-KVM_ENOSYS\s*;/.exec(lines[defaultLine + 1] ?? '')?.[1] ?? 'ret';
  const inner = caseIndent + (caseIndent.includes('\t') || caseIndent === '' ? '\t' : '    ');
  lines.splice(defaultLine, 0,
    `${caseIndent}case ${macro}:`,
    `${inner}trace_printk("${name}");`,
    `${inner}${resultVar} = 0;`,
    `${inner}break;`);
  return { text: lines.join('\n'), line: defaultLine };
}

/** After the guest's first kvm_hypercallN(...) statement (before it, if it returns), call the new caller. */
function addGuestCall(guest: GuestSource, caller: string): GuestSource | undefined {
  const lines = guest.text.split('\n');
  const at = lines.findIndex((l) => /^\s+.*\bkvm_hypercall[0-4]\s*\(.*\)\s*;/.test(l));
  if (at < 0) return undefined;
  const indent = /^(\s*)/.exec(lines[at])![1];
  const returns = /^\s*return\b/.test(lines[at]);
  lines.splice(returns ? at : at + 1, 0, `${indent}${caller}();`);
  return { path: guest.path, text: lines.join('\n') };
}

/** What is wrong with a name typed so far (the input box shows it while typing), or undefined if it can be added. */
export function hypercallNameProblem(name: string, sources: { kvmParaH: string; hostC: string }): string | undefined {
  if (!name.trim()) return 'Give the hypercall a name.';
  try {
    planNewHypercall(name, sources);
    return undefined;
  } catch (e) {
    if (e instanceof CustomHypercallError) return e.message;
    throw e;
  }
}

export function planNewHypercall(name: string, sources: { kvmParaH: string; hostC: string; guest?: GuestSource }): NewHypercall {
  const macro = hypercallMacroName(name);
  if (UPSTREAM_HYPERCALLS.has(macro)) throw new CustomHypercallError(`${macro} is an upstream KVM hypercall; choose another name.`);
  const defines = hypercallDefines(sources.kvmParaH);
  if (defines.some((d) => d.name === macro)) throw new CustomHypercallError(`${macro} already exists in kvm_para.h; choose another name.`);
  const number = pickHypercallNumber(defines);
  const caller = macro.replace(/^KVM_HC_/, 'kvm_hc_').toLowerCase();
  const lowerName = macro.replace(/^KVM_HC_/, '').toLowerCase();
  const host = addHostCase(sources.hostC, macro, lowerName);
  const kvmParaH = addGuestCaller(addDefine(sources.kvmParaH, macro, number, defines), macro, caller);
  const guest = sources.guest && addGuestCall(sources.guest, caller);
  return { macro, traceText: lowerName, number, caller, kvmParaH, hostC: host.text, guest, hostLine: host.line, warnings: collisionWarnings(defines) };
}
