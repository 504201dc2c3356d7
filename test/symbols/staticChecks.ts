// Comparisons of the debug-info library with readelf, objdump, nm and gdb (without running
// the program), shared by the fixture tests and the sample-ELF tests. Each check asserts.

import { readFileSync } from 'node:fs';
import { DebugInfo, readUnsigned, sizeOf, typeName, type FrameState } from '../../debug-adapter/symbols';
import { executeCfa, type CfaRule, type RegisterRule } from '../../debug-adapter/symbols/callFrameInfo';
import { X86_64_DWARF_REGS } from '../../debug-adapter/symbols/dwarfConstants';
import { gdb, hex, objdumpFrames, readelfLines } from './toolchain';
import { runTool } from '../tools';

const base = (path: string): string => path.split('/').pop()!;

/** Every row readelf decodes, in order; and lineAt as gdb's `info line *addr` at the first and last byte of every row. */
export function checkLineRows(elf: string, info: DebugInfo): void {
  const expected = readelfLines(elf);
  expect(expected.length).toBeGreaterThan(20);
  const ours: string[] = [];
  for (const seq of info.lines.sequences) {
    for (const r of seq) ours.push(r.endSequence ? `end ${hex(r.address)}` : `${base(r.file)}:${r.line} ${hex(r.address)}${r.isStmt ? ' stmt' : ''}`);
  }
  expect(ours).toEqual(expected.map((r) => (r.end ? `end ${hex(r.address)}` : `${r.file}:${r.line} ${hex(r.address)}${r.stmt ? ' stmt' : ''}`)));

  const probes = new Set<bigint>();
  for (let i = 0; i + 1 < expected.length; i++) {
    if (expected[i].end || expected[i + 1].address === expected[i].address) continue;
    probes.add(expected[i].address).add(expected[i + 1].address - 1n);
  }
  const addresses = [...probes];
  const out = gdb(elf, addresses.map((a) => `info line *${hex(a)}`)).trim().split('\n');
  expect(out).toHaveLength(addresses.length);
  addresses.forEach((a, i) => {
    const m = /^Line (\d+) of "([^"]+)"\s+(?:starts at address (0x[0-9a-f]+)|is at address (0x[0-9a-f]+))/.exec(out[i]);
    const theirs = m ? `${base(m[2])}:${m[1]}@${m[3] ?? m[4]}` : 'none';
    const got = info.lineAt(a);
    expect(got ? `${base(got.file)}:${got.line}@${hex(got.address)}` : 'none', `${hex(a)}: ${out[i]}`).toBe(theirs);
  });
}

/** A location row of `info breakpoints`: number, address, line (the file path may hold spaces). */
const BREAKPOINT_ROW = /^(\d+)(?:\.\d+)?\s+.*?(0x[0-9a-f]+)\s+in \S+ at .+:(\d+)\s*$/;

/** gdb's `break file:line` for every line of each file: "file:line" -> sorted "address:line" list. */
function gdbPlacements(elf: string, files: Array<{ file: string; count: number }>): Map<string, string[]> {
  const cmds: string[] = [];
  for (const { file, count } of files) for (let l = 1; l <= count; l++) cmds.push(`echo REQ ${file}:${l}\\n`, `break ${file}:${l}`);
  cmds.push('echo INFO\\n', 'info breakpoints');
  const [requests, table] = gdb(elf, cmds).split('INFO\n');
  const bpOfLine = new Map<string, number>();
  let request = '';
  for (const text of requests.split('\n')) {
    const req = /^REQ (\S+)/.exec(text);
    if (req) { request = req[1]; continue; }
    const bp = /^Breakpoint (\d+) at/.exec(text);
    if (bp) bpOfLine.set(request, Number(bp[1]));
  }
  const locations = new Map<number, string[]>();
  for (const text of table.split('\n')) {
    const m = BREAKPOINT_ROW.exec(text);
    if (m) locations.set(Number(m[1]), [...(locations.get(Number(m[1])) ?? []), `${hex(BigInt(m[2]))}:${m[3]}`]);
  }
  const result = new Map<string, string[]>();
  for (const [r, bp] of bpOfLine) result.set(r, (locations.get(bp) ?? []).sort());
  return result;
}

