// The VMX instructions as the SDM's pseudo-code in ch. 31 describes them: #UD and #GP
// conditions, VM exits from non-root operation, and the VMsucceed / VMfailInvalid /
// VMfailValid(n) conventions of 31.2 with the error numbers of 31.4.

import { CpuFault, Vector } from '../cpu/signals';
import { Cr0, Cr4, Flag } from '../cpu/state';
import {
  CR0_FIXED0, CR0_FIXED1, CR4_FIXED0, CR4_FIXED1, FeatureControl, Msr, PHYS_ADDR_RESERVED, VMCS_REVISION_ID,
} from './capabilities';
import { vmentry } from './entry';
import { eptpError, isCanonical } from './entryChecks';
import { ExitReason, Field, VM_INSTRUCTION_ERROR_MESSAGES, VmInstructionError } from './fields';
import { performVmExit, vmexit } from './exit';
import { Vmcs } from './vmcs';
import { INVALID_VMCS_POINTER, type Vmx } from './vmx';

const STATUS_FLAGS = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.OF;

function setStatus(vmx: Vmx, flags: number): void {
  const s = vmx.cpu.state;
  s.setRflags((s.getRflags() & ~STATUS_FLAGS) | flags);
}
/** 31.2 VMsucceed: CF, PF, AF, ZF, SF, OF cleared. */
function vmSucceed(vmx: Vmx): void { setStatus(vmx, 0); }
/** 31.2 VMfailInvalid: CF set, the others cleared. */
function vmFailInvalid(vmx: Vmx): void { setStatus(vmx, Flag.CF); }
/** 31.2 VMfailValid(n): ZF set, the others cleared, the VM-instruction error field of the current VMCS := n. */
function vmFailValid(vmx: Vmx, error: VmInstructionError): void {
  setStatus(vmx, Flag.ZF);
  vmx.current!.set(Field.VM_INSTRUCTION_ERROR, BigInt(error));
}
/** 31.2 VMfail(n): VMfailValid if there is a current VMCS, else VMfailInvalid. */
function vmFail(vmx: Vmx, error: VmInstructionError): void {
  if (vmx.current) vmFailValid(vmx, error);
  else vmFailInvalid(vmx);
}

function ud(): never { throw new CpuFault(Vector.UD); }
function gp0(): never { throw new CpuFault(Vector.GP, 0); }

/** #UD outside protected mode, in virtual-8086 mode or in compatibility mode (common to every VMX instruction). */
function modeAllowsVmx(vmx: Vmx): boolean {
  const s = vmx.cpu.state;
  if ((s.cr0 & Cr0.PE) === 0 || (s.getRflags() & Flag.VM) !== 0) return false;
  return !(s.longMode && !s.mode64);
}

/**
 * The opening of VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH, VMRESUME, VMXOFF, INVEPT, INVVPID:
 * #UD unless in VMX operation in a permitted mode, VM exit in non-root operation, #GP(0) unless CPL 0.
 */
function rootOnly(vmx: Vmx, reason: ExitReason, info: number, qualification: bigint): void {
  if (!vmx.inVmxOperation || !modeAllowsVmx(vmx)) ud();
  if (vmx.nonRoot) vmexit(vmx, reason, qualification, { instructionLength: vmx.cpu.insnLength, instructionInfo: info });
  if (vmx.cpu.state.cpl > 0) gp0();
}

function badPhysicalAddress(addr: bigint): boolean {
  return (addr & 0xfffn) !== 0n || (addr & PHYS_ADDR_RESERVED) !== 0n;
}

/** Bits 30:0 of the first 4 bytes of the region must be the revision identifier and bit 31 must be 0 (no shadow VMCS). */
function revisionMatches(vmx: Vmx, addr: bigint): boolean {
  return vmx.cpu.phys.read32(Number(addr)) === VMCS_REVISION_ID;
}

function crFixedOk(value: number, fixed0: number, fixed1: number): boolean {
  return ((value & fixed0) >>> 0) === fixed0 >>> 0 && (value & ~fixed1) === 0;
}

/** 31 VMXON. */
export function vmxon(vmx: Vmx, operand: bigint, info: number, qualification: bigint): void {
  const s = vmx.cpu.state;
  if ((s.cr4 & Cr4.VMXE) === 0 || !modeAllowsVmx(vmx)) ud();
  if (vmx.inVmxOperation) {
    if (vmx.nonRoot) vmexit(vmx, ExitReason.VMON, qualification, { instructionLength: vmx.cpu.insnLength, instructionInfo: info });
    if (s.cpl > 0) gp0();
    vmFail(vmx, VmInstructionError.VMXON_IN_ROOT);
    return;
  }
  const featureControl = Number(s.msr.get(Msr.IA32_FEATURE_CONTROL) ?? 0n);
  if (s.cpl > 0 || !crFixedOk(s.cr0, CR0_FIXED0, CR0_FIXED1) || !crFixedOk(s.cr4, CR4_FIXED0, CR4_FIXED1) ||
      (featureControl & FeatureControl.LOCK) === 0 || (featureControl & FeatureControl.VMX_OUTSIDE_SMX) === 0) {
    gp0();
  }
  const addr = vmx.cpu.readLinear64(operand);
  if (badPhysicalAddress(addr) || !revisionMatches(vmx, addr)) {
    vmFailInvalid(vmx);
    return;
  }
  vmx.inVmxOperation = true;
  vmx.nonRoot = false;
  vmx.vmxonPointer = addr;
  vmx.current = undefined;
  vmSucceed(vmx);
}

