// RAM in snapshots, copy-on-write between them: a snapshot keeps a page only if it is not all
// zero, and shares the previous snapshot's copy of every page that did not change since, so
// a snapshot costs the pages written in its interval. Comparisons run as memcmp (Node's
// Buffer) where available: most of RAM is zero, and a 64 KiB zero check is one call. Once a
// snapshot exists, the next compares only the pages written since (captureWrittenPages).

import type { PhysicalMemory } from '../memory/physical';

export const PAGE = 4096;
const CHUNK = 16 * PAGE;

/** Page number -> its contents; pages absent are all zero. Copies are never written after capture. */
export type Pages = ReadonlyMap<number, Uint8Array>;

const ZERO = new Uint8Array(CHUNK);

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

const isZero = (bytes: Uint8Array): boolean => equal(bytes, ZERO.subarray(0, bytes.length));

/** The pages of `memory` now, each copied: the first snapshot. `copied` counts their bytes. */
export function capturePages(memory: PhysicalMemory): { pages: Map<number, Uint8Array>; copied: number } {
  const bytes = ramView(memory);
  const pages = new Map<number, Uint8Array>();
  let copied = 0;
  for (let chunk = 0; chunk < memory.size; chunk += CHUNK) {
    const first = chunk / PAGE, count = Math.min(CHUNK, memory.size - chunk) / PAGE;
    if (isZero(bytes.subarray(chunk, chunk + count * PAGE))) continue;
    for (let p = first; p < first + count; p++) {
      const now = bytes.subarray(p * PAGE, (p + 1) * PAGE);
      if (!isZero(now)) { pages.set(p, Uint8Array.from(now)); copied += PAGE; }
    }
  }
  return { pages, copied };
}

/**
 * The pages of `memory` now, when it held exactly `clean` at the start of a record of written
 * pages (PhysicalMemory.takeWritten) and `written` is that record: only those pages are
 * compared, the others shared with `clean`; `copied` counts the bytes of new copies.
 */
export function captureWrittenPages(memory: PhysicalMemory, clean: Pages, written: readonly number[]): { pages: Map<number, Uint8Array>; copied: number } {
  const bytes = ramView(memory);
  const pages = new Map(clean);
  let copied = 0;
  for (const p of written) {
    if ((p + 1) * PAGE > memory.size) continue;
    const now = bytes.subarray(p * PAGE, (p + 1) * PAGE);
    const old = clean.get(p);
    if (old && equal(old, now)) continue;
    if (isZero(now)) pages.delete(p);
    else { pages.set(p, Uint8Array.from(now)); copied += PAGE; }
  }
  return { pages, copied };
}

/** Make `memory` hold `pages` again, writing only the pages that differ. */
export function restorePages(memory: PhysicalMemory, pages: Pages): void {
  const bytes = ramView(memory);
  for (let chunk = 0; chunk < memory.size; chunk += CHUNK) {
    const first = chunk / PAGE, count = Math.min(CHUNK, memory.size - chunk) / PAGE;
    let saved = false;
    for (let p = first; p < first + count && !saved; p++) saved = pages.has(p);
    if (!saved && isZero(bytes.subarray(chunk, chunk + count * PAGE))) continue;
    for (let p = first; p < first + count; p++) {
      const now = bytes.subarray(p * PAGE, (p + 1) * PAGE);
      const want = pages.get(p);
      if (want) { if (!equal(want, now)) now.set(want); } else if (!isZero(now)) now.fill(0);
    }
  }
}
