// Which events and instructions cause VM exits in VMX non-root operation (SDM 26.1-26.2,
// 26.5.1 and 25.6) and with what exit qualification (28.2.1): one decision per cause.

import { CpuFault, Vector } from '../cpu/signals';
import { Flag, Seg } from '../cpu/state';
import type { InterceptedInstruction } from '../cpu/vmxUnit';
import type { ActiveControls } from './activeControls';
import { EventType, IntrInfo, Pin, Proc, Proc2 } from './controls';
import { performVmExit, vmexit } from './exit';
import { ExitReason } from './fields';
import type { Vmx } from './vmx';

function active(vmx: Vmx): ActiveControls { return vmx.controls!; }

/** An instruction's VM exit, done; true for the caller to return (interceptInstruction's callers end the instruction). */
function instructionExited(vmx: Vmx, reason: ExitReason, qualification = 0n, instructionInfo?: number, guestLinear?: bigint): true {
  performVmExit(vmx, reason, qualification, { instructionLength: vmx.cpu.insnLength, instructionInfo, guestLinear });
  return true;
}

/** An instruction's VM exit, thrown out of a handler that cannot return at once (MOV CR). */
function instructionExit(vmx: Vmx, reason: ExitReason, qualification: bigint): never {
  vmexit(vmx, reason, qualification, { instructionLength: vmx.cpu.insnLength });
}

/* Exit qualification for control-register accesses (Table 28-3): 3:0 CR, 5:4 access type, 6 LMSW operand, 11:8 GPR, 31:16 LMSW data */
const enum CrAccess { MOV_TO_CR = 0, MOV_FROM_CR = 1, CLTS = 2, LMSW = 3 }
function crQualification(cr: number, type: CrAccess, gpr: number, lmswMemory = false, lmswData = 0): bigint {
  return BigInt((cr | (type << 4) | (lmswMemory ? 1 << 6 : 0) | (gpr << 8) | ((lmswData & 0xffff) << 16)) >>> 0);
}

/**
 * 26.1.2 (unconditional) and 26.1.3 (control-dependent) instruction exits. Returns true when
 * the instruction caused a VM exit, which has happened (the CPU is in the host): the caller
 * ends the instruction there, by returning or by throwing VmExitTaken.
 */
export function interceptInstruction(vmx: Vmx, instr: InterceptedInstruction): boolean {
  const c = active(vmx);
  switch (instr.kind) {
    case 'cpuid': return instructionExited(vmx, ExitReason.CPUID);
    case 'invd': return instructionExited(vmx, ExitReason.INVD);
    case 'vmcall': return instructionExited(vmx, ExitReason.VMCALL);
    case 'hlt': return (c.proc & Proc.HLT_EXITING) !== 0 && instructionExited(vmx, ExitReason.HLT);
    case 'rdtsc': return (c.proc & Proc.RDTSC_EXITING) !== 0 && instructionExited(vmx, ExitReason.RDTSC);
    case 'rdtscp':
      // 26.3: with "enable RDTSCP" 0, RDTSCP is #UD (which has priority over the exit).
      if ((c.proc2 & Proc2.ENABLE_RDTSCP) === 0) throw new CpuFault(Vector.UD);
      return (c.proc & Proc.RDTSC_EXITING) !== 0 && instructionExited(vmx, ExitReason.RDTSCP);
    case 'rdpmc': return (c.proc & Proc.RDPMC_EXITING) !== 0 && instructionExited(vmx, ExitReason.RDPMC);
    case 'invlpg': return (c.proc & Proc.INVLPG_EXITING) !== 0 && instructionExited(vmx, ExitReason.INVLPG, instr.linear);
    case 'wbinvd': return (c.proc2 & Proc2.WBINVD_EXITING) !== 0 && instructionExited(vmx, ExitReason.WBINVD);
    case 'pause': return (c.proc & Proc.PAUSE_EXITING) !== 0 && instructionExited(vmx, ExitReason.PAUSE_INSTRUCTION);
    case 'rdmsr': return msrExits(vmx, c, instr.msr, false) && instructionExited(vmx, ExitReason.MSR_READ);
    case 'wrmsr': return msrExits(vmx, c, instr.msr, true) && instructionExited(vmx, ExitReason.MSR_WRITE);
    case 'io': return ioInstruction(vmx, c, instr);
    case 'mov-dr':
      // Table 28-4: 2:0 DR number, 4 direction (1 = MOV from DR), 11:8 GPR.
      return (c.proc & Proc.MOV_DR_EXITING) !== 0 &&
        instructionExited(vmx, ExitReason.DR_ACCESS, BigInt(instr.dr | (instr.toDr ? 0 : 1 << 4) | (instr.gpr << 8)));
    case 'clts':
      // 26.1.3: CLTS exits if CR0 guest/host mask and read shadow both have TS set.
      return (c.cr0Mask & 8n) !== 0n && (c.cr0Shadow & 8n) !== 0n && instructionExited(vmx, ExitReason.CR_ACCESS, crQualification(0, CrAccess.CLTS, 0));
    case 'lmsw': return lmsw(vmx, c, instr.value, instr.memory, instr.linear);
    case 'descriptor-table': {
      if ((c.proc2 & Proc2.DESCRIPTOR_TABLE_EXITING) === 0) return false;
      const gdtIdt = ['sgdt', 'sidt', 'lgdt', 'lidt'].indexOf(instr.instr);
      const identity = gdtIdt >= 0 ? gdtIdt : ['sldt', 'str', 'lldt', 'ltr'].indexOf(instr.instr);
      // Instruction information (28.2.5, Tables 28-10/28-11): bits 29:28 identify the instruction.
      const info = ((instr.info ?? 0) & ~(3 << 28)) | (identity << 28);
      return instructionExited(vmx, gdtIdt >= 0 ? ExitReason.GDTR_IDTR : ExitReason.LDTR_TR, instr.qualification ?? 0n, info >>> 0);
    }
  }
}