/** 31 VMXOFF. */
export function vmxoff(vmx: Vmx): void {
  rootOnly(vmx, ExitReason.VMOFF, 0, 0n);
  vmx.inVmxOperation = false;
  vmx.vmxonPointer = INVALID_VMCS_POINTER;
  vmSucceed(vmx);
}

/** 31 VMCLEAR. */
export function vmclear(vmx: Vmx, operand: bigint, info: number, qualification: bigint): void {
  rootOnly(vmx, ExitReason.VMCLEAR, info, qualification);
  const addr = vmx.cpu.readLinear64(operand);
  if (badPhysicalAddress(addr)) return vmFail(vmx, VmInstructionError.VMCLEAR_INVALID_ADDRESS);
  if (addr === vmx.vmxonPointer) return vmFail(vmx, VmInstructionError.VMCLEAR_VMXON_POINTER);
  region(vmx, addr).launchState = 'clear';
  if (vmx.current?.address === addr) vmx.current = undefined;
  vmSucceed(vmx);
}

function region(vmx: Vmx, addr: bigint): Vmcs {
  let r = vmx.regions.get(addr);
  if (!r) {
    r = new Vmcs(addr);
    r.set(Field.VMCS_LINK_POINTER, INVALID_VMCS_POINTER);
    vmx.regions.set(addr, r);
  }
  return r;
}

/** 31 VMPTRLD. */
export function vmptrld(vmx: Vmx, operand: bigint, info: number, qualification: bigint): void {
  rootOnly(vmx, ExitReason.VMPTRLD, info, qualification);
  const addr = vmx.cpu.readLinear64(operand);
  if (badPhysicalAddress(addr)) return vmFail(vmx, VmInstructionError.VMPTRLD_INVALID_ADDRESS);
  if (addr === vmx.vmxonPointer) return vmFail(vmx, VmInstructionError.VMPTRLD_VMXON_POINTER);
  if (!revisionMatches(vmx, addr)) return vmFail(vmx, VmInstructionError.VMPTRLD_BAD_REVISION);
  vmx.current = region(vmx, addr);
  vmSucceed(vmx);
}

/** 31 VMPTRST. */
export function vmptrst(vmx: Vmx, operand: bigint, info: number, qualification: bigint): void {
  rootOnly(vmx, ExitReason.VMPTRST, info, qualification);
  vmx.cpu.writeLinear64(operand, vmx.current?.address ?? INVALID_VMCS_POINTER);
  vmSucceed(vmx);
}

/** 31 VMREAD of the field encoded by `fieldLo`/`fieldHi`: true with the value for the destination in HALVES, false after VMfail. */
export function vmread(vmx: Vmx, fieldLo: number, fieldHi: number, info: number, qualification: bigint): boolean {
  rootOnly(vmx, ExitReason.VMREAD, info, qualification);
  if (!vmx.current) {
    vmFailInvalid(vmx);
    return false;
  }
  if (!vmx.current.readHalves(fieldLo, fieldHi)) {
    vmFailValid(vmx, VmInstructionError.UNSUPPORTED_VMCS_COMPONENT);
    return false;
  }
  vmSucceed(vmx);
  return true;
}

/** 31 VMWRITE (IA32_VMX_MISC[29] = 0: exit-information fields are read-only); field and value as 32-bit halves. */
export function vmwrite(vmx: Vmx, fieldLo: number, fieldHi: number, lo: number, hi: number, info: number, qualification: bigint): void {
  rootOnly(vmx, ExitReason.VMWRITE, info, qualification);
  if (!vmx.current) return vmFailInvalid(vmx);
  const result = vmx.current.writeHalves(fieldLo, fieldHi, lo, hi, false);
  if (result === 'unsupported') return vmFailValid(vmx, VmInstructionError.UNSUPPORTED_VMCS_COMPONENT);
  if (result === 'read-only') return vmFailValid(vmx, VmInstructionError.VMWRITE_READ_ONLY);
  vmSucceed(vmx);
}

/** Whether VMREAD or VMWRITE in 64-bit mode passes rootOnly() and has a current VMCS (the opening of 31 VMREAD/VMWRITE). */
const rootWithVmcs = (vmx: Vmx) => vmx.inVmxOperation && !vmx.nonRoot && vmx.cpu.state.cpl === 0 && vmx.current !== undefined;

