// The boot protocol of docs/platform.md: load the host ELF at its physical addresses, build
// the host's GDT and identity page tables, write struct hc_boot_info, load the guest ELF into
// guest RAM with the guest's GDT, page tables and stack, and put the CPU in the host's
// 64-bit entry state. No BIOS: the loader plays firmware.

import { CpuState, Cr0, Cr4, Efer, Reg, Seg, SEG_ATTR_UNUSABLE, type Segment } from '../cpu/state';
import type { PhysicalMemory } from '../memory/physical';
import { assertX86_64Executable, parseElf, PF_X, type ElfFile } from './elf';
import { checkRole } from './imageRole';
import * as M from './memoryMap';
import { checkPlacement } from './placement';

export interface BootImages {
  hostElf: Uint8Array;
  guestElf: Uint8Array;
  /** Paths (or names) used in error messages; only the base name is shown. */
  hostPath: string;
  guestPath: string;
}

/** struct hc_boot_info as the loader wrote it. */
export interface BootInfo {
  memSize: bigint;
  freeBase: bigint;
  freeSize: bigint;
  guestMemBase: bigint;
  guestMemSize: bigint;
  guestEntry: bigint;
  guestRsp: bigint;
  guestCr3: bigint;
  guestGdtBase: bigint;
  guestGdtLimit: number;
  guestCs: number;
  guestDs: number;
  guestImageStart: bigint;
  guestImageEnd: bigint;
}

export interface BootResult { host: ElfFile; guest: ElfFile; bootInfo: BootInfo }

const IA32_FEATURE_CONTROL = 0x3a;

// Descriptor access bytes (SDM vol. 3A 3.4.5) with the accessed bit preset so loads need not write the GDT.
const CODE_DPL0 = 0x9b, DATA_DPL0 = 0x93, CODE_DPL3 = 0xfb, DATA_DPL3 = 0xf3;
const FLAGS_LONG = 0xa;   // G=1, L=1
const FLAGS_32 = 0xc;     // G=1, D/B=1

/** A flat (base 0, limit 4 GiB) code or data descriptor. */
function flatDescriptor(access: number, flags: number): bigint {
  return 0xffffn | (BigInt(access) << 40n) | (0xfn << 48n) | (BigInt(flags) << 52n);
}

/** The hidden part the CPU caches after loading a flat descriptor (VMCS access-rights layout). */
function flatSegment(selector: number, access: number, flags: number): Segment {
  return { selector, base: 0n, limit: 0xffffffff, attrs: access | (flags << 12) };
}

export function baseName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

/**
 * Load both images and set the host entry state. `memory` must be freshly allocated (all
 * zero): the loader writes only what it builds. Throws one-sentence Errors naming the file.
 */
export function boot(state: CpuState, memory: PhysicalMemory, images: BootImages): BootResult {
  if (memory.size < M.MIN_RAM) throw new Error(`The machine needs at least ${M.MIN_RAM / M.MiB} MiB of RAM for the boot layout, not ${memory.size / M.MiB} MiB.`);
  const host = parseElf(images.hostElf, baseName(images.hostPath));
  assertX86_64Executable(host);
  checkRole(host, 'host');
  const guest = parseElf(images.guestElf, baseName(images.guestPath));
  assertX86_64Executable(guest);
  checkRole(guest, 'guest');

  checkPlacement(host, { kind: 'host-physical', ramName: 'RAM', size: memory.size, reserved: M.hostReserved(memory.size) });
  checkPlacement(guest, { kind: 'guest-physical', ramName: 'guest RAM', size: M.GUEST_RAM_SIZE, reserved: M.GUEST_RESERVED });
  checkEntry(host);
  checkEntry(guest);

  loadSegments(memory, host, 0);
  const [guestImageStart, guestImageEnd] = loadSegments(memory, guest, M.GUEST_RAM_BASE);

  buildHostGdt(memory);
  buildHostPageTables(memory);
  buildGuestGdt(memory);
  buildGuestPageTables(memory);

  const bootInfo: BootInfo = {
    memSize: BigInt(memory.size),
    freeBase: BigInt(M.FREE_BASE),
    freeSize: BigInt(memory.size - M.FREE_BASE),
    guestMemBase: BigInt(M.GUEST_RAM_BASE),
    guestMemSize: BigInt(M.GUEST_RAM_SIZE),
    guestEntry: guest.header.entry,
    guestRsp: BigInt(M.GUEST_STACK_TOP),
    guestCr3: BigInt(M.GUEST_PML4),
    guestGdtBase: BigInt(M.GUEST_GDT),
    guestGdtLimit: GUEST_GDT_ENTRIES * 8 - 1,
    guestCs: M.GUEST_CS,
    guestDs: M.GUEST_DS,
    guestImageStart,
    guestImageEnd,
  };
  writeBootInfo(memory, bootInfo);
  setHostEntryState(state, host.header.entry);
  return { host, guest, bootInfo };
}

