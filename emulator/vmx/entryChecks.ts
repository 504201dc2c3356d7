// The checks VMLAUNCH/VMRESUME perform before entering the guest (SDM 27.2, 27.3.1). Each
// check has its own message naming the field and the rule, so a VMM author sees which one
// failed. Control and host-state failures are VMfailValid(7)/(8); guest-state failures are
// VM-entry failures (27.8) with an exit qualification.

import { Cr0, Cr4, Efer, Flag } from '../cpu/state';
import {
  CR0_FIXED0, CR0_FIXED1, CR3_TARGET_COUNT_MAX, CR4_FIXED0, CR4_FIXED1, EFER_SUPPORTED, ENTRY_CTLS, EXIT_CTLS,
  MAXPHYADDR, PHYS_ADDR_RESERVED, PINBASED, PROCBASED, PROCBASED2, VMCS_REVISION_ID, type ControlCaps,
} from './capabilities';
import { Activity, EntryCtl, EventType, ExitCtl, Interruptibility, IntrInfo, Pin, Proc, Proc2 } from './controls';
import { Field } from './fields';
import type { Vmcs } from './vmcs';
import type { PhysicalMemory } from '../memory/physical';

/** Canonical for 48-bit linear addresses: bits 63:47 all equal. */
export function isCanonical(a: bigint): boolean {
  const top = a >> 47n;
  return top === 0n || top === 0x1ffffn;
}

function physOk(a: bigint): boolean { return (a & PHYS_ADDR_RESERVED) === 0n; }
/** A field holding a linear address is canonical (bits 63:47 of its high dword all equal). */
function canonical(vmcs: Vmcs, f: Field): boolean {
  const top = vmcs.high(f) >>> 15;
  return top === 0 || top === 0x1ffff;
}
function physFieldOk(vmcs: Vmcs, f: Field): boolean { return vmcs.high(f) >>> (MAXPHYADDR - 32) === 0; }
function pageAligned(a: bigint): boolean { return (a & 0xfffn) === 0n && physOk(a); }

function ctlError(name: string, value: number, caps: ControlCaps): string | undefined {
  const v = value >>> 0;
  if (((v & caps.mustBe1) >>> 0) !== caps.mustBe1) return `${name} 0x${v.toString(16)} clears bits that must be 1 (0x${caps.mustBe1.toString(16)})`;
  if ((v & ~caps.mayBe1) !== 0) return `${name} 0x${v.toString(16)} sets unsupported bits 0x${((v & ~caps.mayBe1) >>> 0).toString(16)}`;
  return undefined;
}

/** Valid EPTP (27.2.1.1): memory type UC or WB, 4-level walk, A/D flag allowed, reserved bits 11:7 and 63:MAXPHYADDR clear. */
export function eptpError(eptp: bigint): string | undefined {
  const type = Number(eptp & 7n);
  if (type !== 0 && type !== 6) return `EPTP memory type ${type} is not UC (0) or WB (6)`;
  if (Number((eptp >> 3n) & 7n) !== 3) return `EPTP page-walk length ${Number((eptp >> 3n) & 7n) + 1} is not 4`;
  if ((eptp & 0xf80n) !== 0n) return 'EPTP reserved bits 11:7 are set';
  if (!physOk(eptp)) return `EPTP sets bits beyond the physical-address width (${MAXPHYADDR})`;
  return undefined;
}

function msrAreaError(name: string, address: bigint, count: number): string | undefined {
  if (count === 0) return undefined;
  if ((address & 0xfn) !== 0n) return `${name} 0x${address.toString(16)} is not 16-byte aligned`;
  if (!physOk(address + BigInt(16 * count) - 1n)) return `${name} area extends beyond the physical-address width`;
  return undefined;
}

