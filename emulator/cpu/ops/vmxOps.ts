// VMX instructions (Intel SDM vol. 3C ch. 31): decoded here, checked for the #UD/#GP
// conditions that precede the VMX logic in each instruction's pseudo-code, and forwarded to
// cpu.vmx with the VM-exit instruction-information field (SDM 27.2.5) and the displacement
// (the exit qualification for instructions with a memory operand, SDM 27.2.1).

import { HALVES, join } from '../halves';
import { Cr0, Cr4 } from '../state';
import { CpuFault, Vector } from '../signals';
import type { Cpu } from '../cpu';
import type { DecodedInsn } from '../../decoder/decoder';
import type { Handler } from '../handlers';
import type { VmxUnit } from '../vmxUnit';

/**
 * Instruction-information field for a memory operand (SDM Table 27-9/27-13 common part):
 * 1:0 scaling, 9:7 address size, 10 mem/reg (0), 17:15 segment, 21:18 index, 22 index
 * invalid, 26:23 base, 27 base invalid; `reg2` goes to 31:28.
 */
export function memoryInfo(i: DecodedInsn, reg2 = 0): number {
  const asz = i.addrsize === 2 ? 0 : i.addrsize === 4 ? 1 : 2;
  const index = i.index, base = i.base;
  return ((index >= 0 ? i.scale : 0) | (asz << 7) | (i.seg << 15)
    | (index >= 0 ? index << 18 : 1 << 22) | (base >= 0 ? base << 23 : 1 << 27) | (reg2 << 28)) >>> 0;
}

/** VMREAD/VMWRITE layout (SDM Table 27-14): register form sets bit 10 and Reg1 in 6:3. */
function readWriteInfo(i: DecodedInsn): number {
  if (i.mod === 3) {
    const asz = i.addrsize === 2 ? 0 : i.addrsize === 4 ? 1 : 2;
    return ((i.rm << 3) | (asz << 7) | (1 << 10) | (i.reg << 28)) >>> 0;
  }
  return memoryInfo(i, i.reg);
}

/** Memory operand address as the unsigned 64-bit value (non-canonical values are passed through for VMX to fault on). */
function operand(c: Cpu): bigint {
  return c.ea === c.ea ? c.big(c.ea) : join(c.eaLo, c.eaHi);
}
const displacement = (i: DecodedInsn) => BigInt.asUintN(64, BigInt(i.disp));

/** The checks every VMX instruction but VMXON/VMCALL makes first (SDM ch. 31 pseudo-code). */
function vmxCommon(c: Cpu): VmxUnit {
  const vmx = c.vmx, st = c.state;
  if (vmx === undefined || !vmx.inVmxOperation || !(st.cr0 & Cr0.PE) || (st.longMode && !c.mode64)) throw new CpuFault(Vector.UD);
  if (!vmx.nonRoot && st.cpl > 0) throw new CpuFault(Vector.GP, 0);
  return vmx;
}

const vmxon: Handler = (c, i) => {
  const vmx = c.vmx, st = c.state;
  if (vmx === undefined || !(st.cr4 & Cr4.VMXE) || !(st.cr0 & Cr0.PE) || (st.longMode && !c.mode64)) throw new CpuFault(Vector.UD);
  if (st.cpl > 0 && !(vmx.inVmxOperation && vmx.nonRoot)) throw new CpuFault(Vector.GP, 0);
  vmx.vmxon(operand(c), memoryInfo(i), displacement(i));
};
const vmxoff: Handler = (c) => vmxCommon(c).vmxoff();
const vmclear: Handler = (c, i) => vmxCommon(c).vmclear(operand(c), memoryInfo(i), displacement(i));
const vmptrld: Handler = (c, i) => vmxCommon(c).vmptrld(operand(c), memoryInfo(i), displacement(i));
const vmptrst: Handler = (c, i) => vmxCommon(c).vmptrst(operand(c), memoryInfo(i), displacement(i));
// VMREAD/VMWRITE's field encoding is the register operand of size `s` (its high half 0 outside 64-bit mode).
const vmread: Handler = (c, i) => {
  const vmx = vmxCommon(c);
  const s = c.mode64 ? 8 : 4;
  const fieldLo = c.getReg(s, i.reg), fieldHi = s === 8 ? c.hi : 0;
  if (!vmx.vmread(fieldLo, fieldHi, readWriteInfo(i), i.mod === 3 ? 0n : displacement(i))) return;
  const lo = HALVES[0], hi = HALVES[1];
  if (i.mod === 3) c.setReg(s, i.rm, lo, hi);
  else c.write(s, c.ea, lo, hi);
};
const vmwrite: Handler = (c, i) => {
  const vmx = vmxCommon(c);
  const s = c.mode64 ? 8 : 4;
  const fieldLo = c.getReg(s, i.reg), fieldHi = s === 8 ? c.hi : 0;
  const info = readWriteInfo(i), qual = i.mod === 3 ? 0n : displacement(i);
  if (vmx.nonRoot) { vmx.vmwrite(fieldLo, fieldHi, 0, 0, info, qual); return; } // exits before the operand is read (or VMCS shadowing reads it)
  const lo = c.readE(i, s), hi = s === 8 ? c.hi : 0;
  vmx.vmwrite(fieldLo, fieldHi, lo, hi, info, qual);
};
const vmlaunch: Handler = (c) => { if (vmxCommon(c).vmlaunch()) c.ripCommitted = true; };
const vmresume: Handler = (c) => { if (vmxCommon(c).vmresume()) c.ripCommitted = true; };
const vmcall: Handler = (c) => {
  const vmx = c.vmx, st = c.state;
  if (vmx === undefined || !vmx.inVmxOperation) throw new CpuFault(Vector.UD);
  if (!vmx.nonRoot) {
    if (st.longMode && !c.mode64) throw new CpuFault(Vector.UD);
    if (st.cpl > 0) throw new CpuFault(Vector.GP, 0);
  }
  // A VM exit returns (the CPU retires the VMCALL with the host's RIP) instead of throwing.
  if (vmx.vmcall()) c.ripCommitted = true;
};
function invType(c: Cpu, i: DecodedInsn): bigint {
  const lo = c.getReg(8, i.reg);
  return join(lo, c.hi);
}
const invept: Handler = (c, i) => { const vmx = vmxCommon(c); vmx.invept(invType(c, i), operand(c), memoryInfo(i, i.reg), displacement(i)); };
const invvpid: Handler = (c, i) => { const vmx = vmxCommon(c); vmx.invvpid(invType(c, i), operand(c), memoryInfo(i, i.reg), displacement(i)); };

export const VMX_HANDLERS: Record<string, Handler> = {
  vmxon, vmxoff, vmclear, vmptrld, vmptrst, vmread, vmwrite, vmlaunch, vmresume, vmcall, invept, invvpid,
};