function checkEntry(elf: ElfFile): void {
  const entry = elf.header.entry;
  const inside = elf.loadSegments.some((s) => (s.flags & PF_X) !== 0 && entry >= s.vaddr && entry < s.vaddr + BigInt(s.memsz));
  if (!inside) throw new Error(`${elf.name} has its entry point 0x${entry.toString(16)} outside every executable segment.`);
}

/** Copy segments to `bias + p_paddr`, zero-filling the BSS part. Returns [lowest, highest+1) p_paddr. */
function loadSegments(memory: PhysicalMemory, elf: ElfFile, bias: number): [bigint, bigint] {
  let lo = BigInt(Number.MAX_SAFE_INTEGER), hi = 0n;
  for (const seg of elf.loadSegments) {
    const at = bias + Number(seg.paddr);
    memory.load(at, elf.segmentData(seg));
    memory.zero(at + seg.filesz, at + seg.memsz);
    if (seg.paddr < lo) lo = seg.paddr;
    if (seg.paddr + BigInt(seg.memsz) > hi) hi = seg.paddr + BigInt(seg.memsz);
  }
  return [lo, hi];
}

const HOST_GDT_ENTRIES = 5;   // null, code, data, 16-byte TSS slot
const GUEST_GDT_ENTRIES = 8;  // null, code, data, user code32, user data, user code64, 16-byte TSS slot

function buildHostGdt(memory: PhysicalMemory): void {
  memory.write64(M.HOST_GDT + 0x08, flatDescriptor(CODE_DPL0, FLAGS_LONG));
  memory.write64(M.HOST_GDT + 0x10, flatDescriptor(DATA_DPL0, FLAGS_32));
}

function buildGuestGdt(memory: PhysicalMemory): void {
  const gdt = M.GUEST_RAM_BASE + M.GUEST_GDT;
  memory.write64(gdt + 0x08, flatDescriptor(CODE_DPL0, FLAGS_LONG));
  memory.write64(gdt + 0x10, flatDescriptor(DATA_DPL0, FLAGS_32));
  memory.write64(gdt + 0x18, flatDescriptor(CODE_DPL3, FLAGS_32));
  memory.write64(gdt + 0x20, flatDescriptor(DATA_DPL3, FLAGS_32));
  memory.write64(gdt + 0x28, flatDescriptor(CODE_DPL3, FLAGS_LONG));
}

// Paging-structure entry bits (SDM vol. 3A 4.5).
const P = 1n, RW = 2n, US = 4n, PS = 0x80n;
const TWO_MiB = 2n * 1024n * 1024n;

/** Identity map of 0..4 GiB: 2 MiB pages except 4 KiB pages for the first 2 MiB with page 0 not present. */
function buildHostPageTables(memory: PhysicalMemory): void {
  const pml4 = M.HOST_PAGE_TABLES, pdpt = pml4 + 0x1000, pd0 = pml4 + 0x2000, pt = pml4 + 0x6000;
  memory.write64(pml4, BigInt(pdpt) | P | RW);
  for (let i = 0; i < 4; i++) {
    const pd = pd0 + i * 0x1000;
    memory.write64(pdpt + i * 8, BigInt(pd) | P | RW);
    for (let j = 0; j < 512; j++) memory.write64(pd + j * 8, BigInt(i * 512 + j) * TWO_MiB | P | RW | PS);
  }
  memory.write64(pd0, BigInt(pt) | P | RW);
  for (let k = 1; k < 512; k++) memory.write64(pt + k * 8, BigInt(k * 0x1000) | P | RW);
}

