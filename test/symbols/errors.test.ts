// Bad input gets one clear sentence naming the file and the fault; executables without DWARF
// still give symbols and unwinding.

import { readFileSync } from 'node:fs';
import { DebugInfo } from '../../debug-adapter/symbols';
import { parseElf } from '../../emulator/loader/elf';
import { compile } from './toolchain';
import { runTool } from '../tools';

function patchSection(elf: string, section: string, patch: (bytes: Uint8Array) => void): Uint8Array {
  const bytes = new Uint8Array(readFileSync(elf));
  const parsed = parseElf(bytes, elf);
  const s = parsed.section(section)!;
  patch(bytes.subarray(s.offset, s.offset + s.size));
  return bytes;
}

describe('debug-info errors', () => {
  it('names a file that is not an ELF executable', () => {
    expect(() => DebugInfo.load(new TextEncoder().encode('#!/bin/sh\necho hi\n'), 'guest.sh')).toThrow('guest.sh is not an ELF file.');
  });

  it('names a file that cannot be read', () => {
    expect(() => DebugInfo.load('/nonexistent/guest.elf')).toThrow(/^Cannot read \/nonexistent\/guest\.elf: /);
  });

  it('names the file and section of truncated DWARF', () => {
    const bytes = patchSection(compile('sampleFlags'), '.debug_info', (s) => { s[0] = 0xf0; s[1] = 0xff; s[2] = 0xff; s[3] = 0x0f; });
    expect(() => DebugInfo.load(bytes, 'broken.elf')).toThrow('broken.elf .debug_info is truncated: the unit at 0x0 runs past the end of the section');
  });

  it('names an unsupported DWARF version', () => {
    const bytes = patchSection(compile('sampleFlags'), '.debug_info', (s) => { s[4] = 9; });
    expect(() => DebugInfo.load(bytes, 'future.elf')).toThrow('future.elf: .debug_info unit at 0x0 has unsupported DWARF version 9');
  });

  it('still names functions and unwinds by .eh_frame without debug info', () => {
    const elf = compile('ehFrame');
    const stripped = `${elf}.stripped`;
    runTool('strip', ['--strip-debug', '-o', stripped, elf]);
    const full = DebugInfo.load(elf);
    const info = DebugInfo.load(stripped);
    expect(info.hasDwarf).toBe(false);
    expect(info.lineAt(info.entry)).toBeUndefined();
    const add = info.symbolNamed('add')!;
    expect(info.functionAt(add.value + 4n)).toMatchObject({ name: 'add', low: add.value, source: 'symbol' });
    expect(info.describeAddress(add.value + 4n)).toBe('add+0x4');
    expect(info.cfi.fdes.map((f) => f.low)).toEqual(full.cfi.fdes.map((f) => f.low));
    // In add after `push rbp; mov rbp, rsp`: CFA = rbp+16, return address at CFA-8.
    const rbp = 0x7000n;
    const memory = new Map<bigint, bigint>([[rbp, 0x7100n], [rbp + 8n, 0x101234n]]);
    const read = (a: bigint, n: number): Uint8Array | null => {
      const v = memory.get(a);
      if (v === undefined || n !== 8) return null;
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, v, true);
      return b;
    };
    const caller = info.unwind({ registers: { rip: add.value + 4n, rsp: rbp, rbp }, readMemory: read })!;
    expect(caller).toMatchObject({ method: 'cfi', cfa: rbp + 16n, registers: { rip: 0x101234n, rsp: rbp + 16n, rbp: 0x7100n } });
  });
});
