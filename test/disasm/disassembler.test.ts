// The disassembler against iced-x86 (an independent decoder and formatter, configured to our
// documented formatting choices): same length and same text for every instruction of real
// gcc-built machine code and of random valid encodings; plus branch symbolization.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { disassemble, disassembleOne } from '../../emulator/disasm/disassembler';
import { OPCODES, OpFlag } from '../../emulator/decoder/opcodeTable';
import { parseElf } from '../../emulator/loader/elf';
import { Rng } from '../differential/rng';
import { IcedReference } from './icedReference';
import { randomEncoding } from './randomEncodings';
import { runTool } from '../tools';

const ref = new IcedReference();
afterAll(() => ref.free());

interface Mismatch { offset: number; bytes: string; ours: string; iced: string }

/** Linear sweep over `code` with iced as the reference for instruction boundaries. */
function compareStream(code: Uint8Array, address: bigint): { count: number; mismatches: Mismatch[] } {
  const mismatches: Mismatch[] = [];
  let count = 0;
  for (let at = 0; at < code.length;) {
    const r = ref.decodeAt(code, at, address + BigInt(at));
    const ours = disassembleOne(code, at, address + BigInt(at));
    count++;
    if (r.length !== ours.length || r.text !== ours.text) {
      mismatches.push({ offset: at, bytes: Buffer.from(code.subarray(at, at + r.length)).toString('hex'), ours: `${ours.length} ${ours.text}`, iced: `${r.length} ${r.text}` });
    }
    at += r.valid ? r.length : 1;
  }
  return { count, mismatches };
}

function textSections(path: string): { name: string; bytes: Uint8Array; address: bigint }[] {
  const elf = parseElf(readFileSync(path), path);
  return elf.sections
    .filter((s) => (Number(s.flags) & 4 /* SHF_EXECINSTR */) !== 0 && s.size > 0n)
    .map((s) => ({ name: s.name, bytes: elf.sectionData(s), address: s.addr }));
}

describe('disassembler vs iced-x86 on gcc output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hcdbg-disasm-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const source = join(__dirname, 'fixtures', 'kernels.c');
  const builds: [string, string[]][] = [
    ['O0', ['-O0']], ['O2', ['-O2']], ['Os-popcnt-lzcnt-movbe', ['-Os', '-mpopcnt', '-mlzcnt', '-mmovbe']],
  ];
  for (const [label, flags] of builds) {
    it(`kernels.c built with gcc ${flags.join(' ')}`, () => {
      const object = join(dir, `kernels-${label}.o`);
      runTool('gcc', [...flags, '-mgeneral-regs-only', '-ffreestanding', '-fno-pic', '-mcx16', '-fcf-protection=full', '-c', source, '-o', object]);
      let total = 0;
      for (const s of textSections(object)) {
        const { count, mismatches } = compareStream(s.bytes, s.address);
        total += count;
        expect(mismatches, `${label} ${s.name}`).toEqual([]);
      }
      expect(total).toBeGreaterThan(label === 'O0' ? 400 : 200);
    });
  }

  const sampleDir = join(__dirname, '..', '..', 'samples', 'hello-hypercall', 'build');
  const samples = existsSync(sampleDir) ? readdirSync(sampleDir).filter((f) => f.endsWith('.elf')) : [];
  it('the sample ELFs (samples/hello-hypercall/build/*.elf)', () => {
    // npm test builds them first; missing ones mean the build step was skipped, not a pass.
    expect(samples, `no sample ELFs in ${sampleDir}: run npm run build first`).not.toEqual([]);
    for (const file of samples) {
      for (const s of textSections(join(sampleDir, file))) {
        const { count, mismatches } = compareStream(s.bytes, s.address);
        expect(count).toBeGreaterThan(0);
        expect(mismatches, `${file} ${s.name}`).toEqual([]);
      }
    }
  });
});

