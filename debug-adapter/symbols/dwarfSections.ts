// The DWARF sections of one executable, fetched once by name. Missing sections are empty.

import type { ElfImage } from './elfSections';

export interface DwarfSections {
  readonly fileName: string;
  readonly info: Uint8Array;
  readonly abbrev: Uint8Array;
  readonly str: Uint8Array;
  readonly lineStr: Uint8Array;
  readonly strOffsets: Uint8Array;
  readonly addr: Uint8Array;
  readonly line: Uint8Array;
  readonly rnglists: Uint8Array;
  readonly loclists: Uint8Array;
  /** DWARF 4 range and location lists. */
  readonly ranges: Uint8Array;
  readonly loc: Uint8Array;
  readonly frame: Uint8Array;
  readonly ehFrame: Uint8Array;
  readonly ehFrameAddress: bigint;
}

export function dwarfSections(elf: ElfImage): DwarfSections {
  const get = (n: string): Uint8Array => elf.section(n) ?? new Uint8Array(0);
  return {
    fileName: elf.name,
    info: get('.debug_info'), abbrev: get('.debug_abbrev'), str: get('.debug_str'),
    lineStr: get('.debug_line_str'), strOffsets: get('.debug_str_offsets'), addr: get('.debug_addr'),
    line: get('.debug_line'), rnglists: get('.debug_rnglists'), loclists: get('.debug_loclists'),
    ranges: get('.debug_ranges'), loc: get('.debug_loc'),
    frame: get('.debug_frame'), ehFrame: get('.eh_frame'),
    ehFrameAddress: elf.sectionAddress('.eh_frame') ?? 0n,
  };
}
