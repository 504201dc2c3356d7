// Line tables against readelf's decoded rows, and breakpoint placement against gdb's `break`.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DebugInfo } from '../../debug-adapter/symbols';
import { compile, FIXTURES, gdb, hex, readelfLines, type Variant } from './toolchain';

const variants: Variant[] = ['sampleFlags', 'ehFrame', 'dwarf4', 'optimized'];

describe.each(variants)('line table (%s build)', (variant) => {
  let elf: string;
  let info: DebugInfo;
  beforeAll(() => { elf = compile(variant); info = DebugInfo.load(elf); });

  it('decodes every row readelf decodes, in order', () => {
    const expected = readelfLines(elf);
    expect(expected.length).toBeGreaterThan(20);
    const ours: string[] = [];
    for (const seq of info.lines.sequences) {
      for (const r of seq) ours.push(r.endSequence ? `end ${hex(r.address)}` : `${r.file.split('/').pop()}:${r.line} ${hex(r.address)}${r.isStmt ? ' stmt' : ''}`);
    }
    const theirs = expected.map((r) => (r.end ? `end ${hex(r.address)}` : `${r.file}:${r.line} ${hex(r.address)}${r.stmt ? ' stmt' : ''}`));
    expect(ours).toEqual(theirs);
  });

  it('maps every address of every row to the last row starting there', () => {
    const rows = readelfLines(elf);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      if (row.end || rows[i + 1].address === row.address) continue;
      const last = rows[i + 1].address - 1n;
      for (const a of [row.address, last]) {
        const got = info.lineAt(a);
        expect(got && `${got.file.split('/').pop()}:${got.line}@${hex(got.address)}`, hex(a)).toBe(`${row.file}:${row.line}@${hex(row.address)}`);
      }
    }
  });

  it('gives the contiguous address range of a line for stepping', () => {
    for (const r of info.lines.allRows) {
      const range = info.lineRangeAt(r.address)!;
      expect(range.start <= r.address && r.address < range.end).toBe(true);
      expect(info.lineAt(range.start)!.line).toBe(range.line);
      expect(info.lineAt(range.end - 1n)!.line).toBe(range.line);
      // The range is maximal: the bytes just outside belong to another line (or to no line).
      expect(info.lineAt(range.end)?.line === range.line && info.lineAt(range.end)?.file === range.file ? info.lineRangeAt(range.end)!.start : range.end).toBe(range.end);
    }
  });
});

/** gdb's placement of `break file:line` for every line of a file: line -> "addr:line" list. */
function gdbPlacements(elf: string, file: string, count: number): Map<number, string[]> {
  const cmds: string[] = [];
  for (let l = 1; l <= count; l++) cmds.push(`echo REQ ${l}\\n`, `break ${file}:${l}`);
  cmds.push('echo INFO\\n', 'info breakpoints');
  const out = gdb(elf, cmds);
  const [requests, table] = out.split('INFO\n');
  const bpOfLine = new Map<number, number>();
  let line = 0;
  for (const text of requests.split('\n')) {
    const req = /^REQ (\d+)/.exec(text);
    if (req) { line = Number(req[1]); continue; }
    const bp = /^Breakpoint (\d+) at/.exec(text);
    if (bp) bpOfLine.set(line, Number(bp[1]));
  }
  const locations = new Map<number, string[]>();
  for (const text of table.split('\n')) {
    const m = /^(\d+)(?:\.\d+)?\s+.*?(0x[0-9a-f]+)\s+in \S+ at \S+:(\d+)/.exec(text);
    if (!m) continue;
    const list = locations.get(Number(m[1])) ?? [];
    list.push(`${hex(BigInt(m[2]))}:${m[3]}`);
    locations.set(Number(m[1]), list);
  }
  const result = new Map<number, string[]>();
  for (const [l, bp] of bpOfLine) result.set(l, (locations.get(bp) ?? []).sort());
  return result;
}

describe.each(['sampleFlags', 'dwarf4'] as Variant[])('breakpoint placement matches gdb (%s build)', (variant) => {
  it.each(['program.c', 'helper.c'])('every line of %s', (file) => {
    const elf = compile(variant);
    const info = DebugInfo.load(elf);
    const count = readFileSync(join(FIXTURES, file), 'utf8').split('\n').length;
    const expected = gdbPlacements(elf, file, count);
    for (let l = 1; l <= count; l++) {
      const ours = info.addressesForLine(file, l).map((p) => `${hex(p.address)}:${p.line}`).sort();
      expect(ours, `${file}:${l}`).toEqual(expected.get(l) ?? []);
    }
  });

  it('places function breakpoints after the prologue like gdb', () => {
    const elf = compile(variant);
    const info = DebugInfo.load(elf);
    const names = ['add', 'fold', 'depth', 'helper_scale', '_start', 'sys_exit'];
    const out = gdb(elf, names.map((n) => `break ${n}`));
    for (const n of names) {
      const m = new RegExp(`at (0x[0-9a-f]+): file \\S+, line (\\d+)`).exec(out.split('\n')[names.indexOf(n)])!;
      const ours = info.functionBreakpoint(n)!;
      expect(`${hex(ours.address)}:${ours.line}`, n).toBe(`${hex(BigInt(m[1]))}:${m[2]}`);
    }
  });
});
