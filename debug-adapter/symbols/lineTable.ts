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

/**
 * The rows a debugger keeps of one sequence (gdb's dwarf_record_line_p): a row repeating the
 * previous row's file and line is dropped when that line has a non-zero discriminator (gcc's
 * loop bodies), and line-0 rows are dropped; the end_sequence row is kept.
 */
function keptRows(seq: LineSequence): LineRow[] {
  const kept: LineRow[] = [];
  let lastLine = 0, lastFile = '', lineHasDiscriminator = false;
  for (const row of seq) {
    if (row.endSequence) { kept.push(row); break; }
    if (row.line === 0) continue;
    lineHasDiscriminator = row.line === lastLine ? lineHasDiscriminator || row.discriminator !== 0 : row.discriminator !== 0;
    if (row.file !== lastFile || row.line !== lastLine || !lineHasDiscriminator) kept.push(row);
    lastLine = row.line;
    lastFile = row.file;
  }
  return kept;
}

/**
 * Of several rows at one address, the one a debugger reports (gdb's find_pc_sect_line): the
 * last, unless it is not a statement; then the nearest statement row before it at that address,
 * reached over non-statement rows only.
 */
function representative(rows: LineRow[], last: number): LineRow {
  let i = last;
  while (i > 0 && !rows[i].isStmt && rows[i - 1].address === rows[i].address) i--;
  return rows[i].isStmt ? rows[i] : rows[last];
}

export class LineTable {
  /** Rows that start an address span (one per distinct address per sequence), in address order. */
  private readonly spans: Array<{ row: LineRow; end: bigint }> = [];
  private readonly rows: LineRow[] = [];
  /** The rows breakpoints and lookups use (see keptRows). */
  private readonly kept: LineRow[] = [];

  constructor(readonly sequences: readonly LineSequence[]) {
    for (const seq of sequences) {
      for (const row of seq) if (!row.endSequence) this.rows.push(row);
      const kept = keptRows(seq);
      for (let i = 0; i + 1 < kept.length; i++) {
        const row = kept[i];
        this.kept.push(row);
        const next = kept[i + 1];
        if (next.address === row.address) continue;
        this.spans.push({ row: representative(kept, i), end: next.address });
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
    const candidates = this.kept.filter((r) => r.isStmt && r.line >= line && sameFile(r.file, file));
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
