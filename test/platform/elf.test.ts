// ELF64 reader: headers, segments, sections and symbols of gcc-built files, and the one
// sentence each kind of bad file gets.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertX86_64Executable, parseElf, PT_LOAD, SymbolType } from '../../emulator/loader/elf';
import { compileElf, gccLink, readBytes, tempDir } from './fixtures/compile';
import { runTool } from '../tools';

const SOURCE = `
int counter = 5;
static const char banner[] = "hello";
const char *volatile banner_ptr = banner;
int helper(int x) { return x * 3 + counter; }
__attribute__((section(".text.start"))) void _start(void) { counter = helper(banner[0]); for (;;) {} }
`;

describe('parseElf', () => {
  const dir = tempDir();
  const path = compileElf(dir, 'prog.elf', SOURCE);
  const bytes = readBytes(path);
  const elf = parseElf(bytes, 'prog.elf');

  it('reads the header like readelf does', () => {
    const readelf = runTool('readelf', ['-h', path], { encoding: 'utf8' });
    const entry = /Entry point address:\s+0x([0-9a-f]+)/.exec(readelf)![1];
    expect(elf.header.entry).toBe(BigInt('0x' + entry));
    expect(elf.header.machine).toBe(62);
    expect(elf.header.type).toBe(2);
    expect(() => assertX86_64Executable(elf)).not.toThrow();
  });

  it('lists the PT_LOAD segments readelf lists', () => {
    const readelf = runTool('readelf', ['-lW', path], { encoding: 'utf8' });
    const loads = [...readelf.matchAll(/^\s+LOAD\s+0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+)/gm)];
    const ours = elf.programHeaders.filter((p) => p.type === PT_LOAD);
    expect(ours.length).toBe(loads.length);
    ours.forEach((p, i) => {
      expect(p.offset).toBe(parseInt(loads[i][1], 16));
      expect(p.vaddr).toBe(BigInt('0x' + loads[i][2]));
      expect(p.paddr).toBe(BigInt('0x' + loads[i][3]));
      expect(p.filesz).toBe(parseInt(loads[i][4], 16));
      expect(p.memsz).toBe(parseInt(loads[i][5], 16));
    });
  });

  it('names sections and returns their bytes', () => {
    expect(elf.sections.map((s) => s.name)).toEqual(expect.arrayContaining(['.text', '.rodata', '.data', '.symtab', '.strtab', '.debug_info', '.debug_line']));
    const rodata = elf.section('.rodata')!;
    expect(new TextDecoder().decode(elf.sectionData(rodata))).toContain('hello');
    const dataSection = elf.section('.data')!;
    const data = elf.sectionData(dataSection);
    const counterOffset = Number(elf.symbol('counter')!.value - dataSection.addr);
    expect(new DataView(data.buffer, data.byteOffset).getInt32(counterOffset, true)).toBe(5);
  });

  it('reads the symbol table with types and finds functions by address', () => {
    const nm = runTool('nm', [path], { encoding: 'utf8' });
    const helperAddr = BigInt('0x' + /^([0-9a-f]+) T helper$/m.exec(nm)![1]);
    const helper = elf.symbol('helper')!;
    expect(helper.value).toBe(helperAddr);
    expect(helper.type).toBe(SymbolType.FUNC);
    expect(helper.size).toBeGreaterThan(0n);
    expect(elf.symbol('counter')!.type).toBe(SymbolType.OBJECT);
    expect(elf.symbolAt(helperAddr + 1n)?.name).toBe('helper');
    expect(elf.symbolAt(elf.header.entry)?.name).toBe('_start');
  });

  it('reads note entries as readelf -n does, padding each field to the section alignment', () => {
    // gcc's build-id note, and a section of our own with two entries whose name and descriptor need padding.
    const notes = gccLink(dir, 'notes.elf', `
      __asm__(".section .note.test, \\"a\\", @note\\n.balign 4\\n"
              ".long 6, 3, 7\\n.asciz \\"Owner\\"\\n.balign 4\\n.byte 1, 2, 3\\n.balign 4\\n"
              ".long 2, 0, 9\\n.asciz \\"X\\"\\n.balign 4\\n.text\\n");
      void _start(void) { for (;;) {} }`, ['-nostdlib', '-static', '-Wl,--build-id']);
    const readelf = runTool('readelf', ['-nW', notes], { encoding: 'utf8' });
    const buildId = /Build ID: ([0-9a-f]+)/.exec(readelf)![1];
    const entries = parseElf(readBytes(notes), 'notes.elf').notes;
    expect(entries.map((n) => [n.name, n.type, [...n.desc]])).toEqual([
      ['GNU', 3, [...Buffer.from(buildId, 'hex')]],
      ['Owner', 7, [1, 2, 3]],
      ['X', 9, []],
    ]);
  });

  describe('bad files get one sentence naming the file', () => {
    const bad = (name: string, data: Uint8Array) => () => { const e = parseElf(data, name); assertX86_64Executable(e); };
    const sentence = /^[A-Za-z0-9_.-]+ [^\n]*\.$/;

    it('not an ELF file', () => {
      expect(bad('guest.elf', new TextEncoder().encode('#!/bin/sh\necho hi\n'))).toThrow(/^guest\.elf is not an ELF file\.$/);
      expect(bad('empty.elf', new Uint8Array(0))).toThrow(/^empty\.elf is not an ELF file\.$/);
    });

    it('32-bit class', () => {
      const p32 = compileElf(dir, 'prog32.elf', SOURCE, { flags: ['-m32'] });
      expect(bad('prog32.elf', readBytes(p32))).toThrow(/^prog32\.elf is a 32-bit ELF file; a 64-bit \(ELFCLASS64\) file is needed\.$/);
    });

    it('wrong machine', () => {
      const copy = bytes.slice();
      copy[18] = 183; copy[19] = 0; // EM_AARCH64
      expect(bad('arm.elf', copy)).toThrow(/^arm\.elf is built for ELF machine 183, not x86-64 \(62\)\.$/);
    });

    it('relocatable object instead of an executable', () => {
      const obj = join(dir, 'obj.o');
      writeFileSync(join(dir, 'obj.c'), 'int f(void) { return 1; }\n');
      runTool('gcc', ['-c', '-o', obj, join(dir, 'obj.c')]);
      expect(bad('obj.o', readBytes(obj))).toThrow(/^obj\.o is a relocatable object, not a statically linked executable \(ET_EXEC\)\.$/);
    });

    it('truncated at every interesting place', () => {
      expect(bad('t.elf', bytes.subarray(0, 40))).toThrow(/^t\.elf is truncated: the ELF header is incomplete\.$/);
      const ph = elf.header.phoff + 10;
      expect(bad('t.elf', bytes.subarray(0, ph))).toThrow(/^t\.elf is truncated: its program headers extend past the end of the file\.$/);
      const load = elf.loadSegments[0];
      expect(bad('t.elf', bytes.subarray(0, load.offset + load.filesz - 1))).toThrow(/^t\.elf is truncated: /);
      expect(bad('t.elf', bytes.subarray(0, bytes.length - 8))).toThrow(/^t\.elf is truncated: its section headers extend past the end of the file\.$/);
    });

    it('every message is a single sentence', () => {
      for (const data of [new Uint8Array(3), bytes.subarray(0, 100)]) {
        try { bad('x.elf', data)(); } catch (e) { expect((e as Error).message).toMatch(sentence); }
      }
    });
  });
});