/** 31 VMREAD's path to VMsucceed alone, in 64-bit mode (compiled blocks): false, with nothing done, where vmread() must decide. */
export function vmreadSucceeds(vmx: Vmx, fieldLo: number, fieldHi: number): boolean {
  return rootWithVmcs(vmx) && vmx.current!.readHalves(fieldLo, fieldHi);
}

/** 31 VMWRITE's path to VMsucceed alone, in 64-bit mode (compiled blocks): false, with nothing written, where vmwrite() must decide. */
export function vmwriteSucceeds(vmx: Vmx, fieldLo: number, fieldHi: number, lo: number, hi: number): boolean {
  return rootWithVmcs(vmx) && vmx.current!.writeHalves(fieldLo, fieldHi, lo, hi, false) === 'ok';
}

/** 31 VMLAUNCH / VMRESUME: true when the guest is now running. */
export function vmlaunchOrResume(vmx: Vmx, launch: boolean): boolean {
  rootOnly(vmx, launch ? ExitReason.VMLAUNCH : ExitReason.VMRESUME, 0, 0n);
  const vmcs = vmx.current;
  if (!vmcs) {
    vmFailInvalid(vmx);
    for (const l of vmx.entryFailureListeners) l(0, 'VMfailInvalid: there is no current VMCS');
    return false;
  }
  const fail = (error: VmInstructionError, message: string): false => {
    vmFailValid(vmx, error);
    for (const l of vmx.entryFailureListeners) l(error, message);
    return false;
  };
  if (launch && vmcs.launchState !== 'clear') return fail(VmInstructionError.VMLAUNCH_NONCLEAR_VMCS, VM_INSTRUCTION_ERROR_MESSAGES[4]);
  if (!launch && vmcs.launchState !== 'launched') return fail(VmInstructionError.VMRESUME_NONLAUNCHED_VMCS, VM_INSTRUCTION_ERROR_MESSAGES[5]);
  const result = vmentry(vmx, launch);
  if (!result.entered) return fail(result.error, `${VM_INSTRUCTION_ERROR_MESSAGES[result.error]}: ${result.message}`);
  return true;
}

/** 31 INVEPT: types 1 (single-context) and 2 (all-context); this CPU keeps no EPT-derived translations across a TLB flush. */
export function invept(vmx: Vmx, type: bigint, descriptor: bigint, info: number, qualification: bigint): void {
  rootOnly(vmx, ExitReason.INVEPT, info, qualification);
  if (type !== 1n && type !== 2n) return vmFail(vmx, VmInstructionError.INVALID_INVEPT_INVVPID_OPERAND);
  const eptp = vmx.cpu.readLinear64(descriptor);
  vmx.cpu.readLinear64(descriptor + 8n);
  if (type === 1n && eptpError(eptp)) return vmFail(vmx, VmInstructionError.INVALID_INVEPT_INVVPID_OPERAND);
  vmx.cpu.flushTlb();
  vmSucceed(vmx);
}

/** 31 INVVPID: types 0 (individual address), 1 (single context), 2 (all contexts), 3 (single context retaining globals). */
export function invvpid(vmx: Vmx, type: bigint, descriptor: bigint, info: number, qualification: bigint): void {
  rootOnly(vmx, ExitReason.INVVPID, info, qualification);
  if (type > 3n) return vmFail(vmx, VmInstructionError.INVALID_INVEPT_INVVPID_OPERAND);
  const low = vmx.cpu.readLinear64(descriptor);
  const linear = vmx.cpu.readLinear64(descriptor + 8n);
  const vpid = low & 0xffffn;
  if ((low >> 16n) !== 0n) return vmFail(vmx, VmInstructionError.INVALID_INVEPT_INVVPID_OPERAND);
  if (type !== 2n && vpid === 0n) return vmFail(vmx, VmInstructionError.INVALID_INVEPT_INVVPID_OPERAND);
  if (type === 0n && !isCanonical(linear)) return vmFail(vmx, VmInstructionError.INVALID_INVEPT_INVVPID_OPERAND);
  vmx.cpu.flushTlb();
  vmSucceed(vmx);
}

/**
 * 31 VMCALL outside SMM: #UD outside VMX operation, VM exit in non-root (returns true: the
 * instruction is over and RIP is the host's), VMfail(1) in root operation.
 */
export function vmcall(vmx: Vmx): boolean {
  if (!vmx.inVmxOperation) ud();
  if (vmx.nonRoot) {
    performVmExit(vmx, ExitReason.VMCALL, 0n, { instructionLength: vmx.cpu.insnLength });
    return true;
  }
  const s = vmx.cpu.state;
  if ((s.getRflags() & Flag.VM) !== 0 || (s.longMode && !s.mode64)) ud();
  if (s.cpl > 0) gp0();
  vmFail(vmx, VmInstructionError.VMCALL_IN_ROOT);
  return false;
}
