// Port I/O: IN/OUT and the permission rules shared with INS/OUTS (Intel SDM vol. 1 19.5:
// IOPL, then the TSS I/O permission bitmap), followed by the VMX I/O exit check (the
// privilege fault has priority over the exit, SDM vol. 3C 26.1.1).

import { Seg } from '../state';
import { CpuFault, Vector } from '../signals';
import type { Cpu } from '../cpu';
import type { Handler } from '../handlers';
import { exited } from './intercept';

/**
 * #GP(0) unless CPL <= IOPL or the TSS bitmap clears every bit of the port range; then the VMX
 * check. Returns true when the instruction caused a VM exit: it is over (RIP committed, the CPU
 * in the host), and the handler returns at once.
 */
export function ioExited(c: Cpu, port: number, size: 1 | 2 | 4, isIn: boolean, string: boolean, rep: boolean, immediate: boolean): boolean {
  const st = c.state;
  if (st.cpl > ((st.getRflags() >> 12) & 3)) {
    const tr = st.seg[Seg.TR];
    if (tr.limit < 0x67) throw new CpuFault(Vector.GP, 0);
    const saved = c.priv;
    c.priv = 2;
    try {
      const trBase = Number(BigInt.asIntN(64, tr.base));
      const mapBase = c.read16(trBase + 0x66);
      const byte = mapBase + (port >> 3);
      if (byte + 1 > tr.limit) throw new CpuFault(Vector.GP, 0);
      const bits = c.read16(trBase + byte);
      if ((bits >> (port & 7)) & ((1 << size) - 1)) throw new CpuFault(Vector.GP, 0);
    } finally { c.priv = saved; }
  }
  return exited(c, { kind: 'io', port, size, in: isIn, string, rep, immediate });
}

const inOut: Handler = (c, i) => {
  const op = i.opcode;
  const immediate = op < 0xe8;
  const port = immediate ? i.imm & 0xff : c.r32[4] & 0xffff;
  const size = (i.opsize === 8 ? 4 : i.opsize) as 1 | 2 | 4;
  const isIn = (op & 2) === 0;
  if (ioExited(c, port, size, isIn, false, false, immediate)) return;
  if (isIn) {
    const v = c.io.in(port, size);
    c.setReg(size, 0, size === 4 ? v >>> 0 : v & (size === 1 ? 0xff : 0xffff), 0);
  } else c.io.out(port, size, c.getReg(size, 0));
};

export const IO_HANDLERS: Record<string, Handler> = { inOut };
