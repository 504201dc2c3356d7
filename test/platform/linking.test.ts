// Guests linked the ways tutorials link them (plain `ld -Ttext=`, `-Ttext-segment=`, a linker
// script, `gcc -nostdlib -static`) each run under the sample host through hcdbg and print their
// console line; so does a host linked with plain `ld -Ttext=`. A guest whose segment lands on
// what the loader builds is refused with one sentence naming the structure and a link address,
// and that address works.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseElf } from '../../emulator/loader/elf';
import { buildSample, hostElf } from '../sample/sampleRun';
import { assembleAndLink, gccLink, readBytes, tempDir } from './fixtures/compile';
import { bundleHcdbg, runHcdbg } from './fixtures/hcdbg';
import { printerAsm } from './fixtures/programs';

const dir = tempDir();
const cli = join(dir, 'hcdbg.js');

beforeAll(async () => {
  buildSample();
  await bundleHcdbg(cli);
});

const asmGuest = (line: string) => printerAsm(line, 'hlt');

/** The guest in C, for the gcc driver's link. */
const cGuest = (line: string) => `
static void outb(unsigned short port, unsigned char v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
void _start(void) {
  for (const char *s = "${line}\\n"; *s; s++) outb(0x3f8, *s);
  for (;;) __asm__ volatile("hlt");
}
`;

const SCRIPT = `ENTRY(_start)
SECTIONS {
  . = 0x100000;
  .text : { *(.text*) }
  .rodata : { *(.rodata*) }
  .data : { *(.data*) }
  .bss : { *(.bss*) }
}
`;

/** Lowest p_paddr of the image's PT_LOAD segments. */
function lowestSegment(path: string): bigint {
  return parseElf(readBytes(path), path).loadSegments.reduce((m, s) => (s.paddr < m ? s.paddr : m), 2n ** 64n);
}

const run = (guest: string) => runHcdbg(cli, ['run', '--guest', guest, '--host', hostElf]);

describe('guests linked the ordinary way run under the sample host', () => {
  // [how, its console line, link it, lowest p_paddr the link gives (proves the layout is the one named)]
  const cases: [string, string, (line: string) => string, bigint][] = [
    // binutils' default -z separate-code: the ELF and program headers get a read-only PT_LOAD a page below -Ttext.
    ['ld -Ttext=0x100000', 'linked with ld -Ttext', (line) => assembleAndLink(dir, 'ttext.elf', asmGuest(line), ['-Ttext=0x100000']), 0xff000n],
    ['ld -Ttext-segment=0x200000', 'linked with ld -Ttext-segment', (line) => assembleAndLink(dir, 'tsegment.elf', asmGuest(line), ['-Ttext-segment=0x200000']), 0x200000n],
    ['ld -T <linker script>', 'linked with a linker script', (line) => {
      const script = join(dir, 'tutorial.ld');
      writeFileSync(script, SCRIPT);
      return assembleAndLink(dir, 'script.elf', asmGuest(line), ['-T', script]);
    }, 0x100000n],
    // gcc's default static base is 0x400000, with the headers segment there and the text a page above.
    ['gcc -nostdlib -static', 'linked by gcc -nostdlib -static', (line) => gccLink(dir, 'gcc.elf', cGuest(line), ['-nostdlib', '-static']), 0x400000n],
    // -Ttext moves only .text: the headers go a page below it, the GNU notes stay near 0x400000.
    ['gcc -ffreestanding -nostdlib -static -Wl,-Ttext=0x100000', 'linked by gcc with -Wl,-Ttext', (line) =>
      gccLink(dir, 'gcc-ttext.elf', cGuest(line), ['-ffreestanding', '-nostdlib', '-static', '-Wl,-Ttext=0x100000']), 0xff000n],
  ];
  it.each(cases)('%s', (_how, line, link, lowest) => {
    const guest = link(line);
    expect(lowestSegment(guest)).toBe(lowest);
    const r = run(guest);
    expect(r.stdout).toBe(`${line}\n`);
    expect(r.stderr).toContain('[host] hc-host: guest halted\n');
    expect(r.status).toBe(0);
  });
});