describe('disassembler vs iced-x86 on random valid encodings', () => {
  it('agrees on length and text for 40,000 encodings of every opcode-table row', () => {
    const rng = new Rng(2026);
    const mismatches: Mismatch[] = [];
    let compared = 0;
    for (let i = 0; i < 40_000; i++) {
      const bytes = randomEncoding(rng);
      const ours = disassembleOne(bytes, 0, 0x401000n);
      if (!ours.valid) continue; // only what our decoder accepts is disassembled
      const r = ref.decodeAt(bytes, 0, 0x401000n);
      compared++;
      if (r.length !== ours.length || r.text !== ours.text) {
        mismatches.push({ offset: i, bytes: Buffer.from(bytes.subarray(0, Math.max(r.length, ours.length))).toString('hex'), ours: `${ours.length} ${ours.text}`, iced: `${r.length} ${r.text}` });
      }
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(compared).toBeGreaterThan(30_000);
  });
});

describe('disassembler vs iced-x86 in 32-bit (compatibility) mode', () => {
  it('agrees on length and text for 20,000 random encodings without REX', () => {
    const rng = new Rng(32);
    const mismatches: Mismatch[] = [];
    let compared = 0;
    for (let i = 0; i < 20_000; i++) {
      const bytes = randomEncoding(rng, undefined, false);
      const ours = disassembleOne(bytes, 0, 0x401000n, { mode64: false });
      if (!ours.valid) continue;
      const r = ref.decodeAt(bytes, 0, 0x401000n, 32);
      compared++;
      if (r.length !== ours.length || r.text !== ours.text) {
        mismatches.push({ offset: i, bytes: Buffer.from(bytes.subarray(0, Math.max(r.length, ours.length))).toString('hex'), ours: `${ours.length} ${ours.text}`, iced: `${r.length} ${r.text}` });
      }
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(compared).toBeGreaterThan(15_000);
  });
});

describe('disassembler output', () => {
  it('symbolizes direct branch targets and absolute memory operands through the callback', () => {
    // call rel32 to 0x401010; jmp rel8 back to 0x401000; mov eax, [rip+0x100]
    const code = Uint8Array.from([0xe8, 0x0b, 0, 0, 0, 0xeb, 0xf9, 0x8b, 0x05, 0x00, 0x01, 0, 0]);
    const names = new Map([[0x401010n, 'helper'], [0x401000n, 'main'], [0x40110dn, 'counter']]);
    const lines = disassemble(code, 0x401000n, Infinity, { symbolize: (a) => names.get(a) });
    expect(lines.map((l) => l.text)).toEqual([
      'call 0x401010 <helper>', 'jmp 0x401000 <main>', 'mov eax, dword ptr [0x40110d <counter>]']);
    expect(lines.map((l) => l.branchTarget)).toEqual([0x401010n, 0x401000n, undefined]);
  });

  it('formats every opcode-table row (a new operand notation would show up here)', () => {
    const rng = new Rng(99);
    const unformatted = new Set<string>();
    for (const row of OPCODES) {
      for (let attempt = 0; attempt < 20; attempt++) {
        const bytes = randomEncoding(rng, row, !(row.flags & OpFlag.I64));
        const line = disassembleOne(bytes, 0, 0x1000n, { mode64: !(row.flags & OpFlag.I64) });
        if (!line.valid && line.text.includes('not supported')) unformatted.add(line.text);
      }
    }
    expect([...unformatted]).toEqual([]);
  });

  it('reports an undecodable byte as one-byte (bad) and continues', () => {
    const lines = disassemble(Uint8Array.from([0x0f, 0x0b, 0x06, 0x90]), 0x1000n);
    expect(lines.map((l) => [l.length, l.valid, l.text])).toEqual([[2, true, 'ud2'], [1, false, '(bad) .byte 6'], [1, true, 'nop']]);
  });

  it('decodes 32-bit compatibility-mode code when asked', () => {
    // inc eax (40 is INC in 32-bit mode, REX in 64-bit mode); push es
    expect(disassemble(Uint8Array.from([0x40, 0x06]), 0n, Infinity, { mode64: false }).map((l) => l.text)).toEqual(['inc eax', 'push es']);
  });
});