/** 27.2.1: VM-execution, VM-exit and VM-entry control fields. */
export function checkControls(vmcs: Vmcs): string | undefined {
  const pin = vmcs.get32(Field.PIN_BASED_VM_EXEC_CONTROL);
  const proc = vmcs.get32(Field.CPU_BASED_VM_EXEC_CONTROL);
  const proc2 = (proc & Proc.ACTIVATE_SECONDARY) !== 0 ? vmcs.get32(Field.SECONDARY_VM_EXEC_CONTROL) : 0;
  const exit = vmcs.get32(Field.VM_EXIT_CONTROLS);
  const entry = vmcs.get32(Field.VM_ENTRY_CONTROLS);
  const e = ctlError('pin-based VM-execution controls', pin, PINBASED)
    ?? ctlError('primary processor-based VM-execution controls', proc, PROCBASED)
    ?? ctlError('secondary processor-based VM-execution controls', proc2, PROCBASED2);
  if (e) return e;
  const cr3Count = vmcs.get32(Field.CR3_TARGET_COUNT);
  if (cr3Count > CR3_TARGET_COUNT_MAX) return `CR3-target count ${cr3Count} is greater than ${CR3_TARGET_COUNT_MAX}`;
  if ((proc & Proc.USE_IO_BITMAPS) !== 0) {
    if (!pageAligned(vmcs.get(Field.IO_BITMAP_A))) return 'I/O-bitmap A address is not 4-KByte aligned within the physical-address width';
    if (!pageAligned(vmcs.get(Field.IO_BITMAP_B))) return 'I/O-bitmap B address is not 4-KByte aligned within the physical-address width';
  }
  if ((proc & Proc.USE_MSR_BITMAPS) !== 0 && !pageAligned(vmcs.get(Field.MSR_BITMAP))) {
    return 'MSR-bitmap address is not 4-KByte aligned within the physical-address width';
  }
  if ((pin & Pin.NMI_EXITING) === 0 && (pin & Pin.VIRTUAL_NMIS) !== 0) return '"virtual NMIs" is 1 but "NMI exiting" is 0';
  if ((proc2 & Proc2.ENABLE_EPT) !== 0) {
    const ept = eptpError(vmcs.get(Field.EPT_POINTER));
    if (ept) return ept;
  }
  if ((proc2 & Proc2.ENABLE_VPID) !== 0 && vmcs.get32(Field.VPID) === 0) return '"enable VPID" is 1 but the VPID is 0';

  // 27.2.1.2 VM-exit controls
  const ex = ctlError('VM-exit controls', exit, EXIT_CTLS);
  if (ex) return ex;
  if ((pin & Pin.PREEMPTION_TIMER) === 0 && (exit & ExitCtl.SAVE_PREEMPTION_TIMER) !== 0) {
    return '"save VMX-preemption timer value" is 1 but "activate VMX-preemption timer" is 0';
  }
  const exitAreas = msrAreaError('VM-exit MSR-store address', vmcs.get(Field.VM_EXIT_MSR_STORE_ADDR), vmcs.get32(Field.VM_EXIT_MSR_STORE_COUNT))
    ?? msrAreaError('VM-exit MSR-load address', vmcs.get(Field.VM_EXIT_MSR_LOAD_ADDR), vmcs.get32(Field.VM_EXIT_MSR_LOAD_COUNT));
  if (exitAreas) return exitAreas;

  // 27.2.1.3 VM-entry controls
  const en = ctlError('VM-entry controls', entry, ENTRY_CTLS);
  if (en) return en;
  const injection = injectionError(vmcs);
  if (injection) return injection;
  return msrAreaError('VM-entry MSR-load address', vmcs.get(Field.VM_ENTRY_MSR_LOAD_ADDR), vmcs.get32(Field.VM_ENTRY_MSR_LOAD_COUNT));
}

/** Exceptions that push an error code (vol. 3A 6.13); #CP (21) is not implemented. */
const ERROR_CODE_VECTORS = new Set([8, 10, 11, 12, 13, 14, 17]);

