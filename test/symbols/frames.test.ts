// Frames and variables against a live gdb: the fixture runs as a Linux process, gdb stops it at
// marker lines and records registers, stack and data memory, the backtrace with each frame's
// CFA, and `info args`/`info locals`. From the same registers and memory our unwinder must find
// the same frames, and our scopes and formatter must print the same values.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseElf as parseElfFile } from '../../emulator/loader/elf';
import { DebugInfo, type FrameState, type RegisterSet } from '../../debug-adapter/symbols';
import { requireTool } from '../tools';
import { compile, gdbSession, hex, markerLine, type Variant } from './toolchain';

const STACK_BYTES = 4096;
/** Leaf functions keep locals in the 128-byte red zone below rsp (unless -mno-red-zone). */
const RED_ZONE = 128n;
const REGS = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip'] as const;

interface GdbFrame { level: number; pc: bigint; func: string; line: number; cfa: bigint; inlined: boolean; values: Map<string, string> }
interface Stop { registers: RegisterSet; read: (a: bigint, n: number) => Uint8Array | null; frames: GdbFrame[] }

/**
 * Runs the program under gdb with a temporary breakpoint on each marker line and records, at
 * every stop, everything the checks need. Returns the stops by marker (a marker whose line is
 * never reached has none). The program runs with an empty environment, so its stack ends a few
 * hundred bytes above the stops on every machine: the stack dump stops where gdb's
 * `info proc mappings` says the [stack] mapping ends.
 */