/** Breakpoint placement for every line of each source (paths of C files; gdb gets base names); returns how many lines have code. */
export function checkLinePlacements(elf: string, info: DebugInfo, sources: string[]): number {
  const files = sources.map((source) => ({ file: base(source), count: readFileSync(source, 'utf8').split('\n').length }));
  const expected = gdbPlacements(elf, files);
  for (const { file, count } of files) {
    for (let l = 1; l <= count; l++) {
      const ours = info.addressesForLine(file, l).map((p) => `${hex(p.address)}:${p.line}`).sort();
      expect(ours, `${file}:${l}`).toEqual(expected.get(`${file}:${l}`) ?? []);
    }
  }
  return expected.size;
}

/** `break name` for each function name: every out-of-line copy (static functions of headers have several). */
export function checkFunctionBreakpoints(elf: string, info: DebugInfo, names: string[]): void {
  const out = gdb(elf, [...names.flatMap((n) => [`echo FN ${n}\\n`, `break ${n}`]), 'echo INFO\\n', 'info breakpoints']);
  const [requests, table] = out.split('INFO\n');
  const locations = new Map<number, string[]>();
  for (const text of table.split('\n')) {
    const m = BREAKPOINT_ROW.exec(text);
    if (m) locations.set(Number(m[1]), [...(locations.get(Number(m[1])) ?? []), `${hex(BigInt(m[2]))}:${m[3]}`]);
  }
  for (const chunk of requests.split(/^FN /m).slice(1)) {
    const name = chunk.slice(0, chunk.indexOf('\n'));
    const bp = /^Breakpoint (\d+) at/m.exec(chunk);
    if (!bp) throw new Error(`gdb placed no breakpoint on ${name}: ${chunk}`);
    const ours = info.functionBreakpoints(name).map((p) => `${hex(p.address)}:${p.line}`).sort();
    expect(ours, name).toEqual((locations.get(Number(bp[1])) ?? []).sort());
  }
}

const regName = (n: number): string => (n === 16 ? 'ra' : X86_64_DWARF_REGS[n] ?? `r${n}`);
function cfaText(c: CfaRule): string { return c.kind === 'register' ? `${regName(c.reg)}+${c.offset}` : 'exp'; }
function ruleText(r: RegisterRule | undefined): string {
  switch (r?.kind) {
    case undefined: case 'undefined': return 'u';
    case 'same': return 's';
    case 'offset': return `c${r.offset >= 0n ? '+' : ''}${r.offset}`;
    case 'valOffset': return `v${r.offset >= 0n ? '+' : ''}${r.offset}`;
    case 'register': return regName(r.reg);
    case 'expression': return 'exp';
    case 'valExpression': return 'vexp';
  }
}

/** objdump's FDEs, and at every row the same CFA rule and register rules. */
export function checkCfi(elf: string, info: DebugInfo, section: '.eh_frame' | '.debug_frame'): void {
  const expected = objdumpFrames(elf);
  expect(expected.length).toBeGreaterThanOrEqual(3);
  expect(info.cfi.fdes.map((f) => `${hex(f.low)}..${hex(f.high)}`)).toEqual(expected.map((f) => `${hex(f.low)}..${hex(f.high)}`));
  expect(info.cfi.fdes.every((f) => f.source === section)).toBe(true);
  info.cfi.fdes.forEach((fde, i) => {
    const rows = executeCfa(fde);
    const theirs = expected[i].rows;
    if (theirs.length === 0) {
      // objdump prints nothing for an FDE without instructions: the CIE's initial row applies.
      expect(rows.map((r) => `${cfaText(r.cfa)} ra=${ruleText(r.registers.get(16))}`)).toEqual(['rsp+8 ra=c-8']);
      return;
    }
    expect(rows.map((r) => hex(r.location))).toEqual(theirs.map((r) => hex(r.location)));
    rows.forEach((row, j) => {
      const want = theirs[j];
      const got = [`cfa=${cfaText(row.cfa)}`, ...[...want.regs.keys()].map((col) => {
        const n = col === 'ra' ? 16 : X86_64_DWARF_REGS.indexOf(col as never);
        return `${col}=${ruleText(row.registers.get(n))}`;
      })];
      expect(got, `FDE ${hex(fde.low)} row ${j}`).toEqual([`cfa=${want.cfa}`, ...[...want.regs].map(([k, v]) => `${k}=${v}`)]);
    });
  });
}