/** 27.2.1.3: the VM-entry interruption-information field and its companions. */
function injectionError(vmcs: Vmcs): string | undefined {
  const info = vmcs.get32(Field.VM_ENTRY_INTR_INFO);
  if ((info & IntrInfo.VALID) === 0) return undefined;
  const vector = info & IntrInfo.VECTOR;
  const type = (info >> IntrInfo.TYPE_SHIFT) & 7;
  if (type === 1 || type === EventType.OTHER_EVENT) return `VM-entry interruption type ${type} is reserved or unsupported`;
  if (type === EventType.NMI && vector !== 2) return `VM-entry NMI injection with vector ${vector} (must be 2)`;
  if (type === EventType.HARDWARE_EXCEPTION && vector > 31) return `VM-entry hardware exception vector ${vector} is above 31`;
  const needsCode = type === EventType.HARDWARE_EXCEPTION && ERROR_CODE_VECTORS.has(vector);
  if (((info & IntrInfo.ERROR_CODE) !== 0) !== needsCode) {
    return `VM-entry "deliver error code" is ${needsCode ? 0 : 1} for ${type === EventType.HARDWARE_EXCEPTION ? `exception ${vector}` : `event type ${type}`}`;
  }
  if ((info & 0x7ffff000) !== 0) return 'VM-entry interruption-information reserved bits 30:12 are set';
  if ((info & IntrInfo.ERROR_CODE) !== 0 && (vmcs.get32(Field.VM_ENTRY_EXCEPTION_ERROR_CODE) & 0xffff0000) !== 0) {
    return 'VM-entry exception error code has bits 31:16 set';
  }
  if (type === EventType.SOFTWARE_INTERRUPT || type === EventType.PRIVILEGED_SOFTWARE_EXCEPTION || type === EventType.SOFTWARE_EXCEPTION) {
    const len = vmcs.get32(Field.VM_ENTRY_INSTRUCTION_LEN);
    if (len < 1 || len > 15) return `VM-entry instruction length ${len} is not in 1..15 for a software event`;
  }
  return undefined;
}

function patError(pat: bigint): boolean {
  for (let i = 0n; i < 64n; i += 8n) {
    const t = Number((pat >> i) & 0xffn);
    if (t === 2 || t === 3 || t > 7) return true;
  }
  return false;
}

function fixedError(name: string, value: bigint, fixed0: number, fixed1: number): string | undefined {
  if ((value >> 32n) !== 0n) return `${name} bits 63:32 are set`;
  const v = Number(value);
  if (((v & fixed0) >>> 0) !== fixed0 >>> 0) return `${name} 0x${v.toString(16)} clears bits fixed to 1 in VMX operation (0x${fixed0.toString(16)})`;
  if ((v & ~fixed1) !== 0) return `${name} 0x${v.toString(16)} sets bits fixed to 0 in VMX operation (0x${((v & ~fixed1) >>> 0).toString(16)})`;
  return undefined;
}

const HOST_SELECTORS: ReadonlyArray<[string, Field]> = [['ES', Field.HOST_ES_SELECTOR], ['CS', Field.HOST_CS_SELECTOR],
  ['SS', Field.HOST_SS_SELECTOR], ['DS', Field.HOST_DS_SELECTOR], ['FS', Field.HOST_FS_SELECTOR], ['GS', Field.HOST_GS_SELECTOR],
  ['TR', Field.HOST_TR_SELECTOR]];
const HOST_BASES: ReadonlyArray<[string, Field]> = [['FS', Field.HOST_FS_BASE], ['GS', Field.HOST_GS_BASE],
  ['GDTR', Field.HOST_GDTR_BASE], ['IDTR', Field.HOST_IDTR_BASE], ['TR', Field.HOST_TR_BASE]];

