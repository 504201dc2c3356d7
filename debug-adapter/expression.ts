// Simple C expressions for evaluate, breakpoint conditions, logpoints and exception-filter
// conditions: integer literals, names (locals, registers, globals, constants), member access
// (. -> []), unary - ! ~ * &, and the binary operators of C with C's precedence.
// Arithmetic is 64-bit two's complement; relational operators compare as signed 64-bit.

import type { VariableNode } from './programSymbols';

/** A value: a plain number, or a variable from the debug information (which may have members). */
export type ExprValue = bigint | VariableNode;

export interface NameResolver {
  /** A name in scope (without a leading `$`), or undefined. */
  lookup(name: string): ExprValue | undefined;
  /** 8 bytes at `address` in the frame's address space, for `*` on an untyped number. */
  readU64(address: bigint): bigint | undefined;
}

export class ExpressionError extends Error {}

type Token = { kind: 'num'; value: bigint } | { kind: 'id'; value: string } | { kind: 'op'; value: string } | { kind: 'end' };

const OPERATORS = ['<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '->', '+', '-', '*', '/', '%', '<', '>', '&', '|', '^', '!', '~', '(', ')', '[', ']', '.'];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    const num = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|\d+)[uUlL]*/.exec(text.slice(i));
    if (num) {
      const digits = num[1];
      tokens.push({ kind: 'num', value: /^0[bB]/.test(digits) ? BigInt('0b' + digits.slice(2)) : /^0\d/.test(digits) ? BigInt('0o' + digits.slice(1)) : BigInt(digits) });
      i += num[0].length;
      continue;
    }
    const id = /^\$?[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (id) { tokens.push({ kind: 'id', value: id[0] }); i += id[0].length; continue; }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (!op) throw new ExpressionError(`Unexpected character '${c}' in the expression.`);
    tokens.push({ kind: 'op', value: op });
    i += op.length;
  }
  tokens.push({ kind: 'end' });
  return tokens;
}

const BINARY_LEVELS: string[][] = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '>', '<=', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);

