// Program structure from .debug_info: functions (subprograms with their pc ranges and frame
// base), nested lexical blocks and inlined subroutines, and the variables visible in each,
// with their types and location descriptions. Pure data; evaluation lives in debugInfo.ts.

import { At, Tag } from './dwarfConstants';
import type { Die } from './dies';
import { dieRanges, locationList, type AddressRange, type LocationListEntry } from './rangeLists';
import { canonicalBaseName, TypeBuilder, type CType } from './types';

export type LocationDescription =
  | { kind: 'expression'; expr: Uint8Array }
  | { kind: 'list'; entries: LocationListEntry[] }
  | { kind: 'constant'; value: bigint | Uint8Array }
  | { kind: 'none' };                                   // optimized out

export interface VariableInfo {
  name: string;
  kind: 'parameter' | 'local' | 'global';
  type: CType;
  location: LocationDescription;
  declFile?: string;
  declLine?: number;
  external: boolean;
}

export interface FunctionInfo {
  name: string;
  ranges: AddressRange[];
  /** Lowest address of its ranges: the entry point for out-of-line functions. */
  low: bigint;
  frameBase: LocationDescription;
  external: boolean;
  declFile?: string;
  declLine?: number;
  returnType: CType;
  die: Die;
}

/** A function, lexical block or inlined subroutine that contains some pc. */
export interface BlockInfo {
  kind: 'function' | 'block' | 'inlined';
  /** For functions and inlined subroutines: the function's name. */
  name?: string;
  ranges: AddressRange[];
  variables: VariableInfo[];
  /** Inlined subroutines: where the call was, in the caller. */
  callFile?: string;
  callLine?: number;
  die: Die;
}

export function inRanges(ranges: AddressRange[], pc: bigint): boolean {
  return ranges.some((r) => pc >= r.low && pc < r.high);
}

/** Follows DW_AT_abstract_origin/DW_AT_specification to the DIE that carries names and types. */
function origin(die: Die): Die {
  let d = die;
  for (let i = 0; i < 4; i++) {
    const next = d.ref(At.abstract_origin) ?? d.ref(At.specification);
    if (!next) break;
    d = next;
  }
  return d;
}

function attrVia(die: Die, at: number): Die | undefined {
  for (let d: Die | undefined = die, i = 0; d && i < 5; i++) {
    if (d.has(at)) return d;
    d = d.ref(At.abstract_origin) ?? d.ref(At.specification);
  }
  return undefined;
}

export class ProgramScopes {
  readonly functions: FunctionInfo[] = [];
  readonly globals: VariableInfo[] = [];
  readonly types = new TypeBuilder();
  private readonly namedTypes = new Map<string, CType>();

  constructor(units: Iterable<Die>, private readonly fileName: (die: Die, index: number) => string | undefined) {
    for (const cu of units) this.collect(cu, true);
    this.functions.sort((a, b) => (a.low < b.low ? -1 : a.low > b.low ? 1 : 0));
  }

  private collect(parent: Die, unitLevel: boolean): void {
    for (const die of parent.children) {
      switch (die.tag) {
        case Tag.subprogram: {
          const ranges = dieRanges(die).filter((r) => r.high > r.low);
          if (ranges.length > 0) this.functions.push(this.functionInfo(die, ranges));
          break;
        }
        case Tag.variable_:
          if (unitLevel) {
            const v = this.variable(die, 'global');
            if (v && v.location.kind !== 'none') this.globals.push(v);
          }
          break;
        case Tag.structure_type: case Tag.union_type: case Tag.enumeration_type: case Tag.typedef: case Tag.base_type: {
          const name = die.name;
          if (!name || die.flag(At.declaration)) break;
          const key = die.tag === Tag.structure_type ? `struct ${name}` : die.tag === Tag.union_type ? `union ${name}` : die.tag === Tag.enumeration_type ? `enum ${name}` : canonicalBaseName(name);
          if (!this.namedTypes.has(key)) this.namedTypes.set(key, this.types.of(die));
          break;
        }
      }
    }
  }

  private functionInfo(die: Die, ranges: AddressRange[]): FunctionInfo {
    const named = origin(die);
    const declFileDie = attrVia(die, At.decl_file);
    return {
      name: named.name ?? '<anonymous>',
      ranges,
      low: ranges.reduce((m, r) => (r.low < m ? r.low : m), ranges[0].low),
      frameBase: this.location(die, At.frame_base),
      external: attrVia(die, At.external)?.flag(At.external) ?? false,
      declFile: declFileDie ? this.fileName(declFileDie, declFileDie.num(At.decl_file) ?? 0) : undefined,
      declLine: attrVia(die, At.decl_line)?.num(At.decl_line),
      returnType: this.types.of(attrVia(die, At.type)?.ref(At.type)),
      die,
    };
  }

  /** A type by C name: "int", "u64", "struct point", "union u", "enum color". */
  typeNamed(name: string): CType | undefined { return this.namedTypes.get(canonicalBaseName(name.trim().replace(/\s+/g, ' '))); }