/** 27.2.2-27.2.4: host-state area. `inIa32e` is the processor's IA32_EFER.LMA at the time of VM entry. */
export function checkHostState(vmcs: Vmcs, inIa32e: boolean): string | undefined {
  const exit = vmcs.get32(Field.VM_EXIT_CONTROLS);
  const entry = vmcs.get32(Field.VM_ENTRY_CONTROLS);
  const hass = (exit & ExitCtl.HOST_ADDRESS_SPACE_SIZE) !== 0;
  const cr4 = vmcs.get(Field.HOST_CR4);
  const e = fixedError('host CR0', vmcs.get(Field.HOST_CR0), CR0_FIXED0, CR0_FIXED1)
    ?? fixedError('host CR4', cr4, CR4_FIXED0, CR4_FIXED1);
  if (e) return e;
  if (!physFieldOk(vmcs, Field.HOST_CR3)) return `host CR3 sets bits beyond the physical-address width (${MAXPHYADDR})`;
  if (!canonical(vmcs, Field.HOST_SYSENTER_ESP)) return 'host IA32_SYSENTER_ESP is not canonical';
  if (!canonical(vmcs, Field.HOST_SYSENTER_EIP)) return 'host IA32_SYSENTER_EIP is not canonical';
  if ((exit & ExitCtl.LOAD_PAT) !== 0 && patError(vmcs.get(Field.HOST_IA32_PAT))) return 'host IA32_PAT has an invalid memory type';
  if ((exit & ExitCtl.LOAD_EFER) !== 0) {
    const efer = vmcs.get(Field.HOST_IA32_EFER);
    if ((efer & ~BigInt(EFER_SUPPORTED)) !== 0n) return 'host IA32_EFER sets reserved bits';
    if (((efer & BigInt(Efer.LMA)) !== 0n) !== hass) return 'host IA32_EFER.LMA differs from "host address-space size"';
    if (((efer & BigInt(Efer.LME)) !== 0n) !== hass) return 'host IA32_EFER.LME differs from "host address-space size"';
  }
  // 27.2.3 selectors and bases
  for (const [name, f] of HOST_SELECTORS) {
    if ((vmcs.get32(f) & 7) !== 0) return `host ${name} selector 0x${vmcs.get32(f).toString(16)} has RPL or TI set`;
  }
  if (vmcs.get32(Field.HOST_CS_SELECTOR) === 0) return 'host CS selector is 0';
  if (vmcs.get32(Field.HOST_TR_SELECTOR) === 0) return 'host TR selector is 0';
  if (!hass && vmcs.get32(Field.HOST_SS_SELECTOR) === 0) return 'host SS selector is 0 with "host address-space size" 0';
  for (const [name, f] of HOST_BASES) if (!canonical(vmcs, f)) return `host ${name} base is not canonical`;
  // 27.2.4 address-space size
  const ia32eGuest = (entry & EntryCtl.IA32E_MODE_GUEST) !== 0;
  if (!inIa32e && (ia32eGuest || hass)) return 'outside IA-32e mode, "IA-32e mode guest" and "host address-space size" must be 0';
  if (inIa32e && !hass) return 'in IA-32e mode, "host address-space size" must be 1';
  // "host address-space size" is always 1 here (capabilities.ts), so the rules for 0 never apply.
  if ((cr4 & BigInt(Cr4.PAE)) === 0n) return 'host CR4.PAE is 0 with "host address-space size" 1';
  if (!canonical(vmcs, Field.HOST_RIP)) return 'host RIP is not canonical';
  return undefined;
}

export interface GuestStateError { message: string; qualification: number }

const SEG_NAMES = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS', 'LDTR', 'TR'];
const AR_UNUSABLE = 1 << 16;

/**
 * 27.3.1: guest-state area. Failures are VM-entry failures with qualification 0 except the VMCS
 * link pointer (4). `stablePassed`: the checks of everything but RIP, RFLAGS, non-register state
 * and the link pointer passed on these same field values (entry.ts), and are not run again.
 */
