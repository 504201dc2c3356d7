// .debug_line: the line-number program header (DWARF 4 and 5, section 6.2.4) and its state
// machine (6.2.2, 6.2.5), producing the rows of the line table grouped by sequence.

import { Form } from './dwarfConstants';
import type { DwarfSections } from './dwarfSections';
import { ByteReader, stringAt } from './reader';

export interface LineRow {
  address: bigint;
  /** Full path of the source file (directory joined), as the debugger shows it. */
  file: string;
  line: number;
  column: number;
  isStmt: boolean;
  endSequence: boolean;
  prologueEnd: boolean;
  discriminator: number;
}

/** Rows of one sequence in address order; the last row has endSequence set. */
export type LineSequence = LineRow[];

export interface LineProgram { offset: number; version: number; files: string[]; sequences: LineSequence[] }

const DW_LNCT_path = 1;
const DW_LNCT_directory_index = 2;

function joinPath(dir: string | undefined, file: string): string {
  if (file.startsWith('/') || !dir) return file;
  return dir.endsWith('/') ? dir + file : `${dir}/${file}`;
}

/** Parses the line program at `offset`; `compDir` is the unit's DW_AT_comp_dir (DWARF 4 directory 0). */
export function parseLineProgram(s: DwarfSections, offset: number, compDir: string | undefined): LineProgram {
  const name = `${s.fileName} .debug_line`;
  const r = new ByteReader(s.line, offset, name);
  const { length, dwarf64 } = r.initialLength();
  const end = r.offset + length;
  if (end > s.line.length) throw new Error(`${name} is truncated: the program at 0x${offset.toString(16)} runs past the end of the section`);
  const version = r.u16();
  if (version < 2 || version > 5) throw new Error(`${name}: program at 0x${offset.toString(16)} has unsupported version ${version}`);
  let addressSize = 8;
  if (version >= 5) { addressSize = r.u8(); r.u8(); /* segment_selector_size */ }
  const headerLength = r.offsetOf(dwarf64);
  const programStart = r.offset + headerLength;
  const minInstLength = r.u8();
  if (version >= 4) r.u8(); // maximum_operations_per_instruction: 1 on x86
  const defaultIsStmt = r.u8() !== 0;
  const lineBase = r.i8();
  const lineRange = r.u8();
  const opcodeBase = r.u8();
  const stdLengths = [0];
  for (let i = 1; i < opcodeBase; i++) stdLengths.push(r.u8());

  const dirs: string[] = [];
  const files: string[] = [];
  if (version >= 5) {
    const readEntries = (): Array<{ path: string; dir: number }> => {
      const formats: Array<[number, number]> = [];
      const n = r.u8();
      for (let i = 0; i < n; i++) formats.push([r.ulebn(), r.ulebn()]);
      const count = r.ulebn();
      const out: Array<{ path: string; dir: number }> = [];
      for (let i = 0; i < count; i++) {
        const e = { path: '', dir: 0 };
        for (const [type, form] of formats) {
          const v = readLineForm(r, form, dwarf64, s);
          if (type === DW_LNCT_path && typeof v === 'string') e.path = v;
          else if (type === DW_LNCT_directory_index && typeof v === 'bigint') e.dir = Number(v);
        }
        out.push(e);
      }
      return out;
    };
    // Directory 0 is the compilation directory; the others may be relative to it.
    for (const d of readEntries()) dirs.push(dirs.length === 0 ? d.path : joinPath(dirs[0] || compDir, d.path));
    for (const f of readEntries()) files.push(joinPath(dirs[f.dir], f.path));
  } else {
    dirs.push(compDir ?? '');
    for (let d = r.cstring(); d !== ''; d = r.cstring()) dirs.push(joinPath(compDir, d));
    files.push(''); // DWARF 4 file numbers start at 1
    for (let f = r.cstring(); f !== ''; f = r.cstring()) {
      const dir = r.ulebn(); r.uleb(); r.uleb();
      files.push(joinPath(dirs[dir], f));
    }
  }

  r.offset = programStart;
  const sequences: LineSequence[] = [];
  let seq: LineRow[] = [];
  let address = 0n, file = 1, line = 1, column = 0, isStmt = defaultIsStmt;
  let prologueEnd = false, discriminator = 0;
  const reset = (): void => {
    address = 0n; file = 1; line = 1; column = 0; isStmt = defaultIsStmt;
    prologueEnd = false; discriminator = 0;
  };
  const emit = (endSequence: boolean): void => {
    seq.push({ address, file: files[file] ?? `<file ${file}>`, line, column, isStmt, endSequence, prologueEnd, discriminator });
    prologueEnd = false; discriminator = 0;
  };
  const minLen = BigInt(minInstLength);
  while (r.offset < end) {
    const op = r.u8();
    if (op >= opcodeBase) {                      // special opcode (6.2.5.1)
      const adjusted = op - opcodeBase;
      address += BigInt(Math.floor(adjusted / lineRange)) * minLen;
      line += lineBase + (adjusted % lineRange);
      emit(false);
      continue;
    }
    switch (op) {
      case 0: {                                  // extended opcode
        const len = r.ulebn();
        const next = r.offset + len;
        const sub = len > 0 ? r.u8() : 0;
        if (sub === 1) {                         // DW_LNE_end_sequence
          emit(true);
          sequences.push(seq);
          seq = [];
          reset();
        } else if (sub === 2) address = r.uSized(addressSize === 0 ? len - 1 : Math.min(addressSize, len - 1));
        else if (sub === 3 && version < 5) {      // DW_LNE_define_file
          const f = r.cstring(); const dir = r.ulebn();
          files.push(joinPath(dirs[dir], f));
        } else if (sub === 4) discriminator = r.ulebn();
        r.offset = next;
        break;
      }
      case 1: emit(false); break;                // DW_LNS_copy
      case 2: address += r.uleb() * minLen; break;
      case 3: line += r.slebn(); break;
      case 4: file = r.ulebn(); break;
      case 5: column = r.ulebn(); break;
      case 6: isStmt = !isStmt; break;
      case 7: break;                              // basic_block: not needed
      case 8: address += BigInt(Math.floor((255 - opcodeBase) / lineRange)) * minLen; break;
      case 9: address += BigInt(r.u16()); break;
      case 10: prologueEnd = true; break;
      case 11: break;                             // epilogue_begin
      case 12: r.uleb(); break;                   // set_isa
      default: for (let i = 0; i < stdLengths[op]; i++) r.uleb();
    }
  }
  return { offset, version, files, sequences };
}

function readLineForm(r: ByteReader, form: number, dwarf64: boolean, s: DwarfSections): string | bigint | undefined {
  switch (form) {
    case Form.string: return r.cstring();
    case Form.line_strp: return stringAt(s.lineStr, r.offsetOf(dwarf64), '.debug_line_str');
    case Form.strp: return stringAt(s.str, r.offsetOf(dwarf64), '.debug_str');
    case Form.udata: return r.uleb();
    case Form.data1: return BigInt(r.u8());
    case Form.data2: return BigInt(r.u16());
    case Form.data4: return BigInt(r.u32());
    case Form.data8: return r.u64();
    case Form.data16: r.bytesN(16); return undefined;   // MD5
    case Form.block: r.bytesN(r.ulebn()); return undefined;
    default: throw new Error(`${s.fileName} .debug_line: unsupported entry form 0x${form.toString(16)}`);
  }
}