/** 26.1.3 LMSW: exits if a masked bit among PE/MP/EM/TS would change from the read shadow (PE only if being set). */
function lmsw(vmx: Vmx, c: ActiveControls, value: number, memory: boolean, linear: bigint): boolean {
  const mask = Number(c.cr0Mask & 0xfn);
  const shadow = Number(c.cr0Shadow & 0xfn);
  const peSet = (mask & 1) !== 0 && (shadow & 1) === 0 && (value & 1) !== 0;
  const others = (mask & 0xe & (shadow ^ value)) !== 0;
  return (peSet || others) &&
    instructionExited(vmx, ExitReason.CR_ACCESS, crQualification(0, CrAccess.LMSW, 0, memory, value), undefined, memory ? linear : undefined);
}

/** 25.6.9 MSR bitmaps: read-low 0, read-high 1024, write-low 2048, write-high 3072; MSRs outside both ranges always exit. */
function msrExits(vmx: Vmx, c: ActiveControls, msr: number, write: boolean): boolean {
  if ((c.proc & Proc.USE_MSR_BITMAPS) === 0) return true;
  let offset: number;
  if (msr >>> 0 <= 0x1fff) offset = 0;
  else if (msr >>> 0 >= 0xc0000000 && msr >>> 0 <= 0xc0001fff) offset = 1024;
  else return true;
  const bit = (msr & 0x1fff);
  const byte = vmx.cpu.phys.read8(c.msrBitmap + (write ? 2048 : 0) + offset + (bit >> 3));
  return (byte & (1 << (bit & 7))) !== 0;
}

/** 26.1.3 I/O instructions: unconditional I/O exiting, or I/O bitmaps A (0-7FFFH) and B (8000H-FFFFH). */
function ioInstruction(vmx: Vmx, c: ActiveControls, instr: Extract<InterceptedInstruction, { kind: 'io' }>): boolean {
  let exits: boolean;
  if (c.proc & Proc.USE_IO_BITMAPS) {
    exits = false;
    for (let p = instr.port; p < instr.port + instr.size; p++) {
      if (p > 0xffff) { exits = true; break; } // wrap-around past FFFFH always exits
      const bitmap = p < 0x8000 ? c.ioBitmapA : c.ioBitmapB;
      const bit = p & 0x7fff;
      if (vmx.cpu.phys.read8(bitmap + (bit >> 3)) & (1 << (bit & 7))) { exits = true; break; }
    }
  } else {
    exits = (c.proc & Proc.UNCONDITIONAL_IO_EXITING) !== 0;
  }
  if (!exits) return false;
  // Table 28-5: 2:0 size - 1, 3 direction (1 = IN), 4 string, 5 REP, 6 operand encoding (1 = immediate), 31:16 port.
  const q = (instr.size - 1) | (instr.in ? 1 << 3 : 0) | (instr.string ? 1 << 4 : 0) | (instr.rep ? 1 << 5 : 0) |
    (instr.immediate ? 1 << 6 : 0) | (instr.port << 16);
  const s = vmx.cpu.state;
  // 28.2.1: for INS/OUTS the guest-linear address of the memory operand (ES:RDI or DS:RSI).
  const guestLinear = instr.string
    ? BigInt.asUintN(64, instr.in ? s.seg[Seg.ES].base + s.gpr[7] : s.seg[Seg.DS].base + s.gpr[6])
    : undefined;
  return instructionExited(vmx, ExitReason.IO_INSTRUCTION, BigInt(q >>> 0), undefined, guestLinear);
}

