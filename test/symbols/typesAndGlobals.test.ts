// Types and static values against gdb without running the program: `whatis` of every global and
// of every variable in every function scope, `ptype` layout of the structs, `print` of every
// global from the executable's initialised data, and ELF symbols against `nm`.

import { execFileSync } from 'node:child_process';
import { DebugInfo, readUnsigned, resolveType, sizeOf, typeName, type FrameState } from '../../debug-adapter/symbols';
import { compile, gdb, hex, type Variant } from './toolchain';

describe.each(['sampleFlags', 'dwarf4', 'optimized'] as Variant[])('types and globals match gdb (%s build)', (variant) => {
  let elf: string;
  let info: DebugInfo;
  beforeAll(() => { elf = compile(variant); info = DebugInfo.load(elf); });

  it('names every global\'s type as `whatis` does and prints its initial value as `print` does', () => {
    const globals = info.globals();
    expect(globals.map((g) => g.name)).toEqual(expect.arrayContaining(['origin', 'counter', 'banner', 'greeting', 'chain', 'modes', 'callback', 'zeros']));
    const out = gdb(elf, globals.flatMap((g) => [`whatis ${g.name}`, `output ${g.name}`, 'echo \\n']));
    const lines = out.trim().split('\n');
    const frame: FrameState = { registers: {}, readMemory: (a, n) => info.elf.readStatic(a, n) ?? null };
    globals.forEach((g, i) => {
      expect(`type = ${typeName(g.type)}`, g.name).toBe(lines[2 * i]);
      // `output` prefixes pointers with their type, "(int *) 0x...": MI style (ours) leaves it out.
      const printed = lines[2 * i + 1];
      const prefix = `(${typeName(g.type)}) `;
      expect(info.formatVariable(g, frame).value, g.name).toBe(printed.startsWith(prefix) ? printed.slice(prefix.length) : printed);
    });
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
    const out = gdb(elf, addresses.map((a) => `info scope *${hex(a)}`));
    const theirs = new Map<string, string[]>();
    for (const chunk of out.split(/^Scope for \*/m).slice(1)) {
      const address = chunk.slice(0, chunk.indexOf(':'));
      const symbols: string[] = [];
      for (const m of chunk.matchAll(/^Symbol (\w+) is ([\s\S]*?)(?:, length (\d+))?\.$/gm)) {
        const d = m[2];
        // gdb files an inlined function's own symbol inside its block; it is not a variable.
        if (d.startsWith('a function at address')) continue;
        const how = /DW_OP_fbreg (-?\d+)\s*$/.exec(d) ? `fbreg ${/DW_OP_fbreg (-?\d+)/.exec(d)![1]}`
          : /^static storage at address (0x[0-9a-f]+)/.exec(d) ? `static ${/(0x[0-9a-f]+)/.exec(d)![1]}`
          : /^a variable in \$(\w+)/.exec(d) ? `reg ${/\$(\w+)/.exec(d)![1]}`
          : d.startsWith('multi-location') ? 'multi' : d.startsWith('optimized out') ? 'optimized out'
          : /^a constant with value (-?\d+)/.exec(d) ? `constant ${/(-?\d+)/.exec(d)![1]}`
          : /complex DWARF expression/.test(d) ? [...d.matchAll(/\d+: (DW_OP_\w+(?: \S+)?)/g)].map((x) => x[1]).join('; ') : d;
        symbols.push(`${m[1]} ${how} ${m[3] ?? ''}`.trim());
      }
      theirs.set(address, symbols.sort());
    }
    expect(theirs.size).toBe(addresses.length);
    const regNames = ['rax', 'rdx', 'rcx', 'rbx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
    let compared = 0;
    for (const a of addresses) {
      const blocks = info.scopes.blocksAt(a);
      const visible = blocks.slice(0, blocks.findIndex((b) => b.kind !== 'block') + 1).flatMap((b) => b.variables);
      const ours = visible.map((v) => {
        const l = v.location;
        const size = sizeOf(v.type);
        let how: string;
        if (l.kind === 'list') how = 'multi';
        else if (l.kind === 'none') return `${v.name} optimized out`;
        else if (l.kind === 'constant') how = `constant ${typeof l.value === 'bigint' ? BigInt.asIntN(size * 8, l.value) : 'block'}`;
        else if (l.expr[0] === 0x91) how = `fbreg ${sleb(l.expr.subarray(1))}`;
        else if (l.expr[0] === 0x03 && l.expr.length === 9) how = `static ${hex(readUnsigned(l.expr.subarray(1, 9)))}`;
        else if (l.expr[0] >= 0x50 && l.expr[0] <= 0x5f) how = `reg ${regNames[l.expr[0] - 0x50]}`;
        else how = disassemble(l.expr);
        return `${v.name} ${how} ${size}`;
      }).sort();
      expect(ours, `info scope *${hex(a)}`).toEqual(theirs.get(hex(a)));
      compared += ours.length;
    }
    expect(compared).toBeGreaterThan(20);
  });

  it('finds every nm function and object symbol', () => {
    const nm = execFileSync('nm', ['--defined-only', elf], { encoding: 'utf8' });
    let checked = 0;
    for (const line of nm.split('\n')) {
      const m = /^([0-9a-f]+) ([TtDdBbRr]) (\w+)$/.exec(line);
      if (!m) continue;
      const sym = info.symbolNamed(m[3]);
      if (!sym || sym.kind === 'other') continue;
      expect(hex(sym.value), m[3]).toBe(hex(BigInt('0x' + m[1])));
      expect(info.describeAddress(sym.value)).toBe(m[3]);
      if (sym.size > 1) expect(info.describeAddress(sym.value + 1n)).toBe(`${m[3]}+0x1`);
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });
});

function sleb(bytes: Uint8Array): bigint {
  let v = 0n, shift = 0n, i = 0, b: number;
  do { b = bytes[i++]; v |= BigInt(b & 0x7f) << shift; shift += 7n; } while (b & 0x80);
  return b & 0x40 ? v - (1n << shift) : v;
}

/** The few DWARF operations gcc uses in these programs, in gdb's spelling. */
function disassemble(expr: Uint8Array): string {
  const ops: string[] = [];
  for (let i = 0; i < expr.length;) {
    const op = expr[i++];
    if (op === 0x03) { ops.push(`DW_OP_addr ${hex(readUnsigned(expr.subarray(i, i + 8)))}`); i += 8; }
    else if (op === 0x9f) ops.push('DW_OP_stack_value');
    else if (op >= 0x30 && op <= 0x4f) ops.push(`DW_OP_lit${op - 0x30}`);
    else return `bytes ${[...expr].join(',')}`;
  }
  return ops.join('; ');
}
