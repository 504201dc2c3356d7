// C types from DWARF type DIEs (DWARF 5 chapter 5): a small immutable model the formatter and
// the adapter share, and C-syntax type names as gdb's `whatis` prints them.

import { At, Encoding, Tag } from './dwarfConstants';
import type { Die } from './dies';

export type BaseEncoding = 'signed' | 'unsigned' | 'float' | 'bool' | 'signed-char' | 'unsigned-char' | 'address' | 'other';

export interface Member { name: string | undefined; offset: number; type: CType; bitSize?: number; bitOffset?: number }
export interface Enumerator { name: string; value: bigint }

export type CType =
  | { kind: 'void' }
  | { kind: 'base'; name: string; size: number; encoding: BaseEncoding }
  | { kind: 'pointer'; size: number; target: CType }
  | { kind: 'typedef'; name: string; target: CType }
  | { kind: 'qualified'; qualifier: 'const' | 'volatile' | 'restrict' | '_Atomic'; target: CType }
  | { kind: 'array'; element: CType; counts: Array<number | undefined> }
  | { kind: 'struct' | 'union'; name: string | undefined; size: number; members: Member[]; declaration: boolean }
  | { kind: 'enum'; name: string | undefined; size: number; signed: boolean; enumerators: Enumerator[] }
  | { kind: 'function'; returns: CType; params: CType[]; varargs: boolean; prototyped: boolean };

export const VOID: CType = { kind: 'void' };

/** Builds (and memoizes per DIE) the CType of a type DIE. Recursive structs are safe. */
export class TypeBuilder {
  private readonly cache = new Map<number, CType>();

  of(die: Die | undefined): CType {
    if (!die) return VOID;
    const cached = this.cache.get(die.offset);
    if (cached) return cached;
    const t = this.build(die);
    this.cache.set(die.offset, t);
    return t;
  }

  private target(die: Die): CType { return this.of(die.ref(At.type)); }

  private build(die: Die): CType {
    switch (die.tag) {
      case Tag.base_type:
        return { kind: 'base', name: canonicalBaseName(die.name ?? '?'), size: die.num(At.byte_size) ?? 0, encoding: baseEncoding(die.num(At.encoding)) };
      case Tag.pointer_type:
        return this.placeholder(die, { kind: 'pointer', size: die.num(At.byte_size) ?? 8, target: VOID }, (t) => { (t as { target: CType }).target = this.target(die); });
      case Tag.typedef:
        return this.placeholder(die, { kind: 'typedef', name: die.name ?? '?', target: VOID }, (t) => { (t as { target: CType }).target = this.target(die); });
      case Tag.const_type: case Tag.volatile_type: case Tag.restrict_type: case Tag.atomic_type: {
        const qualifier = die.tag === Tag.const_type ? 'const' : die.tag === Tag.volatile_type ? 'volatile' : die.tag === Tag.restrict_type ? 'restrict' : '_Atomic';
        return this.placeholder(die, { kind: 'qualified', qualifier, target: VOID }, (t) => { (t as { target: CType }).target = this.target(die); });
      }
      case Tag.array_type: {
        const counts = die.children.filter((c) => c.tag === Tag.subrange_type).map((s) => {
          const count = s.num(At.count);
          if (count !== undefined) return count;
          const upper = s.num(At.upper_bound);
          return upper === undefined ? undefined : upper - (s.num(At.lower_bound) ?? 0) + 1;
        });
        return this.placeholder(die, { kind: 'array', element: VOID, counts }, (t) => { (t as { element: CType }).element = this.target(die); });
      }
      case Tag.structure_type: case Tag.union_type: {
        const t: CType = { kind: die.tag === Tag.structure_type ? 'struct' : 'union', name: die.name, size: die.num(At.byte_size) ?? 0, members: [], declaration: die.flag(At.declaration) };
        this.cache.set(die.offset, t);
        for (const m of die.children) {
          if (m.tag !== Tag.member) continue;
          const member: Member = { name: m.name, offset: m.num(At.data_member_location) ?? 0, type: this.of(m.ref(At.type)) };
          const bitSize = m.num(At.bit_size);
          if (bitSize !== undefined) {
            member.bitSize = bitSize;
            const dataBitOffset = m.num(At.data_bit_offset);
            const msbOffset = m.num(At.bit_offset);
            if (dataBitOffset !== undefined) { member.offset = 0; member.bitOffset = dataBitOffset; }
            else if (msbOffset !== undefined) {
              // DWARF 2-4 DW_AT_bit_offset counts from the storage unit's most significant bit.
              const storageBits = (m.num(At.byte_size) ?? sizeOf(member.type)) * 8;
              member.bitOffset = member.offset * 8 + storageBits - msbOffset - bitSize;
              member.offset = 0;
            } else member.bitOffset = member.offset * 8;
          }
          t.members.push(member);
        }
        return t;
      }
      case Tag.enumeration_type: {
        const under = die.ref(At.type) ? this.target(die) : undefined;
        const signed = under ? isSigned(under) : die.children.some((e) => e.raw(At.const_value)?.kind === 'sdata' && (e.raw(At.const_value) as { value: bigint }).value < 0n);
        const enumerators = die.children.filter((e) => e.tag === Tag.enumerator).map((e) => {
          const v = e.raw(At.const_value);
          let value = v && (v.kind === 'udata' || v.kind === 'sdata') ? v.value : 0n;
          const size = die.num(At.byte_size) ?? 4;
          if (signed && v?.kind === 'udata') value = BigInt.asIntN(size * 8, value);
          return { name: e.name ?? '?', value };
        });
        return { kind: 'enum', name: die.name, size: die.num(At.byte_size) ?? 4, signed, enumerators };
      }
      case Tag.subroutine_type: {
        const t: CType = { kind: 'function', returns: VOID, params: [], varargs: false, prototyped: die.flag(At.prototyped) };
        this.cache.set(die.offset, t);
        t.returns = this.target(die);
        for (const p of die.children) {
          if (p.tag === Tag.formal_parameter) t.params.push(this.of(p.ref(At.type)));
          else if (p.tag === Tag.unspecified_parameters) t.varargs = true;
        }
        return t;
      }
      default:
        return VOID;
    }
  }