describe('a segment on what the loader builds', () => {
  it('is refused with the structure it collides with and an address that fits, and that address runs', () => {
    // -Ttext=0x80000: the text starts at the top of the guest boot stack, the headers segment (0x7f000) lies on it.
    const low = assembleAndLink(dir, 'stack.elf', asmGuest('moved off the stack'), ['-Ttext=0x80000']);
    const headers = parseElf(readBytes(low), 'stack.elf').loadSegments[0];
    expect(headers.paddr).toBe(0x7f000n);
    const r = run(low);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`hcdbg: stack.elf has a segment at guest-physical 0x7f000-0x${(0x7f000 + headers.memsz - 1).toString(16)} (only the ELF and program headers, which ld loads below the text by default) `
      + 'that collides with the guest boot stack at 0x70000-0x7ffff; link the image at another address, e.g. with the ld option -Ttext-segment=0x100000 (or . = 0x100000 in its linker script).\n');
    const option = r.stderr.match(/the ld option (-Ttext-segment=0x[0-9a-f]+)/)![1];
    const moved = run(assembleAndLink(dir, 'moved.elf', asmGuest('moved off the stack'), [option]));
    expect(moved.stdout).toBe('moved off the stack\n');
    expect(moved.status).toBe(0);
  });

  it('names the guest page tables for a guest linked into them', () => {
    const r = run(assembleAndLink(dir, 'tables.elf', asmGuest('x'), ['-z', 'noseparate-code', '-Ttext-segment=0x3000']));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^hcdbg: tables\.elf has a segment at guest-physical 0x3000-0x[0-9a-f]+ that collides with the guest page tables at 0x2000-0x4fff; .* -Ttext-segment=0x100000 /);
  });

  it('says a guest beyond guest RAM lies beyond it', () => {
    const r = run(assembleAndLink(dir, 'high.elf', asmGuest('x'), ['-Ttext-segment=0x1000000']));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^hcdbg: high\.elf has a segment at guest-physical 0x1000000-0x1000[0-9a-f]{3} \(only the ELF and program headers, .*\) that lies beyond guest RAM \(guest-physical 0x0-0xffffff\); .*-Ttext-segment=0x100000 /);
  });
});

describe('hosts linked the ordinary way', () => {
  const asmHost = printerAsm('host linked with ld -Ttext', 'poweroff');

  it('runs a host linked with ld -Ttext=0x100000 (headers segment at 0xff000)', () => {
    const host = assembleAndLink(dir, 'host-ttext.elf', asmHost, ['-Ttext=0x100000']);
    expect(lowestSegment(host)).toBe(0xff000n);
    const guest = assembleAndLink(dir, 'any-guest.elf', asmGuest('unused'), ['-Ttext=0x100000']);
    const r = runHcdbg(cli, ['run', '--guest', guest, '--host', host]);
    expect(r.stderr).toBe('[host] host linked with ld -Ttext\n');
    expect(r.status).toBe(0);
  });

  it('refuses a host linked onto the host page tables, naming them', () => {
    const host = assembleAndLink(dir, 'host-low.elf', asmHost, ['-Ttext=0x10000']);
    const guest = assembleAndLink(dir, 'any-guest.elf', asmGuest('unused'), ['-Ttext=0x100000']);
    const r = runHcdbg(cli, ['run', '--guest', guest, '--host', host]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^hcdbg: host-low\.elf has a segment at host-physical 0x10000-0x[0-9a-f]+ that collides with the host page tables at 0x10000-0x1ffff; link the image at another address, e\.g\. with the ld option -Ttext-segment=0x100000 \(or \. = 0x100000 in its linker script\)\.\n$/);
  });
});
