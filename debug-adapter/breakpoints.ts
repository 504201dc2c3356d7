// User breakpoints: source lines (mapped to the ELF whose line table holds the file),
// functions, instructions (disassembly view) and data (Machine watchpoints), each with
// condition, hit count and log message. Host and guest are both linked at 1 MiB, so every
// machine breakpoint is linear and a hit counts only on the side that owns it.

import type { DebugProtocol } from '@vscode/debugprotocol';
import type { MachineApi } from '../emulator/api';
import type { PathFormat } from './pathFormat';
import type { ProgramSymbols, Side } from './programSymbols';
import { sameSourceFile } from './sourcePaths';

export type BreakpointKind = 'source' | 'function' | 'instruction' | 'data';

export interface UserBreakpoint {
  id: number;
  kind: BreakpointKind;
  side: Side;
  address: bigint;
  condition?: string;
  hitCondition?: string;
  logMessage?: string;
  hits: number;
  /** Data breakpoints: watched length and access. */
  length?: number;
  access?: 'read' | 'write' | 'readwrite';
}

/** What a hit means once conditions were evaluated. */
export interface HitVerdict { stop: boolean; reason: string; ids: number[]; logs: string[]; error?: string }

/** Evaluates conditions and log messages in the context of the stopped top frame. */
export interface ConditionEvaluator {
  condition(text: string): boolean;
  interpolate(message: string): string;
}

function parseHitCondition(text: string): ((hits: number) => boolean) | undefined {
  const m = /^\s*(>=|<=|==|=|>|<|%)?\s*(\d+)\s*$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[2]);
  switch (m[1]) {
    case '>': return (h) => h > n;
    case '<': return (h) => h < n;
    case '<=': return (h) => h <= n;
    case '==': case '=': return (h) => h === n;
    case '%': return (h) => n > 0 && h % n === 0;
    default: return (h) => h >= n; // a bare number: from the n-th hit on
  }
}

/** "kvm_hypercall0+0x9 (0x1005c9)", or the bare address outside any known function. */
function describe(symbols: ProgramSymbols, address: bigint): string {
  const hex = `0x${address.toString(16)}`;
  const fn = symbols.functionAt(address);
  if (!fn) return hex;
  return `${address === fn.low ? fn.name : `${fn.name}+0x${(address - fn.low).toString(16)}`} (${hex})`;
}

export class BreakpointManager {
  private nextId = 1;
  private readonly bySource = new Map<string, UserBreakpoint[]>();
  private functionBps: UserBreakpoint[] = [];
  private instructionBps: UserBreakpoint[] = [];
  private dataBps: UserBreakpoint[] = [];
  /** Reference counts of machine breakpoints, shared with the stepping engine's temporary ones. */
  private readonly machineRefs = new Map<bigint, number>();

  constructor(private readonly machine: MachineApi, private readonly symbols: Record<Side, ProgramSymbols>, private readonly paths: PathFormat) {}

  retainMachineBreakpoint(address: bigint): void {
    const n = this.machineRefs.get(address) ?? 0;
    if (n === 0) this.machine.addBreakpoint(address, 'linear');
    this.machineRefs.set(address, n + 1);
  }

  releaseMachineBreakpoint(address: bigint): void {
    const n = this.machineRefs.get(address) ?? 0;
    if (n <= 1) {
      this.machineRefs.delete(address);
      if (n === 1) this.machine.removeBreakpoint(address, 'linear');
    } else this.machineRefs.set(address, n - 1);
  }

  private replace(old: UserBreakpoint[], fresh: UserBreakpoint[]): void {
    for (const bp of old) this.releaseMachineBreakpoint(bp.address);
    for (const bp of fresh) this.retainMachineBreakpoint(bp.address);
  }

  private make(kind: BreakpointKind, side: Side, address: bigint, spec: { condition?: string; hitCondition?: string; logMessage?: string }): UserBreakpoint {
    return { id: this.nextId++, kind, side, address, condition: spec.condition || undefined, hitCondition: spec.hitCondition || undefined, logMessage: spec.logMessage || undefined, hits: 0 };
  }