export function checkGuestState(vmcs: Vmcs, phys: PhysicalMemory, stablePassed = false): GuestStateError | undefined {
  const message = stablePassed ? guestRipRflagsError(vmcs) ?? guestNonRegisterError(vmcs)
    : guestRegisterError(vmcs) ?? guestRipRflagsError(vmcs) ?? guestSegmentError(vmcs) ?? guestNonRegisterError(vmcs);
  if (message) return { message, qualification: 0 };
  const link = linkPointerError(vmcs, phys);
  return link ? { message: link, qualification: 4 } : undefined;
}

/** 27.3.1.1 control registers, debug registers, MSRs; 27.3.1.3 descriptor tables. */
function guestRegisterError(vmcs: Vmcs): string | undefined {
  const entry = vmcs.get32(Field.VM_ENTRY_CONTROLS);
  const ia32e = (entry & EntryCtl.IA32E_MODE_GUEST) !== 0;
  const cr0 = vmcs.get(Field.GUEST_CR0);
  const cr4 = vmcs.get(Field.GUEST_CR4);
  const e = fixedError('guest CR0', cr0, CR0_FIXED0, CR0_FIXED1) ?? fixedError('guest CR4', cr4, CR4_FIXED0, CR4_FIXED1);
  if (e) return e;
  const pg = (cr0 & BigInt(Cr0.PG)) !== 0n;
  if ((entry & EntryCtl.LOAD_DEBUG_CONTROLS) !== 0) {
    if ((vmcs.get(Field.GUEST_IA32_DEBUGCTL) & ~0x7fc3n) !== 0n) return 'guest IA32_DEBUGCTL sets reserved bits';
    if (vmcs.high(Field.GUEST_DR7) !== 0) return 'guest DR7 bits 63:32 are set';
  }
  if (ia32e && (!pg || (cr4 & BigInt(Cr4.PAE)) === 0n)) return '"IA-32e mode guest" is 1 but guest CR0.PG or CR4.PAE is 0';
  if (!physFieldOk(vmcs, Field.GUEST_CR3)) return `guest CR3 sets bits beyond the physical-address width (${MAXPHYADDR})`;
  if (!canonical(vmcs, Field.GUEST_SYSENTER_ESP)) return 'guest IA32_SYSENTER_ESP is not canonical';
  if (!canonical(vmcs, Field.GUEST_SYSENTER_EIP)) return 'guest IA32_SYSENTER_EIP is not canonical';
  if ((entry & EntryCtl.LOAD_PAT) !== 0 && patError(vmcs.get(Field.GUEST_IA32_PAT))) return 'guest IA32_PAT has an invalid memory type';
  if ((entry & EntryCtl.LOAD_EFER) !== 0) {
    const efer = vmcs.get(Field.GUEST_IA32_EFER);
    if ((efer & ~BigInt(EFER_SUPPORTED)) !== 0n) return 'guest IA32_EFER sets reserved bits';
    if (((efer & BigInt(Efer.LMA)) !== 0n) !== ia32e) return 'guest IA32_EFER.LMA differs from "IA-32e mode guest"';
    if (pg && ((efer & BigInt(Efer.LME)) !== 0n) !== ia32e) return 'guest IA32_EFER.LME differs from "IA-32e mode guest" with CR0.PG = 1';
  }
  // 27.3.1.3
  if (!canonical(vmcs, Field.GUEST_GDTR_BASE)) return 'guest GDTR base is not canonical';
  if (!canonical(vmcs, Field.GUEST_IDTR_BASE)) return 'guest IDTR base is not canonical';
  if ((vmcs.get32(Field.GUEST_GDTR_LIMIT) >>> 16) !== 0) return 'guest GDTR limit bits 31:16 are set';
  if ((vmcs.get32(Field.GUEST_IDTR_LIMIT) >>> 16) !== 0) return 'guest IDTR limit bits 31:16 are set';
  return undefined;
}