/** `whatis` and `output` of every global, against typeName and formatVariable on the file's data. */
export function checkGlobals(elf: string, info: DebugInfo): void {
  const globals = info.globals();
  const out = gdb(elf, globals.flatMap((g) => [`echo VAR ${g.name}\\n`, `whatis ${g.name}`, `output ${g.name}`, 'echo \\n']));
  const frame: FrameState = { registers: {}, readMemory: (a, n) => info.elf.readStatic(a, n) ?? null };
  const chunks = out.split(/^VAR /m).slice(1);
  expect(chunks).toHaveLength(globals.length);
  globals.forEach((g, i) => {
    const [name, whatis, printed] = chunks[i].split('\n');
    expect(name).toBe(g.name);
    expect(`type = ${typeName(g.type)}`, g.name).toBe(whatis);
    // `output` prefixes pointers with their type, "(int *) 0x...": MI style (ours) leaves it out.
    const prefix = `(${typeName(g.type)}) `;
    expect(info.formatVariable(g, frame).value, g.name).toBe(printed.startsWith(prefix) ? printed.slice(prefix.length) : printed);
  });
}

/** `info scope *addr`: the variables (with shadowed ones) of the blocks at each address, their locations and sizes. */
export function checkInfoScope(elf: string, info: DebugInfo, addresses: bigint[]): number {
  const out = gdb(elf, addresses.map((a) => `info scope *${hex(a)}`));
  const theirs = new Map<string, string[]>();
  for (const chunk of out.split(/^Scope for \*/m).slice(1)) {
    const address = /^0x[0-9a-f]+/.exec(chunk)![0];   // "0x... contains no locals or arguments." has no list
    const symbols: string[] = [];
    for (const m of chunk.matchAll(/^Symbol (\w+) is ([\s\S]*?)(?:, length (\d+))?\.$/gm)) {
      const d = m[2];
      // gdb files an inlined function's own symbol inside its block, and C labels: not variables.
      if (d.startsWith('a function at address') || d.startsWith('a label at address')) continue;
      const how = d.startsWith('multi-location') ? 'multi'
        : /DW_OP_fbreg (-?\d+)\s*$/.exec(d) ? `fbreg ${/DW_OP_fbreg (-?\d+)/.exec(d)![1]}`
        : /^(?:in )?static storage at address (0x[0-9a-f]+)/.exec(d) ? `static ${/(0x[0-9a-f]+)/.exec(d)![1]}`
        : /^a variable in \$(\w+)/.exec(d) ? `reg ${/\$(\w+)/.exec(d)![1]}`
        : d.startsWith('optimized out') ? 'optimized out'
        : /^a constant with value (-?\d+)/.exec(d) ? `constant ${/(-?\d+)/.exec(d)![1]}`
        : /^constant bytes: (.*)$/.exec(d) ? `constant bytes ${/^constant bytes: (.*)$/.exec(d)![1].trim().split(/\s+/).join(' ')}`
        : /complex DWARF expression/.test(d) ? [...d.matchAll(/\d+: (DW_OP_\w+(?: \S+)?)/g)].map((x) => x[1]).join('; ') : d;
      symbols.push(`${m[1]} ${how} ${m[3] ?? ''}`.trim());
    }
    theirs.set(address, symbols.sort());
  }
  expect(theirs.size).toBe(addresses.length);
  const regNames = X86_64_DWARF_REGS;
  let compared = 0;
  for (const a of addresses) {
    const blocks = info.scopes.blocksAt(a);
    const visible = blocks.slice(0, blocks.findIndex((b) => b.kind !== 'block') + 1).flatMap((b) => b.variables);
    const ours = visible.map((v) => {
      const l = v.location;
      const size = sizeOf(v.type);
      let how: string;
      if (l.kind === 'list') how = 'multi';
      else if (l.kind === 'none') return `${v.name} optimized out`;
      else if (l.kind === 'constant') {
        how = typeof l.value === 'bigint' ? `constant ${BigInt.asIntN(size * 8, l.value)}` : `constant bytes ${[...l.value].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`;
      }
      else if (l.expr[0] === 0x91) how = `fbreg ${sleb(l.expr.subarray(1))}`;
      else if (l.expr[0] === 0x03 && l.expr.length === 9) how = `static ${hex(readUnsigned(l.expr.subarray(1, 9)))}`;
      else if (l.expr[0] >= 0x50 && l.expr[0] <= 0x5f) how = `reg ${regNames[l.expr[0] - 0x50]}`;
      else how = disassemble(l.expr);
      return `${v.name} ${how} ${size}`;
    }).sort();
    expect(ours, `info scope *${hex(a)}`).toEqual(theirs.get(hex(a)));
    compared += ours.length;
  }
  return compared;
}