  private static invalidHit(spec: { hitCondition?: string }): string | undefined {
    return spec.hitCondition && !parseHitCondition(spec.hitCondition)
      ? `The hit count "${spec.hitCondition}" is not understood; use a number, or >, >=, ==, <, <= or % followed by a number.`
      : undefined;
  }

  /** Which programs' line tables contain `path` (both when a header is shared). */
  sidesForSource(path: string): Side[] {
    return (['guest', 'host'] as Side[]).filter((side) => this.symbols[side].sourceFiles().some((f) => sameSourceFile(f, path)));
  }

  setSourceBreakpoints(path: string, specs: DebugProtocol.SourceBreakpoint[]): DebugProtocol.Breakpoint[] {
    const sides = this.sidesForSource(path);
    const fresh: UserBreakpoint[] = [];
    const results = specs.map((spec): DebugProtocol.Breakpoint => {
      const bad = BreakpointManager.invalidHit(spec);
      if (bad) return { verified: false, line: spec.line, message: bad };
      if (sides.length === 0) return { verified: false, line: spec.line, message: 'Neither the host nor the guest ELF has code from this file.' };
      let resolved: number | undefined;
      let first: UserBreakpoint | undefined;
      for (const side of sides) {
        for (const loc of this.symbols[side].lineToAddresses(path, spec.line)) {
          const bp = this.make('source', side, loc.address, spec);
          if (first) bp.id = first.id; // one DAP breakpoint, several machine addresses
          first ??= bp;
          resolved ??= loc.line;
          fresh.push(bp);
        }
      }
      if (!first) return { verified: false, line: spec.line, message: 'No code was generated for this line or any line after it.' };
      return { id: first.id, verified: true, line: resolved, source: this.paths.source(path) };
    });
    this.replace(this.bySource.get(path) ?? [], fresh);
    this.bySource.set(path, fresh);
    return results;
  }

  setFunctionBreakpoints(specs: DebugProtocol.FunctionBreakpoint[]): DebugProtocol.Breakpoint[] {
    const fresh: UserBreakpoint[] = [];
    const results = specs.map((spec): DebugProtocol.Breakpoint => {
      const bad = BreakpointManager.invalidHit(spec);
      if (bad) return { verified: false, message: bad };
      // "guest:foo" / "host:foo" pick a side when both programs define the name.
      const m = /^(?:(host|guest)\s*:\s*)?([A-Za-z_]\w*)$/.exec(spec.name.trim());
      if (!m) return { verified: false, message: `"${spec.name}" is not a function name.` };
      const sides = m[1] ? [m[1] as Side] : (['guest', 'host'] as Side[]);
      let first: UserBreakpoint | undefined;
      for (const side of sides) {
        for (const address of this.symbols[side].functionBreakpointAddresses(m[2])) {
          const bp = this.make('function', side, address, spec);
          if (first) bp.id = first.id;
          first ??= bp;
          fresh.push(bp);
        }
      }
      if (!first) return { verified: false, message: `No function named ${m[2]} in the ${m[1] ?? 'host or guest'} ELF.` };
      const line = this.symbols[first.side].addressToLine(first.address);
      return { id: first.id, verified: true, line: line?.line, source: line ? this.paths.source(line.path) : undefined, instructionReference: `0x${first.address.toString(16)}` };
    });
    this.replace(this.functionBps, fresh);
    this.functionBps = fresh;
    return results;
  }

  /** Instruction references are "0x<address>" or "guest:0x..."/"host:0x..." (see memoryReferences.ts); without a side, both. */
  setInstructionBreakpoints(specs: DebugProtocol.InstructionBreakpoint[], parse: (ref: string) => { side?: Side; address: bigint } | undefined): DebugProtocol.Breakpoint[] {
    const fresh: UserBreakpoint[] = [];
    const results = specs.map((spec): DebugProtocol.Breakpoint => {
      const bad = BreakpointManager.invalidHit(spec);
      if (bad) return { verified: false, message: bad };
      const ref = parse(spec.instructionReference);
      if (!ref) return { verified: false, message: `"${spec.instructionReference}" is not an instruction address.` };
      const address = ref.address + BigInt(spec.offset ?? 0);
      const sides = ref.side ? [ref.side] : (['guest', 'host'] as Side[]);
      let first: UserBreakpoint | undefined;
      for (const side of sides) {
        const bp = this.make('instruction', side, address, spec);
        if (first) bp.id = first.id;
        first ??= bp;
        fresh.push(bp);
      }
      // Host and guest both load at 1 MiB: say which program the address is in, and where.
      const where = sides.map((side) => `${side} ${describe(this.symbols[side], address)}`);
      return {
        id: first!.id, verified: true,
        instructionReference: sides.length === 1 ? `${sides[0]}:0x${address.toString(16)}` : `0x${address.toString(16)}`,
        message: `Instruction breakpoint at ${where.join(' and ')}.`,
      };
    });
    this.replace(this.instructionBps, fresh);
    this.instructionBps = fresh;
    return results;
  }