/** 27.3.1.4 RIP and RFLAGS. */
function guestRipRflagsError(vmcs: Vmcs): string | undefined {
  const ia32e = (vmcs.get32(Field.VM_ENTRY_CONTROLS) & EntryCtl.IA32E_MODE_GUEST) !== 0;
  // On 32-bit halves: these run at every VM entry.
  const csL = (vmcs.get32(Field.GUEST_CS_AR) & (1 << 13)) !== 0;
  if (!(ia32e && csL) && vmcs.high(Field.GUEST_RIP) !== 0) return 'guest RIP bits 63:32 are set outside 64-bit mode';
  if (ia32e && csL && !canonical(vmcs, Field.GUEST_RIP)) return 'guest RIP is not canonical';
  const rflags = vmcs.get32(Field.GUEST_RFLAGS);
  if (vmcs.high(Field.GUEST_RFLAGS) !== 0 || (rflags & ~0x3f7fd7) !== 0) return 'guest RFLAGS sets reserved bits (63:22, 15, 5 or 3)';
  if ((rflags & 2) === 0) return 'guest RFLAGS bit 1 is 0';
  if ((ia32e || (vmcs.get32(Field.GUEST_CR0) & Cr0.PE) === 0) && (rflags & Flag.VM) !== 0) return 'guest RFLAGS.VM is 1 in IA-32e mode or with CR0.PE = 0';
  const intr = vmcs.get32(Field.VM_ENTRY_INTR_INFO);
  if ((intr & IntrInfo.VALID) !== 0 && ((intr >> 8) & 7) === EventType.EXTERNAL_INTERRUPT && (rflags & Flag.IF) === 0) {
    return 'injecting an external interrupt with guest RFLAGS.IF = 0';
  }
  return undefined;
}

/** A guest segment's fields, the base as its two 32-bit halves. */
interface GuestSeg { name: string; selector: number; baseLo: number; baseHi: number; limit: number; ar: number; usable: boolean }

function guestSeg(vmcs: Vmcs, i: number): GuestSeg {
  const ar = vmcs.get32(Field.GUEST_ES_AR + 2 * i);
  return {
    name: SEG_NAMES[i], selector: vmcs.get32(Field.GUEST_ES_SELECTOR + 2 * i),
    baseLo: vmcs.get32(Field.GUEST_ES_BASE + 2 * i), baseHi: vmcs.high(Field.GUEST_ES_BASE + 2 * i),
    limit: vmcs.get32(Field.GUEST_ES_LIMIT + 2 * i), ar, usable: (ar & AR_UNUSABLE) === 0,
  };
}

/** Limit/granularity consistency, present bit and reserved bits of a usable segment's access rights. */
function arCommonError(s: GuestSeg): string | undefined {
  if ((s.ar & 0x80) === 0) return `guest ${s.name} is not present`;
  if ((s.ar & 0xf00) !== 0 || (s.ar >>> 17) !== 0) return `guest ${s.name} access rights set reserved bits`;
  const g = (s.ar & 0x8000) !== 0;
  if ((s.limit & 0xfff) !== 0xfff && g) return `guest ${s.name} has G = 1 but limit bits 11:0 are not all 1`;
  if ((s.limit >>> 20) !== 0 && !g) return `guest ${s.name} has G = 0 but limit bits 31:20 are not 0`;
  return undefined;
}

