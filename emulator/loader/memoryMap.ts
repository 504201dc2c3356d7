// The platform's fixed memory map and entry constants (docs/platform.md is the contract;
// change both together). The reserved-region tables are what the loader checks PT_LOAD
// segments against and how its errors name what a segment collides with.

export const MiB = 0x100000;

/** Default RAM size; the layout below needs at least MIN_RAM. */
export const DEFAULT_RAM = 64 * MiB;
export const MIN_RAM = 33 * MiB;

// Host-physical layout.
export const BOOT_INFO = 0x1000;
export const HOST_GDT = 0x2000;
export const HOST_PAGE_TABLES = 0x10000;     // PML4; PDPT, 4 PDs and the low PT follow
export const HOST_PAGE_TABLES_END = 0x20000; // exclusive: the region kept for them
export const HOST_STACK_TOP = 0x80000;
export const GUEST_RAM_BASE = 16 * MiB;
export const GUEST_RAM_SIZE = 16 * MiB;
export const FREE_BASE = 32 * MiB;

// Guest-physical layout (inside guest RAM).
export const GUEST_GDT = 0x1000;
export const GUEST_PML4 = 0x2000;
export const GUEST_PDPT = 0x3000;
export const GUEST_PD = 0x4000;
export const GUEST_STACK_TOP = 0x80000;

/** Both boot stacks are kept 64 KiB deep below their top. */
export const BOOT_STACK_SIZE = 0x10000;

/** Where the samples link both images, and where the loader's errors suggest linking one. */
export const IMAGE_BASE = 1 * MiB;

/** A range the loader fills or hands out; no PT_LOAD segment may overlap it. `end` is exclusive. */
export interface Region { start: number; end: number; name: string }

const PAGE = 0x1000;

/** Host-physical ranges the loader owns on a machine with `ramSize` bytes of RAM. */
export function hostReserved(ramSize: number): readonly Region[] {
  return [
    { start: 0, end: PAGE, name: 'the null page (not mapped by the host page tables)' },
    { start: BOOT_INFO, end: BOOT_INFO + PAGE, name: 'struct hc_boot_info' },
    { start: HOST_GDT, end: HOST_GDT + PAGE, name: 'the host GDT' },
    { start: HOST_PAGE_TABLES, end: HOST_PAGE_TABLES_END, name: 'the host page tables' },
    { start: HOST_STACK_TOP - BOOT_STACK_SIZE, end: HOST_STACK_TOP, name: 'the host boot stack' },
    { start: GUEST_RAM_BASE, end: GUEST_RAM_BASE + GUEST_RAM_SIZE, name: 'guest RAM' },
    { start: FREE_BASE, end: ramSize, name: 'the free memory handed to the host (free_base)' },
  ];
}

/** Guest-physical ranges the loader builds inside guest RAM. */
export const GUEST_RESERVED: readonly Region[] = [
  { start: GUEST_GDT, end: GUEST_GDT + PAGE, name: 'the guest GDT' },
  { start: GUEST_PML4, end: GUEST_PD + PAGE, name: 'the guest page tables' },
  { start: GUEST_STACK_TOP - BOOT_STACK_SIZE, end: GUEST_STACK_TOP, name: 'the guest boot stack' },
];

// Selectors.
export const HOST_CS = 0x08, HOST_DS = 0x10;
export const GUEST_CS = 0x08, GUEST_DS = 0x10;

export const BOOT_INFO_MAGIC = 0x49424348;   // "HCBI"
export const BOOT_INFO_VERSION = 1;
export const BOOT_INFO_SIZE = 104;
