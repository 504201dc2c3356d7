// DWARF 5 forms gcc does not emit in a plain executable (strx*, addrx, implicit_const,
// line_strp, data16, ref_udata, rnglistx, loclistx and the unit base attributes), from the
// hand-written unit in fixtures/forms.s, against gdb's reading of the same file.

import { DebugInfo, typeName } from '../../debug-adapter/symbols';
import { checkInfoScope } from './staticChecks';
import { assemble, gdb, hex } from './toolchain';

describe('DWARF 5 indexed forms', () => {
  const elf = assemble('forms.s');
  const info = DebugInfo.load(elf);
  const fn = info.symbolNamed('formsfn')!;

  it('finds the function through strx3 and addrx, with a data8 high_pc', () => {
    expect(info.functionAt(fn.value + 5n)).toMatchObject({ name: 'formsfn', low: fn.value, high: fn.value + 14n, source: 'dwarf' });
  });

  it('sees gdb\'s variables at every address: rnglistx block ranges, loclistx lists, data16 constants', () => {
    const addresses = Array.from({ length: 14 }, (_, i) => fn.value + BigInt(i));
    expect(checkInfoScope(elf, info, addresses)).toBeGreaterThan(30);
  });

  it('decodes the location list entries gdb prints', () => {
    const out = gdb(elf, ['info scope formsfn']);
    const theirs = [...out.matchAll(/Range (0x[0-9a-f]+)-(0x[0-9a-f]+): (a variable in \$\w+|a complex DWARF expression:\s+0: DW_OP_fbreg -?\d+)/g)]
      .map((m) => `${m[1]}-${m[2]} ${m[3].replace(/\s+/g, ' ')}`);
    const counted = info.scopeAt(fn.value).variables.find((v) => v.name === 'counted')!;
    expect(counted.location.kind).toBe('list');
    const ours = counted.location.kind === 'list' ? counted.location.entries.map((e) => {
      const how = e.expr[0] === 0x50 ? 'a variable in $rax' : `a complex DWARF expression: 0: DW_OP_fbreg ${(e.expr[1] & 0x40 ? e.expr[1] - 0x80 : e.expr[1])}`;
      return `${hex(e.low)}-${hex(e.high)} ${how}`;
    }) : [];
    expect(ours).toEqual(theirs);
    expect(theirs).toHaveLength(2);
  });

  it('names the types gdb names (strx, implicit_const size, line_strp name)', () => {
    const out = gdb(elf, [`break *${hex(fn.value + 5n)}`, 'run', 'whatis wide', 'whatis counted', 'whatis arg', 'output wide']);
    const scope = info.scopeAt(fn.value + 5n);
    const names = ['wide', 'counted', 'arg'].map((n) => `type = ${typeName(scope.variables.find((v) => v.name === n)!.type)}`);
    expect(out.match(/^type = .*$/gm)).toEqual(names);
    const wide = scope.variables.find((v) => v.name === 'wide')!;
    // gdb prints __int128 constants in hex when they overflow 64 bits; compare the number.
    const value = info.formatVariable(wide, { registers: { rip: fn.value + 5n }, readMemory: () => null }).value;
    expect(BigInt(value)).toBe(BigInt(/(0x[0-9a-f]+|\d+)$/.exec(out.trim())![1]));
  });
});