/** 27.3.1.2 segment registers. */
function guestSegmentError(vmcs: Vmcs): string | undefined {
  const segs = [0, 1, 2, 3, 4, 5, 6, 7].map(i => guestSeg(vmcs, i));
  const [es, cs, ss, ds, fs, gs, ldtr, tr] = segs;
  const ia32e = (vmcs.get32(Field.VM_ENTRY_CONTROLS) & EntryCtl.IA32E_MODE_GUEST) !== 0;
  // "IA-32e mode guest" is required (capabilities.ts), so RFLAGS.VM is 0 here and the virtual-8086 rules never apply.
  // selectors
  if ((tr.selector & 4) !== 0) return 'guest TR selector has TI set';
  if (ldtr.usable && (ldtr.selector & 4) !== 0) return 'guest LDTR selector has TI set';
  if ((ss.selector & 3) !== (cs.selector & 3)) return 'guest SS.RPL differs from CS.RPL';
  // bases
  const canonicalBase = (seg: GuestSeg): boolean => seg.baseHi >>> 15 === 0 || seg.baseHi >>> 15 === 0x1ffff;
  for (const s of [tr, fs, gs]) if (!canonicalBase(s)) return `guest ${s.name} base is not canonical`;
  if (ldtr.usable && !canonicalBase(ldtr)) return 'guest LDTR base is not canonical';
  if (cs.baseHi !== 0) return 'guest CS base bits 63:32 are set';
  for (const s of [ss, ds, es]) if (s.usable && s.baseHi !== 0) return `guest ${s.name} base bits 63:32 are set`;
  // CS
  const csType = cs.ar & 0xf;
  if ((csType & 9) !== 9) return `guest CS type ${csType} is not an accessed code segment`;
  if ((cs.ar & 0x10) === 0) return 'guest CS is not a code/data segment (S = 0)';
  const dpl = (s: GuestSeg): number => (s.ar >> 5) & 3;
  if ((csType === 9 || csType === 11) && dpl(cs) !== dpl(ss)) return 'guest CS.DPL differs from SS.DPL for a non-conforming CS';
  if ((csType === 13 || csType === 15) && dpl(cs) > dpl(ss)) return 'guest CS.DPL is greater than SS.DPL for a conforming CS';
  if (!cs.usable) return 'guest CS is unusable';
  const csErr = arCommonError(cs);
  if (csErr) return csErr;
  if (ia32e && (cs.ar & (1 << 13)) !== 0 && (cs.ar & (1 << 14)) !== 0) return 'guest CS has both L and D/B set in IA-32e mode';
  // SS
  if (ss.usable) {
    const t = ss.ar & 0xf;
    if (t !== 3 && t !== 7) return `guest SS type ${t} is not a writable accessed data segment`;
    if ((ss.ar & 0x10) === 0) return 'guest SS has S = 0';
    const ssErr = arCommonError(ss);
    if (ssErr) return ssErr;
  }
  if (dpl(ss) !== (ss.selector & 3)) return 'guest SS.DPL differs from SS.RPL';
  // DS, ES, FS, GS
  for (const s of [ds, es, fs, gs]) {
    if (!s.usable) continue;
    const t = s.ar & 0xf;
    if ((t & 1) === 0) return `guest ${s.name} type ${t} is not accessed`;
    if ((t & 8) !== 0 && (t & 2) === 0) return `guest ${s.name} is an execute-only code segment`;
    if ((s.ar & 0x10) === 0) return `guest ${s.name} has S = 0`;
    if (t <= 11 && dpl(s) < (s.selector & 3)) return `guest ${s.name}.DPL is less than its RPL`;
    const err = arCommonError(s);
    if (err) return err;
  }
  // TR
  const trType = tr.ar & 0xf;
  if (ia32e ? trType !== 11 : trType !== 3 && trType !== 11) return `guest TR type ${trType} is not a busy TSS${ia32e ? ' (64-bit: 11)' : ''}`;
  if ((tr.ar & 0x10) !== 0) return 'guest TR has S = 1';
  if (!tr.usable) return 'guest TR is unusable';
  const trErr = arCommonError(tr);
  if (trErr) return trErr;
  // LDTR
  if (ldtr.usable) {
    if ((ldtr.ar & 0xf) !== 2) return `guest LDTR type ${ldtr.ar & 0xf} is not 2`;
    if ((ldtr.ar & 0x10) !== 0) return 'guest LDTR has S = 1';
    const err = arCommonError(ldtr);
    if (err) return err;
  }
  return undefined;
}

