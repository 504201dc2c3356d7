// Source lines for trace addresses when no live session can answer (it ended, or none ran
// since the window opened): the ELFs and their DWARF are still on disk, so the adapter's own
// symbol reader answers, loaded once per pair of ELFs and kept until they change.

import { parseElf } from '../../emulator/loader/elf';
import { loadProgramSymbols } from '../../debug-adapter/dwarfProgram';
import type { FileAccess } from '../../debug-adapter/fileAccess';
import type { ProgramSymbols, Side } from '../../debug-adapter/programSymbols';

/** The launch attributes that name the programs (a resolved `hypercall` configuration). */
export interface ProgramPaths {
  guest: string;
  host: string;
  cwd: string;
}

export type SourceLine = { path: string; line: number };

export class OfflineSources {
  private loaded: { key: string; symbols: Promise<Record<Side, ProgramSymbols>> } | undefined;

  constructor(private readonly fs: FileAccess) {}

  /** The source line of `address` on `side`, or a sentence saying why there is none. */
  async sourceFor(paths: ProgramPaths, side: Side, address: bigint): Promise<SourceLine | { problem: string }> {
    const path = this.fs.resolve(paths.cwd, paths[side]);
    let symbols: ProgramSymbols;
    try {
      symbols = (await this.symbols(paths))[side];
    } catch (e) {
      this.loaded = undefined; // a fixed or rebuilt ELF gets another chance
      return { problem: `Cannot read the ${side} ELF ${path}: ${(e as Error).message}` };
    }
    const at = symbols.addressToLine(address);
    if (!at) return { problem: `The ${side} ELF ${path} has no source line for address 0x${address.toString(16)}.` };
    return { path: at.path, line: at.line };
  }

  /** Forget what was loaded (a session starts: the ELFs may have been rebuilt). */
  reset(): void {
    this.loaded = undefined;
  }

  private symbols(paths: ProgramPaths): Promise<Record<Side, ProgramSymbols>> {
    const key = JSON.stringify([paths.guest, paths.host, paths.cwd]);
    if (this.loaded?.key !== key) this.loaded = { key, symbols: this.load(paths) };
    return this.loaded.symbols;
  }

  private async load(paths: ProgramPaths): Promise<Record<Side, ProgramSymbols>> {
    const one = async (side: Side) => {
      const path = this.fs.resolve(paths.cwd, paths[side]);
      const bytes = await this.fs.readFile(path);
      return loadProgramSymbols({ path, bytes, elf: parseElf(bytes, path) }, this.fs, paths.cwd);
    };
    return { guest: await one('guest'), host: await one('host') };
  }
}