  functionAt(pc: bigint): FunctionInfo | undefined {
    // Functions may have several ranges (-O2 hot/cold splitting), so scan the few candidates.
    let best: FunctionInfo | undefined;
    for (const f of this.functions) {
      if (f.low > pc) break;
      if (inRanges(f.ranges, pc)) best = f;
    }
    return best;
  }

  /** Blocks containing `pc`, innermost first, ending with the function. */
  blocksAt(pc: bigint): BlockInfo[] {
    const fn = this.functionAt(pc);
    if (!fn) return [];
    const chain: BlockInfo[] = [];
    let current: BlockInfo = { kind: 'function', name: fn.name, ranges: fn.ranges, variables: [], die: fn.die };
    chain.push(current);
    let die = fn.die;
    for (;;) {
      const { vars, inner } = this.scan(die, pc);
      current.variables.push(...vars);
      if (!inner) break;
      const named = origin(inner);
      current = inner.tag === Tag.inlined_subroutine
        ? { kind: 'inlined', name: named.name, ranges: dieRanges(inner), variables: [], die: inner,
            callFile: this.fileName(inner, inner.num(At.call_file) ?? 0), callLine: inner.num(At.call_line) }
        : { kind: 'block', ranges: dieRanges(inner), variables: [], die: inner };
      chain.push(current);
      die = inner;
    }
    return chain.reverse();
  }

  /** Variables directly in `die` (including range-less blocks, whose variables belong to it, as in gdb) and the child block holding pc. */
  private scan(die: Die, pc: bigint): { vars: VariableInfo[]; inner: Die | undefined } {
    const vars: VariableInfo[] = [];
    let inner: Die | undefined;
    for (const c of die.children) {
      if (c.tag === Tag.formal_parameter || c.tag === Tag.variable_) {
        const v = this.variable(c, c.tag === Tag.formal_parameter ? 'parameter' : 'local');
        if (v) vars.push(v);
      } else if (c.tag === Tag.lexical_block || c.tag === Tag.inlined_subroutine) {
        const ranges = dieRanges(c);
        if (ranges.length === 0 && c.tag === Tag.lexical_block) {
          const sub = this.scan(c, pc);
          vars.push(...sub.vars);
          inner ??= sub.inner;
        } else if (inRanges(ranges, pc)) inner = c;
      }
    }
    // An inlined or out-of-line instance lists only the variables it has locations for; the
    // rest of the abstract function's parameters and locals exist too, optimized out (as gdb's
    // inherit_abstract_dies: direct children only).
    const abstract = die.tag === Tag.lexical_block ? undefined : die.ref(At.abstract_origin);
    if (abstract) {
      const concrete = new Set(die.children.map((c) => c.ref(At.abstract_origin)?.offset));
      const inherit = (from: Die): void => {
        for (const a of from.children) {
          if (concrete.has(a.offset)) continue;
          // An abstract block without a concrete copy has no pc range: its variables join this scope.
          if (a.tag === Tag.lexical_block) { inherit(a); continue; }
          if (a.tag !== Tag.formal_parameter && a.tag !== Tag.variable_) continue;
          const v = this.variable(a, a.tag === Tag.formal_parameter ? 'parameter' : 'local');
          if (v) vars.push({ ...v, location: { kind: 'none' } });
        }
      };
      inherit(abstract);
    }
    return { vars, inner };
  }

  private variable(die: Die, kind: VariableInfo['kind']): VariableInfo | undefined {
    const named = origin(die);
    const name = named.name;
    if (!name) return undefined;
    if (die.flag(At.declaration) && !die.has(At.location)) return undefined;
    const typeDie = attrVia(die, At.type);
    const declFileDie = attrVia(die, At.decl_file);
    return {
      name, kind,
      type: this.types.of(typeDie?.ref(At.type)),
      location: die.has(At.const_value) ? this.constant(die) : this.location(die, At.location),
      declFile: declFileDie ? this.fileName(declFileDie, declFileDie.num(At.decl_file) ?? 0) : undefined,
      declLine: attrVia(die, At.decl_line)?.num(At.decl_line),
      external: attrVia(die, At.external)?.flag(At.external) ?? false,
    };
  }

  private constant(die: Die): LocationDescription {
    const v = die.raw(At.const_value);
    if (v?.kind === 'udata' || v?.kind === 'sdata') return { kind: 'constant', value: v.value };
    if (v?.kind === 'block') return { kind: 'constant', value: v.bytes };
    return { kind: 'none' };
  }

  private location(die: Die, at: number): LocationDescription {
    const v = die.raw(at);
    if (!v) return { kind: 'none' };
    if (v.kind === 'block') return v.bytes.length === 0 ? { kind: 'none' } : { kind: 'expression', expr: v.bytes };
    if (v.kind === 'secOffset' || v.kind === 'loclistx' || (v.kind === 'udata' && die.unit.version < 4)) {
      return { kind: 'list', entries: locationList(die.unit, v) };
    }
    return { kind: 'none' };
  }
}
