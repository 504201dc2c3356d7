// Queries over all line programs of one executable: address -> source line, source line ->
// breakpoint addresses (gdb's placement rules), and the address range of a line for stepping.

import type { LineRow, LineSequence } from './lineProgram';

export interface SourceLocation { file: string; line: number; column: number }
export interface LineRange extends SourceLocation { start: bigint; end: bigint }   // [start, end)
export interface LinePlacement { address: bigint; line: number }

/** Same file if the paths are equal or one is a path-suffix of the other ("t.c" vs "/src/t.c"). */
export function sameFile(a: string, b: string): boolean {
  if (a === b) return true;
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  return long.endsWith(short) && (short.startsWith('/') ? false : long[long.length - short.length - 1] === '/');
}

export class LineTable {
  /** Rows that start an address span (one per distinct address per sequence), in address order. */
  private readonly spans: Array<{ row: LineRow; end: bigint }> = [];
  private readonly rows: LineRow[] = [];

  constructor(readonly sequences: readonly LineSequence[]) {
    for (const seq of sequences) {
      for (let i = 0; i < seq.length; i++) {
        const row = seq[i];
        if (row.endSequence) continue;
        this.rows.push(row);
        const next = seq[i + 1];
        if (next.address === row.address) continue; // a later row at the same address wins
        this.spans.push({ row, end: next.address });
      }
    }
    this.spans.sort((a, b) => (a.row.address < b.row.address ? -1 : a.row.address > b.row.address ? 1 : 0));
  }

  /** Every decoded row (end_sequence rows excluded), for tools and tests. */
  get allRows(): readonly LineRow[] { return this.rows; }

  get files(): string[] { return [...new Set(this.rows.map((r) => r.file))]; }

  private spanIndex(address: bigint): number {
    let lo = 0, hi = this.spans.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.spans[mid].row.address <= address) lo = mid + 1; else hi = mid;
    }
    const i = lo - 1;
    return i >= 0 && address < this.spans[i].end ? i : -1;
  }

  lineAt(address: bigint): (SourceLocation & { address: bigint }) | undefined {
    const i = this.spanIndex(address);
    if (i < 0) return undefined;
    const { row } = this.spans[i];
    return { file: row.file, line: row.line, column: row.column, address: row.address };
  }

  /** End of the line-table entry holding `address` (the next row's address), as gdb's sal.end. */
  spanEnd(address: bigint): bigint | undefined {
    const i = this.spanIndex(address);
    return i < 0 ? undefined : this.spans[i].end;
  }

  /** Contiguous addresses around `address` that belong to the same file and line. */
  lineRangeAt(address: bigint): LineRange | undefined {
    const i = this.spanIndex(address);
    if (i < 0) return undefined;
    const { row } = this.spans[i];
    let first = i, last = i;
    const same = (j: number): boolean => this.spans[j].row.line === row.line && this.spans[j].row.file === row.file;
    while (first > 0 && this.spans[first - 1].end === this.spans[first].row.address && same(first - 1)) first--;
    while (last + 1 < this.spans.length && this.spans[last].end === this.spans[last + 1].row.address && same(last + 1)) last++;
    return { file: row.file, line: row.line, column: row.column, start: this.spans[first].row.address, end: this.spans[last].end };
  }

  /**
   * Where a breakpoint on `file:line` goes, as gdb places it: the is_stmt rows of that line,
   * or of the next line below that has code; the lowest address per block (blockOf groups
   * addresses by innermost scope); then `adjust` (prologue skipping) per address.
   */
  placements(file: string, line: number, blockOf: (a: bigint) => unknown, adjust: (a: bigint) => bigint): LinePlacement[] {
    const candidates = this.rows.filter((r) => r.isStmt && r.line >= line && sameFile(r.file, file));
    if (candidates.length === 0) return [];
    const best = candidates.reduce((m, r) => Math.min(m, r.line), Infinity);
    const addrs = [...new Set(candidates.filter((r) => r.line === best).map((r) => r.address))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const seen = new Set<unknown>();
    const out: LinePlacement[] = [];
    for (const a of addrs) {
      const block = blockOf(a);
      if (block !== undefined && seen.has(block)) continue;
      seen.add(block);
      const address = adjust(a);
      out.push({ address, line: address === a ? best : this.lineAt(address)?.line ?? best });
    }
    return out;
  }
}
