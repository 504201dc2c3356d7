// Debugger display of C values: given a type and the value's bytes, the one-line text gdb
// would print (MI style: pointers as bare hex) and, for aggregates and pointers, descriptors
// of the children a Variables view can expand. Pure functions; memory access is injected.

import { resolveType, sizeOf, typeName, type CType } from './types';

export interface ChildDescriptor {
  name: string;
  type: CType;
  /** Where the child's bytes are: inside the parent's bytes, or at an address (pointer targets). */
  offset?: number;
  address?: bigint;
  bitSize?: number;
  bitOffset?: number;
}

export interface FormattedValue {
  value: string;
  type: string;
  /** Present when the value can be expanded. */
  children?: ChildDescriptor[];
  /** For pointers: the address they hold (a DAP memoryReference). */
  pointer?: bigint;
}

export interface FormatOptions {
  /** Reads target memory (for `char *` strings); omit to show bare addresses. */
  readMemory?: (address: bigint, size: number) => Uint8Array | null;
  /** Names an address as gdb does ("add", "chain+48": decimal offset), for pointers; undefined if no symbol holds it. */
  symbolize?: (address: bigint) => string | undefined;
  /** Elements shown in a summary before "..." (gdb's `print elements`, 200). */
  maxElements?: number;
  /** Per byte of `bytes`: nonzero = optimized out (values assembled from DWARF pieces). */
  unavailable?: Uint8Array;
}

const REPEAT_THRESHOLD = 10;   // gdb's `print repeats`

export function readUnsigned(bytes: Uint8Array, offset = 0, size = bytes.length - offset): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[offset + i] ?? 0);
  return v;
}

function readSigned(bytes: Uint8Array, offset: number, size: number): bigint {
  return BigInt.asIntN(size * 8, readUnsigned(bytes, offset, size));
}

/** C escape of one byte as gdb prints it inside quotes. */
function escapeChar(c: number, quote: string): string {
  switch (c) {
    case 7: return '\\a'; case 8: return '\\b'; case 9: return '\\t'; case 10: return '\\n';
    case 11: return '\\v'; case 12: return '\\f'; case 13: return '\\r'; case 27: return '\\033';
    case 0x5c: return '\\\\';
  }
  if (String.fromCharCode(c) === quote) return `\\${quote}`;
  if (c >= 0x20 && c < 0x7f) return String.fromCharCode(c);
  return `\\${c.toString(8).padStart(3, '0')}`;
}

function formatFloat(bytes: Uint8Array, offset: number, size: number): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, size);
  let v: number;
  let digits: number;
  if (size === 4) { v = view.getFloat32(0, true); digits = 9; }
  else if (size === 8) { v = view.getFloat64(0, true); digits = 17; }
  else return `<${size}-byte float>`;
  if (Number.isNaN(v)) {
    const bits = size === 4 ? BigInt(view.getUint32(0, true)) : view.getBigUint64(0, true);
    const mantissa = bits & (size === 4 ? 0x7fffffn : 0xfffffffffffffn);
    return `${bits >> BigInt(size * 8 - 1) ? '-' : ''}nan(0x${mantissa.toString(16)})`;
  }
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return formatG(v, digits);
}

