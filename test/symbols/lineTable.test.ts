// Line tables against readelf's decoded rows, and breakpoint placement against gdb's `break`.

import { DebugInfo } from '../../debug-adapter/symbols';
import { checkFunctionBreakpoints, checkLinePlacements, checkLineRows } from './staticChecks';
import { compile, SOURCES, type Variant } from './toolchain';

describe.each(['sampleFlags', 'ehFrame', 'dwarf4', 'optimized'] as Variant[])('line table (%s build)', (variant) => {
  let elf: string;
  let info: DebugInfo;
  beforeAll(() => { elf = compile(variant); info = DebugInfo.load(elf); });

  it('decodes every row readelf decodes and maps each address to its row', () => {
    checkLineRows(elf, info);
  });

  it('gives the maximal contiguous address range of a line for stepping', () => {
    for (const r of info.lines.allRows) {
      const range = info.lineRangeAt(r.address)!;
      expect(range.start <= r.address && r.address < range.end).toBe(true);
      for (const a of [range.start, range.end - 1n]) expect(info.lineAt(a)).toMatchObject({ file: range.file, line: range.line });
      for (const outside of [range.start - 1n, range.end]) {
        const l = info.lineAt(outside);
        expect(l?.line === range.line && l.file === range.file && info.lineRangeAt(outside)!.start === range.start).toBe(false);
      }
    }
  });
});

describe.each(['sampleFlags', 'dwarf4'] as Variant[])('breakpoint placement matches gdb (%s build)', (variant) => {
  it('for every line of program.c and helper.c', () => {
    const elf = compile(variant);
    expect(checkLinePlacements(elf, DebugInfo.load(elf), SOURCES)).toBeGreaterThan(30);
  });

  it('places function breakpoints after the prologue like gdb', () => {
    const elf = compile(variant);
    checkFunctionBreakpoints(elf, DebugInfo.load(elf), ['add', 'fold', 'depth', 'helper_scale', '_start', 'sys_exit']);
  });
});