/** 26.1.3 MOV to CR0/CR3/CR4/CR8: the value to load (masked bits keep the guest's real value), or a CR-access exit. */
export function movToCr(vmx: Vmx, cr: number, gpr: number, value: bigint): bigint {
  const c = active(vmx);
  const s = vmx.cpu.state;
  const exit = (): never => instructionExit(vmx, ExitReason.CR_ACCESS, crQualification(cr, CrAccess.MOV_TO_CR, gpr));
  switch (cr) {
    case 0:
      if (((value ^ c.cr0Shadow) & c.cr0Mask) !== 0n) exit();
      return (value & ~c.cr0Mask) | (BigInt(s.cr0 >>> 0) & c.cr0Mask);
    case 4:
      if (((value ^ c.cr4Shadow) & c.cr4Mask) !== 0n) exit();
      return (value & ~c.cr4Mask) | (BigInt(s.cr4 >>> 0) & c.cr4Mask);
    case 3:
      if ((c.proc & Proc.CR3_LOAD_EXITING) !== 0 && !c.cr3Targets.includes(value)) exit();
      return value;
    case 8:
      if (c.proc & Proc.CR8_LOAD_EXITING) exit();
      return value;
    default:
      return value;
  }
}

/** 26.1.3 / 26.3 MOV from CR: CR0/CR4 read through the read shadows; CR3/CR8 store exiting. */
export function movFromCr(vmx: Vmx, cr: number, gpr: number, actual: bigint): bigint {
  const c = active(vmx);
  const exit = (): never => instructionExit(vmx, ExitReason.CR_ACCESS, crQualification(cr, CrAccess.MOV_FROM_CR, gpr));
  switch (cr) {
    case 0: return (actual & ~c.cr0Mask) | (c.cr0Shadow & c.cr0Mask);
    case 4: return (actual & ~c.cr4Mask) | (c.cr4Shadow & c.cr4Mask);
    case 3: if (c.proc & Proc.CR3_STORE_EXITING) exit(); return actual;
    case 8: if (c.proc & Proc.CR8_STORE_EXITING) exit(); return actual;
    default: return actual;
  }
}

const ERROR_CODE_VECTORS = new Set([8, 10, 11, 12, 13, 14, 17]);

/**
 * 26.2 exceptions: the exception bitmap decides, #PF through the error-code mask/match; NMIs by
 * "NMI exiting". Interruption information per 25.9.2; for #PF the qualification is the linear address.
 */
export function interceptException(vmx: Vmx, vector: number, errorCode: number | undefined, software: boolean, pfAddress?: bigint): void {
  const c = active(vmx);
  let exits: boolean;
  if (vector === Vector.NMI && !software) exits = (c.pin & Pin.NMI_EXITING) !== 0;
  else if (vector === Vector.PF) {
    const bit = (c.exceptionBitmap & (1 << 14)) !== 0;
    const matches = (((errorCode ?? 0) & c.pfecMask) >>> 0) === (c.pfecMatch >>> 0);
    exits = bit === matches;
  } else exits = vector < 32 && (c.exceptionBitmap & (1 << vector)) !== 0;
  if (!exits) return;
  const type = software ? EventType.SOFTWARE_EXCEPTION : vector === Vector.NMI ? EventType.NMI : EventType.HARDWARE_EXCEPTION;
  const hasCode = !software && ERROR_CODE_VECTORS.has(vector) && errorCode !== undefined;
  const intrInfo = (vector | (type << IntrInfo.TYPE_SHIFT) | (hasCode ? IntrInfo.ERROR_CODE : 0) | IntrInfo.VALID) >>> 0;
  vmexit(vmx, ExitReason.EXCEPTION_NMI, vector === Vector.PF ? pfAddress ?? 0n : 0n, {
    intrInfo, intrErrorCode: hasCode ? errorCode : 0,
    instructionLength: software ? vmx.cpu.insnLength : 0,
  });
}

/** 26.2: a triple fault in non-root operation is a VM exit. */
export function tripleFault(vmx: Vmx): never {
  return vmexit(vmx, ExitReason.TRIPLE_FAULT, 0n);
}

/** At an instruction boundary (26.7.4 priority order): VMX-preemption timer, then interrupt window. */
export function beforeInstruction(vmx: Vmx): void {
  const s = vmx.cpu.state;
  const deadline = vmx.preemptionTimerDeadline;
  if (deadline !== undefined && s.icount >= deadline) vmexit(vmx, ExitReason.PREEMPTION_TIMER, 0n);
  // 26.7.5: interrupt-window exiting fires whenever RFLAGS.IF = 1 and nothing blocks interrupts.
  if ((vmx.controls!.proc & Proc.INTERRUPT_WINDOW_EXITING) !== 0 && (s.getRflags() & Flag.IF) !== 0 && s.interruptShadow === 0) {
    vmexit(vmx, ExitReason.INTERRUPT_WINDOW, 0n);
  }
}