/** printf's %.<digits>g. */
function formatG(v: number, digits: number): string {
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  let s = v.toExponential(digits - 1);
  const e = Number(s.slice(s.indexOf('e') + 1));
  if (e < -4 || e >= digits) {
    let [mant, ex] = s.split('e');
    if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
    const n = Number(ex);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  s = v.toFixed(Math.max(0, digits - 1 - e));
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

function isCharType(t: CType): boolean {
  const r = resolveType(t);
  return r.kind === 'base' && r.size === 1 && (r.encoding === 'signed-char' || r.encoding === 'unsigned-char');
}

/** Reads up to `limit` bytes of a C string in 16-byte chunks, stopping at the NUL or unreadable memory. */
function readCString(read: NonNullable<FormatOptions['readMemory']>, address: bigint, limit: number): Uint8Array | undefined {
  const parts: number[] = [];
  while (parts.length < limit) {
    const chunk = read(address + BigInt(parts.length), 16) ?? read(address + BigInt(parts.length), 1);
    if (!chunk || chunk.length === 0) break;
    for (const c of chunk) {
      parts.push(c);
      if (c === 0 || parts.length >= limit) return Uint8Array.from(parts);
    }
  }
  return parts.length > 0 ? Uint8Array.from(parts) : undefined;
}

function cString(bytes: Uint8Array, max: number): string {
  let s = '';
  let i = 0;
  for (; i < bytes.length && i < max; i++) {
    if (bytes[i] === 0) break;
    s += escapeChar(bytes[i], '"');
  }
  return `"${s}"${i >= max && bytes[i] !== 0 && i < bytes.length ? '...' : ''}`;
}

/**
 * gdb's char-array display: one trailing NUL is dropped; runs longer than the repeat threshold
 * become `'c' <repeats n times>` segments, the rest quoted C strings; whole runs are taken
 * until `max` characters are shown, then "..." if any are left.
 */
function charArray(bytes: Uint8Array, max: number): string {
  const data = bytes.length > 0 && bytes[bytes.length - 1] === 0 ? bytes.subarray(0, bytes.length - 1) : bytes;
  const segments: string[] = [];
  let quoted = '';
  let i = 0;
  while (i < data.length && i < max) {
    let j = i + 1;
    while (j < data.length && data[j] === data[i]) j++;
    if (j - i > REPEAT_THRESHOLD) {
      if (quoted) { segments.push(`"${quoted}"`); quoted = ''; }
      segments.push(`'${escapeChar(data[i], "'")}' <repeats ${j - i} times>`);
    } else {
      for (let k = i; k < j; k++) quoted += escapeChar(data[k], '"');
    }
    i = j;
  }
  if (quoted || segments.length === 0) segments.push(`"${quoted}"`);
  return segments.join(', ') + (i < data.length ? '...' : '');
}

export function formatValue(type: CType, bytes: Uint8Array, options: FormatOptions = {}, depth = 0): FormattedValue {
  const t = resolveType(type);
  const tname = typeName(type);
  const max = options.maxElements ?? 200;
  const gaps = options.unavailable;
  // Like gdb, a scalar with any byte optimized out is "<optimized out>"; aggregates show which parts are.
  const partial = gaps !== undefined && gaps.subarray(0, sizeOf(type)).some((u) => u !== 0);
  if (partial && t.kind !== 'struct' && t.kind !== 'union' && t.kind !== 'array') return { value: '<optimized out>', type: tname };
  const sub = (offset: number, size: number): FormatOptions => (gaps ? { ...options, unavailable: gaps.subarray(offset, offset + size) } : options);
  switch (t.kind) {
    case 'void': return { value: 'void', type: tname };
    case 'base': {
      const size = t.size;
      if (t.encoding === 'float') return { value: formatFloat(bytes, 0, size), type: tname };
      if (t.encoding === 'bool') { const v = readUnsigned(bytes, 0, size); return { value: v === 0n ? 'false' : v === 1n ? 'true' : v.toString(), type: tname }; }
      const signed = t.encoding === 'signed' || t.encoding === 'signed-char';
      const v = signed ? readSigned(bytes, 0, size) : readUnsigned(bytes, 0, size);
      if (isCharType(t)) return { value: `${v} '${escapeChar(Number(readUnsigned(bytes, 0, 1)), "'")}'`, type: tname };
      return { value: v.toString(), type: tname };
    }
    case 'enum': {
      const v = t.signed ? readSigned(bytes, 0, t.size) : readUnsigned(bytes, 0, t.size);
      const e = t.enumerators.find((x) => x.value === v);
      return { value: e ? e.name : v.toString(), type: tname };
    }
    case 'pointer': {
      const p = readUnsigned(bytes, 0, t.size);
      const hex = `0x${p.toString(16)}`;
      const target = resolveType(t.target);
      // gdb names pointers into symbols ("0x1030e0 <chain>", "<chain+48>") and shows char strings.
      const sym = p !== 0n ? options.symbolize?.(p) : undefined;
      const named = sym ? `${hex} <${sym}>` : hex;
      if (target.kind === 'function') return { value: named, type: tname, pointer: p };
      if (isCharType(t.target) && p !== 0n && options.readMemory) {
        const mem = readCString(options.readMemory, p, max + 1);
        if (mem) return { value: `${named} ${cString(mem, max)}`, type: tname, pointer: p };
      }
      const expandable = target.kind !== 'void' && p !== 0n;
      return {
        value: named, type: tname, pointer: p,
        children: expandable ? [{ name: '*', type: t.target, address: p }] : undefined,
      };
    }
    case 'array': {
      const [count, ...rest] = t.counts;
      const element: CType = rest.length > 0 ? { kind: 'array', element: t.element, counts: rest } : t.element;
      const esize = sizeOf(element);
      const n = count ?? 0;
      const children: ChildDescriptor[] = [];
      for (let i = 0; i < n; i++) children.push({ name: `[${i}]`, type: element, offset: i * esize });
      if (isCharType(element) && !partial) return { value: charArray(bytes.subarray(0, n), max), type: tname, children };
      // gdb's `print elements` counts a repeat block as `print repeats` elements.
      const parts: string[] = [];
      let i = 0;
      for (let shown = 0; i < n && shown < max;) {
        const slice = (k: number): Uint8Array => bytes.subarray(k * esize, (k + 1) * esize);
        let j = i + 1;
        while (j < n && equalBytes(slice(i), slice(j)) && !partial) j++;
        const text = depth > 4 ? '...' : formatValue(element, slice(i), sub(i * esize, esize), depth + 1).value;
        if (j - i > REPEAT_THRESHOLD) { parts.push(`${text} <repeats ${j - i} times>`); i = j; shown += REPEAT_THRESHOLD; }
        else { parts.push(text); i++; shown++; }
      }
      return { value: `{${parts.join(', ')}${i < n ? '...' : ''}}`, type: tname, children };
    }
    case 'struct': case 'union': {
      const children: ChildDescriptor[] = t.members.map((m, i) => ({
        name: m.name ?? `<anonymous ${i}>`, type: m.type, offset: m.offset,
        ...(m.bitSize !== undefined ? { bitSize: m.bitSize, bitOffset: m.bitOffset } : {}),
      }));
      const parts = t.members.map((m) => {
        const text = depth > 4 ? '...' : m.bitSize !== undefined
          ? bitfield(m.type, bytes, m.bitOffset ?? 0, m.bitSize)
          : formatValue(m.type, bytes.subarray(m.offset, m.offset + sizeOf(m.type)), sub(m.offset, sizeOf(m.type)), depth + 1).value;
        return m.name ? `${m.name} = ${text}` : text;
      });
      return { value: `{${parts.join(', ')}}`, type: tname, children };
    }
    case 'function':
      return { value: `{${tname}}`, type: tname };
    default:
      return { value: '?', type: tname };
  }
}

/** A bit-field member (DWARF 4 data_bit_offset / DWARF 2 style converted to a bit offset). */
function bitfield(type: CType, bytes: Uint8Array, bitOffset: number, bitSize: number): string {
  const raw = (readUnsigned(bytes, 0, bytes.length) >> BigInt(bitOffset)) & ((1n << BigInt(bitSize)) - 1n);
  const r = resolveType(type);
  const signed = (r.kind === 'base' && r.encoding === 'signed') || (r.kind === 'enum' && r.signed);
  const v = signed ? BigInt.asIntN(bitSize, raw) : raw;
  if (r.kind === 'enum') return r.enumerators.find((e) => e.value === v)?.name ?? v.toString();
  if (r.kind === 'base' && r.encoding === 'bool') return v === 0n ? 'false' : 'true';
  return v.toString();
}

/** Bytes of a bit-field child: formats it from the parent's bytes. */
export function formatBitfield(child: ChildDescriptor, parentBytes: Uint8Array): string {
  return bitfield(child.type, parentBytes, child.bitOffset ?? 0, child.bitSize ?? 0);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
