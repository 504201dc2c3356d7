// ELF symbol lookups: address -> containing function or object (+offset), name -> address.
// Works without any DWARF, so stripped-of-debug-info executables still get names.

import type { SymbolInfo } from './elfSections';

export interface SymbolHit { symbol: SymbolInfo; offset: number }

export class SymbolTable {
  private readonly sorted: SymbolInfo[];
  private readonly byName = new Map<string, SymbolInfo>();

  constructor(symbols: readonly SymbolInfo[]) {
    this.sorted = symbols.filter((s) => s.kind !== 'other' && s.name !== '')
      .sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : b.size - a.size));
    // A global definition wins over a local one of the same name.
    for (const s of this.sorted) {
      const prev = this.byName.get(s.name);
      if (!prev || (!prev.global && s.global)) this.byName.set(s.name, s);
    }
  }

  get all(): readonly SymbolInfo[] { return this.sorted; }

  lookup(name: string): SymbolInfo | undefined { return this.byName.get(name); }

  /** The function or object whose [value, value+size) holds `address`; zero-sized symbols match only exactly. */
  at(address: bigint, kind?: 'function' | 'object'): SymbolHit | undefined {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid].value <= address) lo = mid + 1; else hi = mid;
    }
    // C symbols do not nest: only the closest start at or below `address` (and its aliases) can hold it.
    let start: bigint | undefined;
    for (let i = lo - 1; i >= 0; i--) {
      const s = this.sorted[i];
      if (kind && s.kind !== kind) continue;
      if (start !== undefined && s.value !== start) break;
      start = s.value;
      const offset = Number(address - s.value);
      if (offset < s.size || (s.size === 0 && offset === 0)) return { symbol: s, offset };
    }
    return undefined;
  }
}

/** "name+0x12" (or "name" at offset 0), the form debuggers and ftrace print. */
export function formatSymbolic(hit: SymbolHit): string {
  return hit.offset === 0 ? hit.symbol.name : `${hit.symbol.name}+0x${hit.offset.toString(16)}`;
}