function stopAtAll(elf: string, markers: Array<[file: string, marker: string]>): Map<string, Stop> {
  requireTool('gdb');
  requireTool('awk'); // reads gdb's mappings below
  const dir = mkdtempSync(join(tmpdir(), 'symbols-stop-'));
  try {
    return recordStops(elf, markers, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function recordStops(elf: string, markers: Array<[file: string, marker: string]>, dir: string): Map<string, Stop> {
  const image = parseElfFile(readFileSync(elf), elf);
  const writable = image.sections.filter((s) => (s.flags & 1n) !== 0n && (s.flags & 2n) !== 0n && s.size > 0);
  const dataLow = writable.reduce((m, s) => (s.addr < m ? s.addr : m), writable[0].addr);
  const dataHigh = writable.reduce((m, s) => (s.addr + BigInt(s.size) > m ? s.addr + BigInt(s.size) : m), 0n);
  const cmds = ['unset environment', ...markers.map(([file, marker]) => `tbreak ${file}:${markerLine(file, marker)}`)];
  markers.forEach((_, k) => {
    cmds.push(k === 0 ? 'run' : 'continue');
    // gdb has no expression for a mapping's end: a sourced one-line script sets $stack_end.
    if (k === 0) cmds.push(`pipe info proc mappings | awk '/\\[stack\\]$/ { print "set $stack_end = " $2 }' > stack-end.gdb`, 'source stack-end.gdb');
    cmds.push(`echo STOP ${k}\\n`, `info registers ${REGS.join(' ')}`,
      `dump binary memory stack${k}.bin $rsp-${RED_ZONE} ($rsp+${STACK_BYTES} < $stack_end ? $rsp+${STACK_BYTES} : $stack_end)`,
      `dump binary memory data${k}.bin ${hex(dataLow)} ${hex(dataHigh)}`);
    for (let level = 0; level < 8; level++) cmds.push(`echo FRAME ${level}\\n`, `frame ${level}`, 'info frame', 'info args', 'info locals');
  });
  const { stdout: out, stderr } = gdbSession(elf, cmds, dir);
  /** A file gdb's `dump` wrote, or a failure quoting what gdb said instead. */
  const dumped = (name: string, marker: string): Buffer => {
    const file = join(dir, name);
    if (existsSync(file)) return readFileSync(file);
    // Less the frame loop's "No frame at level n." for levels deeper than the stack.
    const said = stderr.split('\n').filter((l) => l && !l.startsWith('No frame at level'));
    throw new Error(`gdb did not write ${name} at ${marker}; gdb said: ${said.join(' | ') || '(nothing)'}`);
  };
  // "Temporary breakpoint 2 at 0x101045: file ..." tells where each marker's breakpoint went.
  const markerAt = new Map<bigint, string>();
  for (const m of out.matchAll(/^Temporary breakpoint (\d+) at (0x[0-9a-f]+)/gm)) markerAt.set(BigInt(m[2]), markers[Number(m[1]) - 1][1]);

  const stops = new Map<string, Stop>();
  out.split(/^STOP \d+\n/m).slice(1).forEach((record, k) => {
    const registers: RegisterSet = {};
    for (const m of record.matchAll(/^(\w+)\s+(0x[0-9a-f]+)\s/gm)) {
      if ((REGS as readonly string[]).includes(m[1]) && !(m[1] in registers)) registers[m[1] as (typeof REGS)[number]] = BigInt(m[2]);
    }
    const marker = registers.rip !== undefined ? markerAt.get(registers.rip) : undefined;
    if (!marker) return;
    const stack = dumped(`stack${k}.bin`, marker);
    const data = dumped(`data${k}.bin`, marker);
    const low = registers.rsp! - RED_ZONE;
    const read = (a: bigint, n: number): Uint8Array | null => {
      if (a >= low && a + BigInt(n) <= low + BigInt(stack.length)) return stack.subarray(Number(a - low), Number(a - low) + n);
      if (a >= dataLow && a + BigInt(n) <= dataLow + BigInt(data.length)) return data.subarray(Number(a - dataLow), Number(a - dataLow) + n);
      const s = image.sections.find((x) => (x.flags & 2n) !== 0n && a >= x.addr && a + BigInt(n) <= x.addr + BigInt(x.size));
      return s ? image.sectionData(s).subarray(Number(a - s.addr), Number(a - s.addr) + n) : null;
    };
    const frames: GdbFrame[] = [];
    for (const chunk of record.split(/^FRAME \d+\n/m).slice(1)) {
      const head = /^#(\d+)\s+(?:(0x[0-9a-f]+) in )?(\w+) \(.*?\) at .+:(\d+)$/m.exec(chunk); // the path may hold spaces
      const cfa = /frame at (0x[0-9a-f]+)/.exec(chunk);
      const pc = /rip = (0x[0-9a-f]+)/.exec(chunk);
      if (!head || !cfa || !pc) break;
      const values = new Map<string, string>();
      for (const m of chunk.matchAll(/^(\w+) = (.*)$/gm)) if (!values.has(m[1])) values.set(m[1], m[2]);
      frames.push({ level: Number(head[1]), pc: BigInt(pc[1]), func: head[3], line: Number(head[4]), cfa: BigInt(cfa[1]), inlined: /inlined into frame/.test(chunk), values });
    }
    stops.set(marker, { registers, read, frames });
  });
  return stops;
}

interface OurFrame { pc: bigint; func: string; cfa: bigint; values: Map<string, string>; inlined: string[] }

function walk(info: DebugInfo, stop: Stop): OurFrame[] {
  const frames: OurFrame[] = [];
  let state: FrameState | undefined = { registers: stop.registers, readMemory: stop.read, callerFrame: false };
  while (state && frames.length < 10) {
    const pc = state.registers.rip!;
    const scope = info.scopeAt(pc, state.callerFrame);
    const values = new Map<string, string>();
    for (const v of scope.variables) values.set(v.name, info.formatVariable(v, state).value);
    frames.push({ pc, func: scope.function?.name ?? '?', cfa: info.cfaOf(state)!, values, inlined: scope.inlined.map((i) => `${i.name} called at line ${i.callLine}`) });
    const caller = info.unwind(state);
    state = caller && { registers: caller.registers, readMemory: stop.read, callerFrame: true };
  }
  return frames;
}

interface InlineGroup { inner: GdbFrame; outer: GdbFrame; members: GdbFrame[] }

/** gdb's frames grouped by machine frame: inlined frames, innermost first, then the real function. */
function physicalFrames(frames: GdbFrame[]): InlineGroup[] {
  const out: InlineGroup[] = [];
  let members: GdbFrame[] = [];
  for (const f of frames) {
    members.push(f);
    if (!f.inlined) { out.push({ inner: members[0], outer: f, members }); members = []; }
  }
  return out;
}

/** An inline group as "<inlined function> called at line <line of the frame above>". */
function inlineChain(group: InlineGroup): string[] {
  return group.members.slice(0, -1).map((f, i) => `${f.func} called at line ${group.members[i + 1].line}`);
}

const show = (f: { pc: bigint; func: string; cfa: bigint }): string => `${f.func} pc=${hex(f.pc)} cfa=${hex(f.cfa)}`;
const showValues = (m: Map<string, string>): string[] => [...m].map(([k, v]) => `${k} = ${v}`).sort();

// At -O0 add() is first reached from fold(); at -O2 fold's call is inlined and the first call
// of the out-of-line copy comes through the callback from helper_walk (no frame pointer).
const MARKERS: Array<[string, string]> = [['program.c', 'STOP_add'], ['program.c', 'STOP_fold'], ['helper.c', 'STOP_helper']];

describe.each(['sampleFlags', 'ehFrame', 'dwarf4', 'optimized'] as Variant[])('frames and variables match gdb (%s build)', (variant) => {
  let elf: string;
  let info: DebugInfo;
  let stops: Map<string, Stop>;
  beforeAll(() => { elf = compile(variant); info = DebugInfo.load(elf); stops = stopAtAll(elf, MARKERS); });

  it.each(MARKERS)('stopped at %s %s', (_file, marker) => {
    const stop = stops.get(marker)!;
    expect(stop, `gdb never stopped at ${marker}`).toBeDefined();
    expect(stop.frames.length).toBeGreaterThanOrEqual(2);
    const ours = walk(info, stop);
    // gdb shows inlined calls as extra frames; we unwind machine frames. A machine frame is gdb's
    // non-inlined frame (named after the real function); its variables are those of the
    // innermost frame of its inline group.
    const machine = physicalFrames(stop.frames);
    expect(ours.map(show)).toEqual(machine.map((g) => show(g.outer)));
    ours.forEach((f, i) => expect(showValues(f.values), show(f)).toEqual(showValues(machine[i].inner.values)));
    ours.forEach((f, i) => expect(f.inlined, show(f)).toEqual(inlineChain(machine[i])));
    if (variant === 'optimized' && marker === 'STOP_fold') expect(ours[0].inlined.length).toBeGreaterThan(0);
  });

  if (variant === 'sampleFlags') {
    it('unwinds the same frames by the rbp chain when the executable has no CFI', () => {
      const bytes = new Uint8Array(readFileSync(elf));
      // Rename .debug_frame in the section-name table so the library finds no CFI at all.
      const at = Buffer.from(bytes).indexOf(Buffer.from('.debug_frame'));
      bytes[at + 1] = 'X'.charCodeAt(0);
      const noCfi = DebugInfo.load(bytes, 'no-cfi.elf');
      expect(noCfi.cfi.fdes).toHaveLength(0);
      const stop = stops.get('STOP_helper')!;
      expect(walk(noCfi, stop).map(show)).toEqual(physicalFrames(stop.frames).map((g) => show(g.outer)));
    });
  }
});
