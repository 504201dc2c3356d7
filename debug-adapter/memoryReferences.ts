// Memory and instruction references handed to the client. Host and guest are both linked at
// 1 MiB, so an address alone is ambiguous: a plain "0x..." means the side shown on top of the
// call stack (VS Code's disassembly and memory views use these as they are), and
// "host:0x..." / "guest:0x..." name the other side explicitly.

import type { Side } from './programSymbols';

export interface MemoryRef { side?: Side; address: bigint }

export function parseReference(text: string): MemoryRef | undefined {
  const m = /^\s*(?:(host|guest):)?\s*(0[xX][0-9a-fA-F]+|\d+)\s*$/.exec(text);
  if (!m) return undefined;
  return { side: m[1] as Side | undefined, address: BigInt(m[2]) };
}

export function formatReference(address: bigint, side: Side, topSide: Side): string {
  const hex = `0x${address.toString(16)}`;
  return side === topSide ? hex : `${side}:${hex}`;
}
