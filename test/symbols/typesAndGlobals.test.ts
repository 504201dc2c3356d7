// Types and static values against gdb without running the program: `whatis` and `output` of
// every global, `ptype` layout of the structs, `info scope` at every line address, and ELF
// symbols against `nm`.

import { DebugInfo, resolveType, typeName } from '../../debug-adapter/symbols';
import { checkGlobals, checkInfoScope, checkSymbols } from './staticChecks';
import { compile, gdb, type Variant } from './toolchain';

describe.each(['sampleFlags', 'dwarf4', 'optimized'] as Variant[])('types and globals match gdb (%s build)', (variant) => {
  let elf: string;
  let info: DebugInfo;
  beforeAll(() => { elf = compile(variant); info = DebugInfo.load(elf); });

  it('names every global\'s type as `whatis` does and prints its initial value as `output` does', () => {
    expect(info.globals().map((g) => g.name)).toEqual(expect.arrayContaining(['origin', 'counter', 'banner', 'greeting', 'chain', 'modes', 'callback', 'zeros', 'precise', 'tiny']));
    checkGlobals(elf, info);
  });

  it('lays out structs, unions and enums as `ptype` does', () => {
    const out = gdb(elf, ['ptype struct point', 'ptype struct flags', 'ptype struct node', 'ptype enum color']);
    const ptype = (name: string): string => {
      const t = resolveType(info.typeNamed(name)!);
      if (t.kind === 'enum') return `type = enum ${t.name} {${t.enumerators.map((e) => e.name).join(', ')}}`;
      if (t.kind !== 'struct' && t.kind !== 'union') throw new Error(`${name} is not a struct`);
      const body = t.members.map((m) => {
        const inner = resolveType(m.type);
        if ((inner.kind === 'union' || inner.kind === 'struct') && !inner.name) {
          return `    ${inner.kind} {\n${inner.members.map((x) => `        ${typeName(x.type, x.name)};`).join('\n')}\n    } ${m.name};`;
        }
        return `    ${typeName(m.type, m.name)}${m.bitSize !== undefined ? ` : ${m.bitSize}` : ''};`;
      });
      return `type = ${t.kind} ${t.name} {\n${body.join('\n')}\n}`;
    };
    const ours = ['struct point', 'struct flags', 'struct node', 'enum color'].map(ptype).join('\n');
    // gdb prints enumerators with explicit values as "GREEN = 5"; compare names only.
    expect(ours).toBe(out.trim().replace(/ = -?\d+/g, ''));
  });

  it('has the variables and locations of `info scope` at every line address of every function', () => {
    const addresses = [...new Set(info.lines.allRows.map((r) => r.address))].filter((a) => info.scopes.functionAt(a));
    expect(checkInfoScope(elf, info, addresses)).toBeGreaterThan(20);
  });

  it('finds every nm function and object symbol', () => {
    checkSymbols(elf, info);
  });
});
