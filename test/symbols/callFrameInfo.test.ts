// CFI against objdump's interpretation of .debug_frame/.eh_frame: the same FDEs, and at every
// row the same CFA rule and register rules.

import { DebugInfo } from '../../debug-adapter/symbols';
import { executeCfa, type CfaRule, type RegisterRule } from '../../debug-adapter/symbols/callFrameInfo';
import { X86_64_DWARF_REGS } from '../../debug-adapter/symbols/dwarfConstants';
import { compile, objdumpFrames, type Variant } from './toolchain';

const regName = (n: number): string => (n === 16 ? 'ra' : X86_64_DWARF_REGS[n] ?? `r${n}`);

/** A rule in objdump's frames-interp notation. */
function cfaText(c: CfaRule): string {
  return c.kind === 'register' ? `${regName(c.reg)}+${c.offset}` : 'exp';
}
function ruleText(r: RegisterRule | undefined): string {
  switch (r?.kind) {
    case undefined: case 'undefined': return 'u';
    case 'same': return 's';
    case 'offset': return `c${r.offset >= 0n ? '+' : ''}${r.offset}`;
    case 'valOffset': return `v${r.offset >= 0n ? '+' : ''}${r.offset}`;
    case 'register': return regName(r.reg);
    case 'expression': return 'exp';
    case 'valExpression': return 'vexp';
  }
}

describe.each(['sampleFlags', 'ehFrame', 'optimized'] as Variant[])('call frame information (%s build)', (variant) => {
  it('has objdump\'s FDEs with objdump\'s rows', () => {
    const elf = compile(variant);
    const info = DebugInfo.load(elf);
    const expected = objdumpFrames(elf);
    expect(expected.length).toBeGreaterThanOrEqual(3);
    expect(info.cfi.fdes.map((f) => `${f.low}..${f.high}`)).toEqual(expected.map((f) => `${f.low}..${f.high}`));
    expect(info.cfi.fdes.every((f) => f.source === (variant === 'sampleFlags' ? '.debug_frame' : '.eh_frame'))).toBe(true);
    info.cfi.fdes.forEach((fde, i) => {
      const rows = executeCfa(fde);
      const theirs = expected[i].rows;
      if (theirs.length === 0) {
        // objdump prints nothing for an FDE without instructions: the CIE's initial row applies.
        expect(rows.map((r) => `${cfaText(r.cfa)} ra=${ruleText(r.registers.get(16))}`)).toEqual(['rsp+8 ra=c-8']);
        return;
      }
      // objdump prints one row per location; a location advanced past without a rule change still gets a row.
      expect(rows.map((r) => r.location)).toEqual(theirs.map((r) => r.location));
      rows.forEach((row, j) => {
        const want = theirs[j];
        const got = [`cfa=${cfaText(row.cfa)}`, ...[...want.regs.keys()].map((col) => {
          const n = col === 'ra' ? 16 : X86_64_DWARF_REGS.indexOf(col as never);
          return `${col}=${ruleText(row.registers.get(n))}`;
        })];
        expect(got, `${variant} FDE ${i} row ${j}`).toEqual([`cfa=${want.cfa}`, ...[...want.regs].map(([k, v]) => `${k}=${v}`)]);
      });
    });
  });
});
