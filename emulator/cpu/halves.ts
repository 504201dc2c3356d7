// A bigint's two 32-bit halves, modulo 2^64 (as a 64-bit register or VMCS field truncates),
// through a BigUint64Array: BigInt masks and shifts allocate a bigint each.

const WIDE = new BigUint64Array(1);
/** The low and high halves of the value last given to split(). */
export const HALVES = new Uint32Array(WIDE.buffer);

export function split(value: bigint): void { WIDE[0] = value; }
