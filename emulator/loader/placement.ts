// Where an image's PT_LOAD segments may go: anywhere in RAM (host) or guest RAM (guest) that
// the loader does not itself fill (memoryMap.ts). Guests and hosts linked the usual ways fit,
// including binutils' default -z separate-code layout, whose read-only segment of ELF and
// program headers lies a page below the text. A segment that does not fit gets one sentence
// naming it, what it collides with, and a link address that would fit.

import { SHF_ALLOC, type ElfFile, type ProgramHeader } from './elf';
import { IMAGE_BASE, type Region } from './memoryMap';

/** The address space an image is loaded into, as the error sentences describe it. */
export interface LoadSpace {
  /** "host-physical" or "guest-physical". */
  kind: string;
  /** "RAM" or "guest RAM": the space runs from 0 to `size`. */
  ramName: string;
  size: number;
  reserved: readonly Region[];
}

const PAGE = 0x1000;

/** Throws one sentence naming the file for the first segment that lies outside `space` or on a reserved region. */
export function checkPlacement(elf: ElfFile, space: LoadSpace): void {
  for (const seg of elf.loadSegments) {
    if (seg.memsz === 0) continue;
    const lo = seg.paddr, hi = seg.paddr + BigInt(seg.memsz);
    const problem = hi > BigInt(space.size)
      ? `lies beyond ${space.ramName} (${space.kind} ${range(0n, BigInt(space.size))})`
      : collision(lo, hi, space.reserved);
    if (!problem) continue;
    const what = headersOnly(elf, seg) ? ' (only the ELF and program headers, which ld loads below the text by default)' : '';
    throw new Error(`${elf.name} has a segment at ${space.kind} ${range(lo, hi)}${what} that ${problem}; ${advice(elf, space)}.`);
  }
}

function collision(lo: bigint, hi: bigint, reserved: readonly Region[]): string | undefined {
  const r = reserved.find((r) => lo < BigInt(r.end) && hi > BigInt(r.start));
  return r && `collides with ${r.name} at ${range(BigInt(r.start), BigInt(r.end))}`;
}

const range = (lo: bigint, end: bigint) => `0x${lo.toString(16)}-0x${(end - 1n).toString(16)}`;

/** A segment that starts at file offset 0 and holds no allocated section: just the headers. */
function headersOnly(elf: ElfFile, seg: ProgramHeader): boolean {
  if (seg.offset !== 0 || elf.sections.length === 0) return false;
  const end = seg.vaddr + BigInt(seg.memsz);
  return !elf.sections.some((s) => (s.flags & SHF_ALLOC) !== 0n && s.size > 0 && s.addr >= seg.vaddr && s.addr < end);
}

/** The linker option that moves the whole image to the first place it fits, 1 MiB preferred. */
function advice(elf: ElfFile, space: LoadSpace): string {
  const segments = elf.loadSegments.filter((s) => s.memsz > 0);
  const lo = segments.reduce((m, s) => (s.paddr < m ? s.paddr : m), segments[0].paddr) & ~BigInt(PAGE - 1);
  const starts = [IMAGE_BASE, 0, ...space.reserved.map((r) => r.end)].map((a) => BigInt(Math.ceil(a / PAGE) * PAGE));
  const base = starts.find((b) => segments.every((s) => {
    const at = s.paddr - lo + b, end = at + BigInt(s.memsz);
    return end <= BigInt(space.size) && !collision(at, end, space.reserved);
  }));
  if (base === undefined) {
    const hi = segments.reduce((m, s) => (s.paddr + BigInt(s.memsz) > m ? s.paddr + BigInt(s.memsz) : m), 0n);
    return `the image spans ${range(lo, hi)}, more than any free stretch of ${space.ramName} holds`;
  }
  const at = `0x${base.toString(16)}`;
  return `link the image at another address, e.g. with the ld option -Ttext-segment=${at} (or . = ${at} in its linker script)`;
}