/** Identity map of guest-physical 0..1 GiB with user-accessible 2 MiB pages. */
function buildGuestPageTables(memory: PhysicalMemory): void {
  const base = M.GUEST_RAM_BASE;
  memory.write64(base + M.GUEST_PML4, BigInt(M.GUEST_PDPT) | P | RW | US);
  memory.write64(base + M.GUEST_PDPT, BigInt(M.GUEST_PD) | P | RW | US);
  for (let j = 0; j < 512; j++) memory.write64(base + M.GUEST_PD + j * 8, BigInt(j) * TWO_MiB | P | RW | US | PS);
}

function writeBootInfo(memory: PhysicalMemory, b: BootInfo): void {
  const a = M.BOOT_INFO;
  memory.write32(a + 0, M.BOOT_INFO_MAGIC);
  memory.write32(a + 4, M.BOOT_INFO_VERSION);
  memory.write64(a + 8, b.memSize);
  memory.write64(a + 16, b.freeBase);
  memory.write64(a + 24, b.freeSize);
  memory.write64(a + 32, b.guestMemBase);
  memory.write64(a + 40, b.guestMemSize);
  memory.write64(a + 48, b.guestEntry);
  memory.write64(a + 56, b.guestRsp);
  memory.write64(a + 64, b.guestCr3);
  memory.write64(a + 72, b.guestGdtBase);
  memory.write32(a + 80, b.guestGdtLimit);
  memory.write16(a + 84, b.guestCs);
  memory.write16(a + 86, b.guestDs);
  memory.write64(a + 88, b.guestImageStart);
  memory.write64(a + 96, b.guestImageEnd);
}

/** Read struct hc_boot_info back (tests, the debug adapter). */
export function readBootInfo(memory: PhysicalMemory): BootInfo {
  const a = M.BOOT_INFO;
  return {
    memSize: memory.read64(a + 8), freeBase: memory.read64(a + 16), freeSize: memory.read64(a + 24),
    guestMemBase: memory.read64(a + 32), guestMemSize: memory.read64(a + 40), guestEntry: memory.read64(a + 48),
    guestRsp: memory.read64(a + 56), guestCr3: memory.read64(a + 64), guestGdtBase: memory.read64(a + 72),
    guestGdtLimit: memory.read32(a + 80), guestCs: memory.read16(a + 84), guestDs: memory.read16(a + 86),
    guestImageStart: memory.read64(a + 88), guestImageEnd: memory.read64(a + 96),
  };
}

/** docs/platform.md "Host entry state". */
function setHostEntryState(state: CpuState, entry: bigint): void {
  state.gpr.fill(0n);
  state.gpr[Reg.RSP] = BigInt(M.HOST_STACK_TOP);
  state.gpr[Reg.RDI] = BigInt(M.BOOT_INFO);
  state.rip = entry;
  state.setRflags(0x2);
  state.cr0 = Cr0.PE | Cr0.MP | Cr0.ET | Cr0.NE | Cr0.WP | Cr0.PG;
  state.cr3 = BigInt(M.HOST_PAGE_TABLES);
  state.cr4 = Cr4.PAE;
  state.efer = Efer.SCE | Efer.LME | Efer.LMA | Efer.NXE;
  state.gdtr.base = BigInt(M.HOST_GDT);
  state.gdtr.limit = HOST_GDT_ENTRIES * 8 - 1;
  state.idtr.base = 0n;
  state.idtr.limit = 0;
  state.seg[Seg.CS] = flatSegment(M.HOST_CS, CODE_DPL0, FLAGS_LONG);
  for (const s of [Seg.DS, Seg.ES, Seg.SS, Seg.FS, Seg.GS]) state.seg[s] = flatSegment(M.HOST_DS, DATA_DPL0, FLAGS_32);
  state.seg[Seg.LDTR] = { selector: 0, base: 0n, limit: 0, attrs: SEG_ATTR_UNUSABLE };
  state.seg[Seg.TR] = { selector: 0, base: 0n, limit: 0xffff, attrs: 0x8b }; // busy 64-bit TSS, as after reset (SDM Table 9-1)
  state.msr.set(IA32_FEATURE_CONTROL, 0n);
}