  /** Data breakpoints: dataId is "<side>:0x<address>:<length>" from dataBreakpointInfo. */
  setDataBreakpoints(specs: DebugProtocol.DataBreakpoint[]): DebugProtocol.Breakpoint[] {
    for (const bp of this.dataBps) this.machine.removeWatchpoint(bp.address, bp.length!, 'linear');
    this.dataBps = [];
    return specs.map((spec): DebugProtocol.Breakpoint => {
      const bad = BreakpointManager.invalidHit(spec);
      if (bad) return { verified: false, message: bad };
      const m = /^(host|guest):0x([0-9a-f]+):(\d+)$/.exec(spec.dataId);
      if (!m) return { verified: false, message: `"${spec.dataId}" does not name memory to watch.` };
      const bp = this.make('data', m[1] as Side, BigInt('0x' + m[2]), spec);
      bp.length = Number(m[3]);
      bp.access = spec.accessType === 'readWrite' ? 'readwrite' : spec.accessType ?? 'write';
      this.machine.addWatchpoint(bp.address, bp.length, bp.access, 'linear');
      this.dataBps.push(bp);
      return { id: bp.id, verified: true };
    });
  }

  /** A machine breakpoint at `address` was reached on `side`: decide with conditions and hit counts. */
  /** `reverse`: a run backwards looks for stops without counting hits (hit conditions count forward runs only). */
  onBreakpoint(address: bigint, side: Side, evaluator: () => ConditionEvaluator, reverse = false): HitVerdict {
    const candidates = [...[...this.bySource.values()].flat(), ...this.functionBps, ...this.instructionBps]
      .filter((bp) => bp.address === address && bp.side === side);
    return this.judge(candidates, evaluator, reverse);
  }

  onWatchpoint(address: bigint, side: Side, evaluator: () => ConditionEvaluator, reverse = false): HitVerdict {
    const candidates = this.dataBps.filter((bp) => bp.side === side && address >= bp.address && address < bp.address + BigInt(bp.length!));
    return this.judge(candidates, evaluator, reverse);
  }

  /** `context` is built only if a condition or log message needs it (it unwinds the stack). */
  private judge(candidates: UserBreakpoint[], context: () => ConditionEvaluator, reverse: boolean): HitVerdict {
    const verdict: HitVerdict = { stop: false, reason: 'breakpoint', ids: [], logs: [] };
    let built: ConditionEvaluator | undefined;
    const evaluator = (): ConditionEvaluator => (built ??= context());
    const seen = new Set<number>();
    for (const bp of candidates) {
      if (seen.has(bp.id)) continue;
      seen.add(bp.id);
      if (bp.condition) {
        try {
          if (!evaluator().condition(bp.condition)) continue;
        } catch (e) {
          verdict.stop = true;
          verdict.ids.push(bp.id);
          verdict.error = `The breakpoint condition "${bp.condition}" could not be evaluated: ${(e as Error).message}`;
          continue;
        }
      }
      if (!reverse) {
        bp.hits++;
        if (bp.hitCondition && !parseHitCondition(bp.hitCondition)!(bp.hits)) continue;
      }
      if (bp.logMessage) {
        verdict.logs.push(evaluator().interpolate(bp.logMessage));
        continue;
      }
      verdict.stop = true;
      verdict.ids.push(bp.id);
      verdict.reason = { source: 'breakpoint', function: 'function breakpoint', instruction: 'instruction breakpoint', data: 'data breakpoint' }[bp.kind];
    }
    return verdict;
  }
}
