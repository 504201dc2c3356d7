// The adapter's C expression evaluator (conditions, logpoints, evaluate): precedence,
// 64-bit arithmetic, signed comparison, member access through variables, and its errors.

import { evaluateCondition, evaluateExpression, formatValue, type NameResolver } from '../../debug-adapter/expression';
import type { VariableNode } from '../../debug-adapter/programSymbols';

const point: VariableNode = {
  name: 'p', value: '{x = 3, y = -4}', address: 0x2000n, size: 8,
  children: () => [{ name: 'x', value: '3', numeric: 3n }, { name: 'y', value: '-4', numeric: -4n }],
};
const ptr: VariableNode = { name: 'pp', value: '0x2000', numeric: 0x2000n, memoryReference: 0x2000n, address: 0x3000n, children: () => [point] };
const arr: VariableNode = { name: 'a', value: '{7, 8}', children: () => [{ name: '[0]', value: '7', numeric: 7n }, { name: '[1]', value: '8', numeric: 8n }] };

const names: NameResolver = {
  lookup: (n) => ({ rax: 0x100n, nr: 0x10n, p: point, pp: ptr, a: arr } as Record<string, bigint | VariableNode>)[n],
  readU64: (a) => (a === 0x5000n ? 0x1122334455667788n : undefined),
};
const num = (text: string): bigint => evaluateExpression(text, names) as bigint;

describe('C expressions', () => {
  it('follows C precedence and 64-bit wrap-around', () => {
    expect(num('1 + 2 * 3')).toBe(7n);
    expect(num('(1 + 2) * 3')).toBe(9n);
    expect(num('1 << 4 | 1')).toBe(17n);
    expect(num('-1')).toBe(0xffffffffffffffffn);
    expect(num('~0 >> 60')).toBe(15n);
    expect(num('0x10 == nr && rax != 0')).toBe(1n);
    expect(num('7 / 2 + 7 % 2')).toBe(4n);
  });

  it('compares as signed 64-bit', () => {
    expect(evaluateCondition('-1 < 0', names)).toBe(true);
    expect(evaluateCondition('p.y < 0', names)).toBe(true);
  });

  it('reaches members, elements, pointees and addresses', () => {
    expect(num('p.x + pp->x + a[1]')).toBe(14n);
    expect(num('&p')).toBe(0x2000n);
    expect(num('&pp')).toBe(0x3000n);
    expect(num('*0x5000')).toBe(0x1122334455667788n);
    expect(num('$rax')).toBe(0x100n);
    expect(formatValue(evaluateExpression('p', names))).toBe('{x = 3, y = -4}');
    expect(formatValue(-2n & 0xffffffffffffffffn)).toBe('0xfffffffffffffffe (-2)');
  });

  it('says what is wrong', () => {
    expect(() => evaluateExpression('nope + 1', names)).toThrow('No variable, register or symbol is named nope.');
    expect(() => evaluateExpression('1 / 0', names)).toThrow('Division by zero.');
    expect(() => evaluateExpression('p.z', names)).toThrow('p has no member z.');
    expect(() => evaluateExpression('a[5]', names)).toThrow('a has no element [5].');
    expect(() => evaluateExpression('*0x10', names)).toThrow('Memory at 0x10 cannot be read.');
    expect(() => evaluateExpression('(1 + 2', names)).toThrow("Missing ')'.");
    expect(() => evaluateExpression('1 @ 2', names)).toThrow("Unexpected character '@' in the expression.");
    expect(() => evaluateExpression('p + 1', names)).toThrow('p is not a number (it is a compound value).');
  });
});
