// The real sample ELFs (host hypervisor and guest, built by samples/hello-hypercall/Makefile
// with .debug_frame and DWARF 5): every static answer the adapter relies on, against readelf,
// objdump, nm and gdb.

import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DebugInfo } from '../../debug-adapter/symbols';
import { checkCfi, checkFunctionBreakpoints, checkGlobals, checkInfoScope, checkLinePlacements, checkLineRows, checkSymbols } from './staticChecks';
import { buildSample } from '../sample/sampleRun';

const SAMPLE = join(__dirname, '../../samples/hello-hypercall');

describe.each([
  ['host', ['host/x86.c', 'host/vmx.c']],
  ['guest', ['guest/user.c', 'guest/kernel.c']],
])('sample %s.elf', (side, sources) => {
  let elf: string;
  let info: DebugInfo;
  beforeAll(() => {
    const built = join(SAMPLE, 'build', `${side}.elf`);
    buildSample();
    // A private copy, so a rebuild of the sample while the tests run cannot split the oracles from us.
    elf = join(mkdtempSync(join(tmpdir(), 'symbols-sample-')), `${side}.elf`);
    copyFileSync(built, elf);
    info = DebugInfo.load(elf);
  });
  afterAll(() => rmSync(dirname(elf), { recursive: true, force: true }));

  it('has readelf\'s line rows and objdump\'s .debug_frame rules', () => {
    checkLineRows(elf, info);
    checkCfi(elf, info, '.debug_frame');
  });

  it('places line and function breakpoints where gdb does', () => {
    expect(checkLinePlacements(elf, info, sources.map((source) => join(SAMPLE, source)))).toBeGreaterThan(20);
    const names = [...new Set(info.scopes.functions.map((f) => f.name))];
    expect(names.length).toBeGreaterThan(10);
    checkFunctionBreakpoints(elf, info, names);
  });

  it('sees gdb\'s variables at every line address, its globals and nm\'s symbols', () => {
    // Every function entry and every third line address (the fixture tests take them all).
    const addresses = [...new Set(info.lines.allRows.map((r) => r.address))]
      .filter((a, i) => info.scopes.functionAt(a) && (i % 3 === 0 || info.scopes.functionAt(a)!.low === a));
    expect(checkInfoScope(elf, info, addresses)).toBeGreaterThan(50);
    checkGlobals(elf, info);
    checkSymbols(elf, info);
  });
});

describe('sample host.elf hypercall handler', () => {
  it('knows kvm_emulate_hypercall, its C variables and its callers\' frames', () => {
    const info = DebugInfo.load(join(SAMPLE, 'build/host.elf'));
    const bp = info.functionBreakpoint('kvm_emulate_hypercall')!;
    expect(info.lineAt(bp.address)!.file).toBe('./host/x86.c'); // -ffile-prefix-map: relative to the sample folder
    const names = info.scopeAt(bp.address).variables.map((v) => v.name);
    expect(names).toEqual(expect.arrayContaining(['vcpu', 'nr', 'a0', 'a1', 'a2', 'a3']));
    expect(info.cfi.fdes.some((f) => bp.address >= f.low && bp.address < f.high)).toBe(true);
  });
});
