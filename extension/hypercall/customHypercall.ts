// "Create a new custom hypercall" as pure text edits of the sample's sources: a KVM_HC_*
// number in kvm_para.h that collides with nothing, a new handler file host/hypercalls/<name>.c
// (the host's table and the real-KVM module pick it up by its file: x86.c is not edited), a
// kvm_hc_<name>() caller for the guest, and a call to it from the guest.

import { hypercallDefines, UPSTREAM_HYPERCALLS, type HypercallDefine } from '../../emulator/trace/kvmHypercalls';
import { MODULE_OWN_NAMES } from '../../realkvm/moduleNames';

/** Custom numbers start here: upstream allocates densely from 1, so these stay clear of it. */
export const FIRST_CUSTOM_NUMBER = 0x100;

export interface GuestSource {
  path: string;
  text: string;
}

/** A new file of host/hypercalls/. */
export interface HandlerFile {
  /** Its name in host/hypercalls/, e.g. ping.c. */
  fileName: string;
  /** The handler function, kvm_pv_<name>. */
  handler: string;
  text: string;
  /** 0-based line of its trace_printk, where the editor puts the cursor. */
  line: number;
}

export interface NewHypercall {
  macro: string;
  /** What the new handler passes to trace_printk: the trace shows `kvm_pv_<name>: <this>`. */
  traceText: string;
  number: number;
  /** The guest function that makes the call. */
  caller: string;
  kvmParaH: string;
  handler: HandlerFile;
  /** The guest file with a call added, when one had a place for it. */
  guest?: GuestSource;
  warnings: string[];
}

/** What the plan reads: kvm_para.h, the names of the files already in host/hypercalls/, a guest file. */
export interface HypercallSources {
  kvmParaH: string;
  handlerFiles: readonly string[];
  guest?: GuestSource;
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

/**
 * host/hypercalls/<name>.c for KVM_HC_<NAME>: kvm_pv_<name>() traces its name and returns 0,
 * and KVM_CUSTOM_HYPERCALL gives it its number (hypercall.h says what a handler may use).
 */
function handlerFile(macro: string, name: string): HandlerFile {
  const handler = `kvm_pv_${name}`;
  const params = '(struct kvm_vcpu *vcpu, unsigned long a0, unsigned long a1,';
  // The second line of parameters lines up under the first, in tabs then spaces as the sample does.
  const column = `unsigned long ${handler}(`.length;
  const lines = [
    '/*',
    ` * ${name}.c - ${macro}, added by "Create a New Custom Hypercall": traces "${name}" and`,
    ' * returns 0. a0..a3 are the guest\'s RBX, RCX, RDX and RSI, the return value its RAX.',
    ' */',
    '#include "hypercall.h"',
    '',
    `KVM_CUSTOM_HYPERCALL(${macro}, ${handler});`,
    '',
    `unsigned long ${handler}${params}`,
    `${'\t'.repeat(Math.floor(column / 8))}${' '.repeat(column % 8)}unsigned long a2, unsigned long a3)`,
    '{',
    '\t(void)vcpu, (void)a0, (void)a1, (void)a2, (void)a3;',
    `\ttrace_printk("${name}");`,
    '\treturn 0;',
    '}',
    '',
  ];
  return { fileName: `${name}.c`, handler, text: lines.join('\n'), line: lines.indexOf(`\ttrace_printk("${name}");`) };
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
export function hypercallNameProblem(name: string, sources: HypercallSources): string | undefined {
  if (!name.trim()) return 'Give the hypercall a name.';
  try {
    planNewHypercall(name, sources);
    return undefined;
  } catch (e) {
    if (e instanceof CustomHypercallError) return e.message;
    throw e;
  }
}

export function planNewHypercall(name: string, sources: HypercallSources): NewHypercall {
  const macro = hypercallMacroName(name);
  if (UPSTREAM_HYPERCALLS.has(macro)) throw new CustomHypercallError(`${macro} is an upstream KVM hypercall; choose another name.`);
  const defines = hypercallDefines(sources.kvmParaH);
  if (defines.some((d) => d.name === macro)) throw new CustomHypercallError(`${macro} already exists in kvm_para.h; choose another name.`);
  const number = pickHypercallNumber(defines);
  const caller = macro.replace(/^KVM_HC_/, 'kvm_hc_').toLowerCase();
  const lowerName = macro.replace(/^KVM_HC_/, '').toLowerCase();
  if (MODULE_OWN_NAMES.has(lowerName)) throw new CustomHypercallError(`${lowerName} is the name of a file of the real-KVM hypercall module; choose another name.`);
  const handler = handlerFile(macro, lowerName);
  if (sources.handlerFiles.includes(handler.fileName)) throw new CustomHypercallError(`host/hypercalls/${handler.fileName} already exists; choose another name.`);
  const kvmParaH = addGuestCaller(addDefine(sources.kvmParaH, macro, number, defines), macro, caller);
  const guest = sources.guest && addGuestCall(sources.guest, caller);
  return { macro, traceText: lowerName, number, caller, kvmParaH, handler, guest, warnings: collisionWarnings(defines) };
}
