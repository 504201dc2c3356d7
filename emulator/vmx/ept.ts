// Extended page tables (SDM 29.3): 4-level translation of guest-physical addresses with
// read/write/execute permissions, 2-MByte and 1-GByte pages, accessed/dirty flags (29.3.5),
// EPT misconfigurations (29.3.3.1) and EPT violations (29.3.3.2) with the exit qualification
// of Table 28-7.

import { MAXPHYADDR } from './capabilities';
import { ExitReason } from './fields';
import { vmexit } from './exit';
import type { PhysicalMemory } from '../memory/physical';
import type { Vmx } from './vmx';

/* EPT paging-structure entry: 0 R, 1 W, 2 X, 5:3 memory type (leaf), 6 ignore PAT, 7 page size, 8 accessed, 9 dirty */
const R = 1, W = 2, X = 4, PAGE_SIZE = 0x80, ACCESSED = 0x100, DIRTY = 0x200;
/** Bits 51:MAXPHYADDR of an entry, as a mask on its high dword. */
const HIGH_RESERVED = ((1 << (52 - 32)) - 1) & ~((1 << (MAXPHYADDR - 32)) - 1);
const HIGH_ADDRESS = (1 << (MAXPHYADDR - 32)) - 1;
const TWO32 = 0x100000000;

/* Exit qualification for EPT violations (28.2.1, Table 28-7) */
const enum Qual {
  READ = 1 << 0, WRITE = 1 << 1, FETCH = 1 << 2, READABLE = 1 << 3, WRITABLE = 1 << 4, EXECUTABLE = 1 << 5,
  LINEAR_VALID = 1 << 7, TRANSLATED_ACCESS = 1 << 8,
}

function badMemoryType(entry: number): boolean {
  const t = (entry >> 3) & 7;
  return t === 2 || t === 3 || t === 7;
}

/** Result of one walk: a translation with the walk's entries, or where it stopped. */
type Walk =
  | { kind: 'mapped'; hpa: number; perms: number; entries: number[] }
  | { kind: 'not-present'; perms: 0 }
  | { kind: 'misconfigured' };

/** Walk the EPT paging structures rooted at `root` for `gpa`; no side effects. */
export function eptWalk(phys: PhysicalMemory, root: number, gpa: bigint): Walk {
  const g = Number(gpa);
  let table = root;
  let perms = R | W | X;
  const entries: number[] = [];
  for (let level = 4; level >= 1; level--) {
    const shift = 12 + 9 * (level - 1);
    const addr = table + (Math.floor(g / 2 ** shift) % 512) * 8;
    const lo = phys.read32(addr);
    const hi = phys.read32(addr + 4);
    const p = lo & 7;
    if (p === 0) return { kind: 'not-present', perms: 0 };
    const leaf = level === 1 || (level <= 3 && (lo & PAGE_SIZE) !== 0);
    const misconfigured = (p & (R | W)) === W || (hi & HIGH_RESERVED) !== 0 ||
      (level === 4 && (lo & 0xf8) !== 0) ||
      (!leaf && (lo & 0x78) !== 0) ||
      (leaf && badMemoryType(lo)) ||
      (leaf && level === 3 && (lo & 0x3ffff000) !== 0) ||
      (leaf && level === 2 && (lo & 0x1ff000) !== 0);
    if (misconfigured) return { kind: 'misconfigured' };
    perms &= p;
    entries.push(addr);
    const base = (hi & HIGH_ADDRESS) * TWO32 + ((lo & 0xfffff000) >>> 0);
    if (leaf) {
      const pageSize = 2 ** shift;
      return { kind: 'mapped', hpa: base - (base % pageSize) + (g % pageSize), perms, entries };
    }
    table = base;
  }
  throw new Error('unreachable: an EPT walk ends at level 1');
}

/**
 * Guest-physical `gpa` to host-physical, or a VM exit. With EPT off, guest-physical is host-physical.
 * `pagingStructure`: the access is to a guest paging-structure entry (treated as a write when A/D flags are on).
 */
export function eptTranslate(vmx: Vmx, gpa: bigint, access: 'read' | 'write' | 'execute', linear: bigint | undefined, pagingStructure: boolean): number {
  const c = vmx.controls;
  if (!c || !c.ept) return Number(gpa);
  const phys = vmx.cpu.phys;
  const write = access === 'write' || (pagingStructure && c.eptAccessedDirty);
  const walk = eptWalk(phys, c.eptRoot, gpa);
  if (walk.kind === 'misconfigured') vmexit(vmx, ExitReason.EPT_MISCONFIG, 0n, { guestPhysical: gpa });
  if (walk.kind === 'not-present') violation(vmx, gpa, access, write, 0, linear, pagingStructure);
  const needed = access === 'execute' ? X : write ? W : R;
  if ((walk.perms & needed) === 0) violation(vmx, gpa, access, write, walk.perms, linear, pagingStructure);
  for (const a of walk.entries) vmx.cpu.markPagingStructure(a);
  if (c.eptAccessedDirty) {
    for (const a of walk.entries) phys.write32(a, phys.read32(a) | ACCESSED);
    if (write) phys.write32(walk.entries[walk.entries.length - 1], phys.read32(walk.entries[walk.entries.length - 1]) | DIRTY);
  }
  return walk.hpa;
}

function violation(vmx: Vmx, gpa: bigint, access: 'read' | 'write' | 'execute', write: boolean, perms: number,
  linear: bigint | undefined, pagingStructure: boolean): never {
  let q = access === 'execute' ? Qual.FETCH : write ? Qual.WRITE : Qual.READ;
  q |= (perms & R ? Qual.READABLE : 0) | (perms & W ? Qual.WRITABLE : 0) | (perms & X ? Qual.EXECUTABLE : 0);
  if (linear !== undefined) q |= Qual.LINEAR_VALID | (pagingStructure ? 0 : Qual.TRANSLATED_ACCESS);
  vmexit(vmx, ExitReason.EPT_VIOLATION, BigInt(q), { guestPhysical: gpa, guestLinear: linear });
}