  private placeholder(die: Die, t: CType, fill: (t: CType) => void): CType {
    this.cache.set(die.offset, t);
    fill(t);
    return t;
  }
}

/** gcc names base types "long unsigned int"; debuggers (gdb) show the short C spelling. */
const SHORT_NAMES: Record<string, string> = {
  'long int': 'long', 'long unsigned int': 'unsigned long', 'short int': 'short',
  'short unsigned int': 'unsigned short', 'long long int': 'long long',
  'long long unsigned int': 'unsigned long long', '__int128 unsigned': 'unsigned __int128',
};
export function canonicalBaseName(name: string): string { return SHORT_NAMES[name] ?? name; }

function baseEncoding(e: number | undefined): BaseEncoding {
  switch (e) {
    case Encoding.signed: return 'signed';
    case Encoding.unsigned: return 'unsigned';
    case Encoding.float: return 'float';
    case Encoding.boolean: return 'bool';
    case Encoding.signed_char: return 'signed-char';
    case Encoding.unsigned_char: return 'unsigned-char';
    case Encoding.address: return 'address';
    case Encoding.UTF: return 'unsigned';
    default: return 'other';
  }
}

/** Strips typedefs and qualifiers. */
export function resolveType(t: CType): CType {
  while (t.kind === 'typedef' || t.kind === 'qualified') t = t.target;
  return t;
}

export function sizeOf(t: CType): number {
  const r = resolveType(t);
  switch (r.kind) {
    case 'void': return 1;
    case 'function': return 1;
    case 'array': return r.counts.reduce<number>((n, c) => n * (c ?? 0), sizeOf(r.element));
    case 'typedef': case 'qualified': return sizeOf(r.target);
    default: return r.size;
  }
}

export function isSigned(t: CType): boolean {
  const r = resolveType(t);
  return (r.kind === 'base' && (r.encoding === 'signed' || r.encoding === 'signed-char')) || (r.kind === 'enum' && r.signed);
}

/** C declarator syntax: `typeName(t)` is what gdb's `whatis` prints; with a name it declares it. */
export function typeName(t: CType, declarator = ''): string {
  switch (t.kind) {
    case 'void': return join('void', declarator);
    case 'base': return join(t.name, declarator);
    case 'typedef': return join(t.name, declarator);
    case 'struct': case 'union': return join(`${t.kind} ${t.name ?? '{...}'}`, declarator);
    case 'enum': return join(`enum ${t.name ?? '{...}'}`, declarator);
    case 'qualified': {
      const inner = t.target;
      // C qualifies an array's elements, not the array: gcc's "const (const char)[22]" reads "const char [22]".
      if (inner.kind === 'array') {
        const element = inner.element.kind === 'qualified' && inner.element.qualifier === t.qualifier ? inner.element : { kind: 'qualified' as const, qualifier: t.qualifier, target: inner.element };
        return typeName({ ...inner, element }, declarator);
      }
      // A qualified pointer takes the qualifier after the star ("char * const"), like gdb.
      // gdb writes an array suffix right after it: "const char * const[32]".
      if (inner.kind === 'pointer') return typeName(inner, ` ${t.qualifier}${declarator && !declarator.startsWith('[') ? ' ' : ''}${declarator}`);
      return `${t.qualifier} ${typeName(inner, declarator)}`;
    }
    case 'pointer': {
      const inner = t.target;
      const d = `*${declarator}`;
      return typeName(inner, inner.kind === 'array' || inner.kind === 'function' ? `(${d})` : d);
    }
    case 'array': {
      const dims = t.counts.map((c) => `[${c ?? ''}]`).join('');
      return typeName(t.element, `${declarator}${dims}`);
    }
    case 'function': {
      const params = t.params.map((p) => typeName(p));
      if (t.varargs) params.push('...');
      if (params.length === 0 && t.prototyped) params.push('void');
      return typeName(t.returns, `${declarator}(${params.join(', ')})`);
    }
  }
}

function join(base: string, declarator: string): string {
  return declarator ? `${base} ${declarator}` : base;
}
