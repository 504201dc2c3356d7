// RAM in snapshots, copy-on-write between them: a snapshot keeps a page only if it is not all
// zero, and shares the previous snapshot's copy of every page that did not change since. RAM
// starts all zero and PhysicalMemory records every page written since the snapshot last taken
// or restored (takeWritten), so taking a snapshot compares only those pages, and restoring one
// writes only those and the pages whose copies differ between the two snapshots: neither
// touches the rest of RAM. Comparisons run as memcmp (Node's Buffer) where available.

import type { PhysicalMemory } from '../memory/physical';

export const PAGE = 4096;

/** Page number -> its contents; pages absent are all zero. Copies are never written after capture. */
export type Pages = ReadonlyMap<number, Uint8Array>;

const ZERO = new Uint8Array(PAGE);

interface BufferLike extends Uint8Array { equals(other: Uint8Array): boolean }
const NodeBuffer = (globalThis as { Buffer?: { from(buffer: ArrayBufferLike, offset: number, length: number): BufferLike } }).Buffer;

/** RAM as a Node Buffer (its equals() is memcmp), or as it is elsewhere (VS Code for the Web). */
function ramView(memory: PhysicalMemory): Uint8Array {
  const b = memory.bytes;
  return NodeBuffer ? NodeBuffer.from(b.buffer, b.byteOffset, b.length) : b;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if ('equals' in a) return (a as BufferLike).equals(b);
  const x = new Int32Array(a.buffer, a.byteOffset, a.length >> 2), y = new Int32Array(b.buffer, b.byteOffset, b.length >> 2);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * The pages of `memory` now, when it held exactly `clean` at the start of its record of written
 * pages and `written` is that record: only those pages are compared, the others shared with
 * `clean`; `copied` counts the bytes of new copies.
 */
export function capturePages(memory: PhysicalMemory, clean: Pages, written: readonly number[]): { pages: Map<number, Uint8Array>; copied: number } {
  const bytes = ramView(memory);
  const pages = new Map(clean);
  let copied = 0;
  for (const p of written) {
    if ((p + 1) * PAGE > memory.size) continue;
    const now = bytes.subarray(p * PAGE, (p + 1) * PAGE);
    const old = clean.get(p);
    if (old && equal(old, now)) continue;
    if (equal(now, ZERO)) pages.delete(p);
    else { pages.set(p, Uint8Array.from(now)); copied += PAGE; }
  }
  return { pages, copied };
}

/**
 * Make `memory` hold `target` again, when it held exactly `clean` at the start of its record of
 * written pages and `written` is that record: a page neither written nor copied differently in
 * the two snapshots (the very same copy, or absent from both) already holds what it should.
 */
export function restorePages(memory: PhysicalMemory, clean: Pages, written: readonly number[], target: Pages): void {
  const bytes = ramView(memory);
  const restore = (p: number): void => {
    if ((p + 1) * PAGE > memory.size) return;
    const now = bytes.subarray(p * PAGE, (p + 1) * PAGE), want = target.get(p) ?? ZERO;
    if (!equal(want, now)) now.set(want);
  };
  for (const p of written) restore(p);
  for (const [p, copy] of clean) if (target.get(p) !== copy) restore(p);
  for (const p of target.keys()) if (!clean.has(p)) restore(p);
}