/** 27.3.1.5 non-register state. */
function guestNonRegisterError(vmcs: Vmcs): string | undefined {
  const activity = vmcs.get32(Field.GUEST_ACTIVITY_STATE);
  const intr = vmcs.get32(Field.GUEST_INTERRUPTIBILITY);
  const rflags = vmcs.get32(Field.GUEST_RFLAGS); // bits 63:22 were checked to be 0 (guestRipRflagsError)
  const inject = vmcs.get32(Field.VM_ENTRY_INTR_INFO);
  const injecting = (inject & IntrInfo.VALID) !== 0;
  const injType = (inject >> 8) & 7;
  if (activity !== Activity.ACTIVE && activity !== Activity.HLT) return `guest activity state ${activity} is not supported (IA32_VMX_MISC[8:6])`;
  if (activity === Activity.HLT && ((vmcs.get32(Field.GUEST_SS_AR) >> 5) & 3) !== 0) return 'guest activity state is HLT with SS.DPL != 0';
  if (activity !== Activity.ACTIVE && (intr & (Interruptibility.STI | Interruptibility.MOV_SS)) !== 0) {
    return 'guest activity state is not active with blocking by STI or MOV SS';
  }
  if (injecting && activity === Activity.HLT) {
    const v = inject & 0xff;
    const ok = injType === EventType.EXTERNAL_INTERRUPT || injType === EventType.NMI ||
      (injType === EventType.HARDWARE_EXCEPTION && (v === 1 || v === 18));
    if (!ok) return 'guest activity state HLT does not allow the injected event';
  }
  if ((intr >>> 5) !== 0) return 'guest interruptibility state sets reserved bits 31:5';
  if ((intr & 3) === 3) return 'guest interruptibility state has both blocking by STI and by MOV SS';
  if ((rflags & Flag.IF) === 0 && (intr & Interruptibility.STI) !== 0) return 'guest blocking by STI with RFLAGS.IF = 0';
  if (injecting && (injType === EventType.EXTERNAL_INTERRUPT || injType === EventType.NMI) && (intr & 3) !== 0) {
    return 'injecting an external interrupt or NMI with blocking by STI or MOV SS';
  }
  if ((intr & Interruptibility.SMI) !== 0) return 'guest blocking by SMI outside SMM';
  if ((intr & Interruptibility.ENCLAVE) !== 0) return 'guest enclave interruption bit is set';
  const pde = vmcs.get32(Field.GUEST_PENDING_DBG_EXCEPTIONS);
  if (vmcs.high(Field.GUEST_PENDING_DBG_EXCEPTIONS) !== 0 || (pde & ~0x1500f) !== 0) return 'guest pending debug exceptions set reserved bits';
  const bs = (pde & 0x4000) !== 0;
  if ((intr & 3) !== 0 || activity === Activity.HLT) {
    const tf = (rflags & Flag.TF) !== 0;
    const btf = (vmcs.get(Field.GUEST_IA32_DEBUGCTL) & 2n) !== 0n;
    if (tf && !btf && !bs) return 'guest pending debug exception BS must be 1 with RFLAGS.TF = 1 and blocking or HLT';
    if ((!tf || btf) && bs) return 'guest pending debug exception BS must be 0 without single-stepping';
  }
  return undefined;
}

function linkPointerError(vmcs: Vmcs, phys: PhysicalMemory): string | undefined {
  const link = vmcs.get(Field.VMCS_LINK_POINTER);
  if (link === 0xffffffffffffffffn) return undefined;
  if (!pageAligned(link)) return 'VMCS link pointer is not FFFFFFFF_FFFFFFFFH nor a 4-KByte aligned physical address';
  const rev = phys.read32(Number(link));
  if (rev !== VMCS_REVISION_ID) return 'VMCS link pointer does not reference a VMCS with this revision identifier (shadow VMCS unsupported)';
  return undefined;
}