/** ELF symbols against `nm` (local symbols may repeat a name: static functions of headers). */
export function checkSymbols(elf: string, info: DebugInfo): void {
  const nm = runTool('nm', ['--defined-only', elf], { encoding: 'utf8' });
  const namesAt = new Map<string, string[]>();
  const entries: Array<[string, string]> = [];
  for (const line of nm.split('\n')) {
    const m = /^([0-9a-f]+) ([TtDdBbRr]) (\w+)$/.exec(line);
    if (!m) continue;
    const address = hex(BigInt('0x' + m[1]));
    entries.push([address, m[3]]);
    namesAt.set(address, [...(namesAt.get(address) ?? []), m[3]]);
  }
  let checked = 0;
  for (const [address, name] of entries) {
    const ours = info.symbols.all.filter((s) => s.name === name);
    if (ours.length === 0 || ours.every((s) => s.kind === 'other')) continue;
    expect(ours.map((s) => hex(s.value)), name).toContain(address);
    const sym = ours.find((s) => hex(s.value) === address)!;
    if (sym.size > 0) {
      expect(namesAt.get(address), name).toContain(info.describeAddress(sym.value));
      if (sym.size > 1) expect(info.describeAddress(sym.value + 1n)).toMatch(new RegExp(`^(${namesAt.get(address)!.join('|')})\\+0x1$`));
    }
    checked++;
  }
  expect(checked).toBeGreaterThan(10);
}

function sleb(bytes: Uint8Array): bigint {
  let v = 0n, shift = 0n, i = 0, b: number;
  do { b = bytes[i++]; v |= BigInt(b & 0x7f) << shift; shift += 7n; } while (b & 0x80);
  return b & 0x40 ? v - (1n << shift) : v;
}

/** The few DWARF operations gcc uses in these programs, in gdb's spelling. */
function disassemble(expr: Uint8Array): string {
  const ops: string[] = [];
  for (let i = 0; i < expr.length;) {
    const op = expr[i++];
    if (op === 0x03) { ops.push(`DW_OP_addr ${hex(readUnsigned(expr.subarray(i, i + 8)))}`); i += 8; }
    else if (op === 0x9f) ops.push('DW_OP_stack_value');
    else if (op >= 0x30 && op <= 0x4f) ops.push(`DW_OP_lit${op - 0x30}`);
    else return `bytes ${[...expr].join(',')}`;
  }
  return ops.join('; ');
}
