// A bigint's two 32-bit halves, modulo 2^64 (as a 64-bit register or VMCS field truncates),
// through a BigUint64Array: BigInt masks and shifts allocate a bigint each. And back.

const WIDE = new BigUint64Array(1);
/** The low and high halves of the value last given to split(). */
export const HALVES = new Uint32Array(WIDE.buffer);

export function split(value: bigint): void { WIDE[0] = value; }

/** The unsigned 64-bit value of two 32-bit halves (one bigint made when the high half is 0). */
export function join(lo: number, hi: number): bigint { return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo); }