export function numberOf(value: ExprValue): bigint {
  if (typeof value === 'bigint') return value;
  if (value.numeric === undefined) throw new ExpressionError(`${value.name} is not a number (it is ${value.type ?? 'a compound value'}).`);
  return value.numeric;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[], private readonly names: NameResolver) {}

  parse(): ExprValue {
    const value = this.binary(0);
    const t = this.peek();
    if (t.kind !== 'end') throw new ExpressionError(`Unexpected '${t.kind === 'num' ? t.value : t.value}' after the end of the expression.`);
    return value;
  }

  private peek(): Token { return this.tokens[this.pos]; }
  private takeOp(...ops: string[]): string | undefined {
    const t = this.peek();
    if (t.kind === 'op' && ops.includes(t.value)) { this.pos++; return t.value; }
    return undefined;
  }

  private binary(level: number): ExprValue {
    if (level === BINARY_LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    for (let op = this.takeOp(...BINARY_LEVELS[level]); op; op = this.takeOp(...BINARY_LEVELS[level])) {
      const right = this.binary(level + 1);
      left = apply(op, numberOf(left), numberOf(right));
    }
    return left;
  }

  private unary(): ExprValue {
    const op = this.takeOp('-', '+', '!', '~', '*', '&');
    if (!op) return this.postfix();
    const operand = this.unary();
    switch (op) {
      case '-': return u64(-numberOf(operand));
      case '+': return numberOf(operand);
      case '!': return numberOf(operand) === 0n ? 1n : 0n;
      case '~': return u64(~numberOf(operand));
      case '&': {
        if (typeof operand === 'bigint' || operand.address === undefined) throw new ExpressionError('Only a variable in memory has an address.');
        return operand.address;
      }
      default: { // '*'
        if (typeof operand !== 'bigint') {
          const target = operand.children?.()[0];
          if (target) return target;
        }
        const address = numberOf(operand);
        const value = this.names.readU64(address);
        if (value === undefined) throw new ExpressionError(`Memory at 0x${address.toString(16)} cannot be read.`);
        return value;
      }
    }
  }

  private postfix(): ExprValue {
    let value = this.primary();
    for (;;) {
      const op = this.takeOp('.', '->', '[');
      if (!op) return value;
      if (typeof value === 'bigint') throw new ExpressionError(`'${op}' needs a variable with members, not a number.`);
      const children = value.children?.() ?? [];
      if (op === '[') {
        const index = numberOf(this.binary(0));
        if (!this.takeOp(']')) throw new ExpressionError("Missing ']'.");
        const element = children.find((c) => c.name === `[${index}]`);
        if (!element) throw new ExpressionError(`${value.name} has no element [${index}].`);
        value = element;
      } else {
        const t = this.peek();
        if (t.kind !== 'id') throw new ExpressionError(`A member name must follow '${op}'.`);
        this.pos++;
        // Through a pointer the members are those of the pointee, shown as the pointer's only child.
        const members = op === '->' && children.length === 1 && children[0].children ? children[0].children() : children;
        const member = members.find((c) => c.name === t.value) ?? children.find((c) => c.name === t.value);
        if (!member) throw new ExpressionError(`${value.name} has no member ${t.value}.`);
        value = member;
      }
    }
  }

  private primary(): ExprValue {
    const t = this.peek();
    this.pos++;
    if (t.kind === 'num') return t.value;
    if (t.kind === 'id') {
      const name = t.value.replace(/^\$/, '');
      const value = this.names.lookup(name);
      if (value === undefined) throw new ExpressionError(`No variable, register or symbol is named ${name}.`);
      return value;
    }
    if (t.kind === 'op' && t.value === '(') {
      const value = this.binary(0);
      if (!this.takeOp(')')) throw new ExpressionError("Missing ')'.");
      return value;
    }
    throw new ExpressionError(t.kind === 'end' ? 'The expression ends too early.' : `Unexpected '${t.value}'.`);
  }
}

function apply(op: string, a: bigint, b: bigint): bigint {
  const bool = (v: boolean): bigint => (v ? 1n : 0n);
  switch (op) {
    case '||': return bool(a !== 0n || b !== 0n);
    case '&&': return bool(a !== 0n && b !== 0n);
    case '|': return a | b;
    case '^': return a ^ b;
    case '&': return a & b;
    case '==': return bool(a === b);
    case '!=': return bool(a !== b);
    case '<': return bool(s64(a) < s64(b));
    case '>': return bool(s64(a) > s64(b));
    case '<=': return bool(s64(a) <= s64(b));
    case '>=': return bool(s64(a) >= s64(b));
    case '<<': return u64(a << (b & 63n));
    case '>>': return a >> (b & 63n);
    case '+': return u64(a + b);
    case '-': return u64(a - b);
    case '*': return u64(a * b);
    case '/': case '%':
      if (b === 0n) throw new ExpressionError('Division by zero.');
      return u64(op === '/' ? s64(a) / s64(b) : s64(a) % s64(b));
    default: throw new ExpressionError(`Unknown operator ${op}.`);
  }
}

export function evaluateExpression(text: string, names: NameResolver): ExprValue {
  if (text.trim() === '') throw new ExpressionError('The expression is empty.');
  return new Parser(tokenize(text), names).parse();
}

/** Truth of a condition, C style: non-zero is true. */
export function evaluateCondition(text: string, names: NameResolver): boolean {
  return numberOf(evaluateExpression(text, names)) !== 0n;
}

/** How evaluate shows a value: a variable's own formatting, or a number in hex and decimal. */
export function formatValue(value: ExprValue): string {
  if (typeof value !== 'bigint') return value.value;
  const signed = s64(value);
  return `0x${value.toString(16)} (${signed})`;
}
