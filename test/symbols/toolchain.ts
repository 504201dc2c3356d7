// Test support for test/symbols: builds the fixture program with gcc in a temporary directory
// and asks independent tools (readelf, objdump, gdb) the questions the library answers.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool, runTool, type Tool } from '../tools';

export const FIXTURES = join(__dirname, 'fixtures');
export const SOURCES = [join(FIXTURES, 'program.c'), join(FIXTURES, 'helper.c')];

/** Build variants: the samples' flags (.debug_frame, DWARF 5), the gcc default (.eh_frame), DWARF 4, and -O2. */
export const VARIANTS = {
  sampleFlags: ['-O0', '-g', '-fno-asynchronous-unwind-tables', '-fno-omit-frame-pointer', '-mno-red-zone'],
  ehFrame: ['-O0', '-g'],
  dwarf4: ['-O0', '-gdwarf-4'],
  optimized: ['-O2', '-g'],
} as const;
export type Variant = keyof typeof VARIANTS;

const COMMON = ['-std=gnu11', '-ffreestanding', '-fno-pie', '-fno-stack-protector', '-fcf-protection=none',
  '-nostdlib', '-static', '-no-pie', '-Wl,-Ttext-segment=0x100000', '-Wl,--build-id=none'];

/** Builds a variant once per content of the sources and flags; test files running in parallel share it. */
export function compile(variant: Variant): string {
  const flags = [...VARIANTS[variant], ...COMMON];
  const hash = createHash('sha256').update(flags.join(' '));
  for (const source of SOURCES) hash.update(readFileSync(source));
  const dir = join(tmpdir(), `symbols-test-${hash.digest('hex').slice(0, 16)}`);
  const out = join(dir, `${variant}.elf`);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const partial = `${out}.${process.pid}`;
  runTool('gcc', [...flags, '-o', partial, ...SOURCES], { stdio: 'pipe' });
  renameSync(partial, out);
  return out;
}

/** Assembles and links a hand-written fixture (.s) like the C ones. */
export function assemble(name: string): string {
  const source = join(FIXTURES, name);
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `symbols-test-${hash}`);
  const out = join(dir, name.replace(/\.s$/, '.elf'));
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const partial = `${out}.${process.pid}`;
  runTool('gcc', ['-nostdlib', '-static', '-no-pie', '-Wl,-Ttext-segment=0x100000', '-Wl,--build-id=none', '-o', partial, source], { stdio: 'pipe' });
  renameSync(partial, out);
  return out;
}

function run(tool: Tool, args: string[]): string {
  return runTool(tool, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

/** 1-based line of the marker comment in a fixture source. */
export function markerLine(file: string, marker: string): number {
  const lines = readFileSync(join(FIXTURES, file), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`marker ${marker} not in ${file}`);
  return i + 1;
}

export interface OracleLineRow { file: string; line: number; address: bigint; stmt: boolean; end: boolean }

/** `readelf --debug-dump=decodedline`: every row, with end-of-sequence rows as `end`. */
export function readelfLines(elf: string): OracleLineRow[] {
  const rows: OracleLineRow[] = [];
  for (const text of run('readelf', ['--debug-dump=decodedline', '-W', elf]).split('\n')) {
    const m = /^(\S+)\s+(\d+|-)\s+(0x[0-9a-f]+)(?:\s+\d+)?(\s+x)?\s*$/.exec(text);
    if (!m) continue;
    rows.push({ file: m[1].split('/').pop()!, line: m[2] === '-' ? 0 : Number(m[2]), address: BigInt(m[3]), stmt: !!m[4], end: m[2] === '-' });
  }
  return rows;
}

export interface OracleCfiRow { location: bigint; cfa: string; regs: Map<string, string> }
export interface OracleFde { low: bigint; high: bigint; rows: OracleCfiRow[] }

/** `objdump --dwarf=frames-interp` (or the .debug_frame flavour): FDEs with their decoded rows. */
export function objdumpFrames(elf: string): OracleFde[] {
  const fdes: OracleFde[] = [];
  let fde: OracleFde | undefined;
  let columns: string[] = [];
  for (const text of run('objdump', ['--dwarf=frames-interp', elf]).split('\n')) {
    const head = /FDE cie=\S+ pc=([0-9a-f]+)\.\.([0-9a-f]+)/.exec(text);
    if (head) { fde = { low: BigInt('0x' + head[1]), high: BigInt('0x' + head[2]), rows: [] }; fdes.push(fde); continue; }
    if (/^\s*$/.test(text) || / CIE\b/.test(text)) { if (/ CIE\b/.test(text)) fde = undefined; continue; }
    if (!fde) continue;
    const cells = text.trim().split(/\s+/);
    if (cells[0] === 'LOC') { columns = cells; continue; }
    if (!/^[0-9a-f]{16}$/.test(cells[0])) continue;
    const regs = new Map<string, string>();
    for (let i = 2; i < columns.length; i++) regs.set(columns[i], cells[i]);
    fde.rows.push({ location: BigInt('0x' + cells[0]), cfa: cells[1], regs });
  }
  return fdes;
}

export interface GdbSession { stdout: string; stderr: string }

/**
 * Runs gdb in batch mode on `elf` with the given commands, in `cwd` when given (gdb's `dump`
 * takes no quoted file names, so a temp dir with a space in its path must be the working dir).
 * gdb carries on after a failing command; its error messages are in stderr.
 */
export function gdbSession(elf: string, commands: string[], cwd?: string): GdbSession {
  requireTool('gdb');
  const argv = ['-batch', '-nx', '-ex', 'set width 0', '-ex', 'set height 0', '-ex', 'set confirm off'];
  for (const c of commands) argv.push('-ex', c);
  const r = spawnSync('gdb', [...argv, elf], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`gdb exited with status ${r.status}: ${r.stderr.trim()}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

/** Runs gdb in batch mode on `elf` with the given commands; returns stdout. */
export function gdb(elf: string, commands: string[]): string {
  return gdbSession(elf, commands).stdout;
}

export function hex(v: bigint): string { return `0x${v.toString(16)}`; }
