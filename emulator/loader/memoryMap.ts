// The platform's fixed memory map and entry constants (docs/platform.md is the contract;
// change both together).

export const MiB = 0x100000;

/** Default RAM size; the layout below needs at least MIN_RAM. */
export const DEFAULT_RAM = 64 * MiB;
export const MIN_RAM = 33 * MiB;

// Host-physical layout.
export const BOOT_INFO = 0x1000;
export const HOST_GDT = 0x2000;
export const HOST_PAGE_TABLES = 0x10000;     // PML4; PDPT, 4 PDs and the low PT follow
export const HOST_STACK_TOP = 0x80000;
export const HOST_IMAGE_START = 1 * MiB;
export const HOST_IMAGE_END = 16 * MiB;      // exclusive
export const GUEST_RAM_BASE = 16 * MiB;
export const GUEST_RAM_SIZE = 16 * MiB;
export const FREE_BASE = 32 * MiB;

// Guest-physical layout (inside guest RAM).
export const GUEST_GDT = 0x1000;
export const GUEST_PML4 = 0x2000;
export const GUEST_PDPT = 0x3000;
export const GUEST_PD = 0x4000;
export const GUEST_STACK_TOP = 0x80000;
export const GUEST_IMAGE_START = 1 * MiB;    // guest segments must lie in [1 MiB, 16 MiB)

// Selectors.
export const HOST_CS = 0x08, HOST_DS = 0x10;
export const GUEST_CS = 0x08, GUEST_DS = 0x10;

export const BOOT_INFO_MAGIC = 0x49424348;   // "HCBI"
export const BOOT_INFO_VERSION = 1;
export const BOOT_INFO_SIZE = 104;
