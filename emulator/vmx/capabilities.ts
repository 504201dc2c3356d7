// The IA32_VMX_* capability MSRs (SDM vol. 3C Appendix A), computed once. They describe exactly
// what emulator/vmx implements; RDMSR returns them and the VM-entry checks (27.2) test the
// controls against the same values, so the two can never disagree.

import { Cr0, Cr4, Efer } from '../cpu/state';
import { EntryCtl, ExitCtl, Pin, Proc, Proc2 } from './controls';
import { HIGHEST_FIELD_INDEX } from './fields';
import { join } from '../cpu/halves';

export const enum Msr {
  IA32_FEATURE_CONTROL = 0x3a,
  IA32_VMX_BASIC = 0x480, IA32_VMX_PINBASED_CTLS = 0x481, IA32_VMX_PROCBASED_CTLS = 0x482,
  IA32_VMX_EXIT_CTLS = 0x483, IA32_VMX_ENTRY_CTLS = 0x484, IA32_VMX_MISC = 0x485,
  IA32_VMX_CR0_FIXED0 = 0x486, IA32_VMX_CR0_FIXED1 = 0x487, IA32_VMX_CR4_FIXED0 = 0x488, IA32_VMX_CR4_FIXED1 = 0x489,
  IA32_VMX_VMCS_ENUM = 0x48a, IA32_VMX_PROCBASED_CTLS2 = 0x48b, IA32_VMX_EPT_VPID_CAP = 0x48c,
  IA32_VMX_TRUE_PINBASED_CTLS = 0x48d, IA32_VMX_TRUE_PROCBASED_CTLS = 0x48e,
  IA32_VMX_TRUE_EXIT_CTLS = 0x48f, IA32_VMX_TRUE_ENTRY_CTLS = 0x490,
}

/* IA32_FEATURE_CONTROL (vol. 3C 24.7): 0 lock, 1 VMX inside SMX, 2 VMX outside SMX */
export const enum FeatureControl { LOCK = 1 << 0, VMX_INSIDE_SMX = 1 << 1, VMX_OUTSIDE_SMX = 1 << 2 }

/** Physical-address width (CPUID.80000008H:EAX[7:0]); IA32_VMX_BASIC[48] = 0 so VMX addresses are limited by it. */
export const MAXPHYADDR = 39;
/** Bits 63:MAXPHYADDR of a physical address. */
export const PHYS_ADDR_RESERVED = ~((1n << BigInt(MAXPHYADDR)) - 1n) & 0xffffffffffffffffn;

/** VMCS revision identifier (IA32_VMX_BASIC[30:0]); the first 4 bytes of every VMXON and VMCS region. */
export const VMCS_REVISION_ID = 1;

/** A 32-bit control: bits that must be 1 (allowed 0-settings are 0) and bits that may be 1 (A.3). */
export interface ControlCaps { mustBe1: number; mayBe1: number }

function ctl(mustBe1: number, mayBe1: number): ControlCaps { return { mustBe1: mustBe1 >>> 0, mayBe1: (mayBe1 | mustBe1) >>> 0 }; }
function msrValue(c: ControlCaps): bigint { return join(c.mustBe1, c.mayBe1); }

const PIN_DEFAULT1 = 0x00000016;
const PROC_DEFAULT1 = 0x0401e172;
const EXIT_DEFAULT1 = 0x00036dff;
const ENTRY_DEFAULT1 = 0x000011ff;

// MWAIT and MONITOR always #UD on this CPU (CPUID.01H:ECX.MONITOR = 0), which has priority over the
// VM exit (26.1.1), so their exiting controls are accepted and can never fire.
const PIN_SUPPORTED = Pin.EXTERNAL_INTERRUPT_EXITING | Pin.NMI_EXITING | Pin.PREEMPTION_TIMER;
const PROC_SUPPORTED = Proc.INTERRUPT_WINDOW_EXITING | Proc.USE_TSC_OFFSETTING | Proc.HLT_EXITING |
  Proc.INVLPG_EXITING | Proc.MWAIT_EXITING | Proc.RDPMC_EXITING | Proc.RDTSC_EXITING | Proc.CR3_LOAD_EXITING |
  Proc.CR3_STORE_EXITING | Proc.CR8_LOAD_EXITING | Proc.CR8_STORE_EXITING | Proc.MOV_DR_EXITING |
  Proc.UNCONDITIONAL_IO_EXITING | Proc.USE_IO_BITMAPS | Proc.USE_MSR_BITMAPS | Proc.MONITOR_EXITING |
  Proc.PAUSE_EXITING | Proc.ACTIVATE_SECONDARY;
const PROC2_SUPPORTED = Proc2.ENABLE_EPT | Proc2.DESCRIPTOR_TABLE_EXITING | Proc2.ENABLE_RDTSCP |
  Proc2.ENABLE_VPID | Proc2.WBINVD_EXITING;
const EXIT_SUPPORTED = ExitCtl.SAVE_DEBUG_CONTROLS | ExitCtl.HOST_ADDRESS_SPACE_SIZE | ExitCtl.ACK_INTERRUPT_ON_EXIT |
  ExitCtl.SAVE_PAT | ExitCtl.LOAD_PAT | ExitCtl.SAVE_EFER | ExitCtl.LOAD_EFER | ExitCtl.SAVE_PREEMPTION_TIMER;
const ENTRY_SUPPORTED = EntryCtl.LOAD_DEBUG_CONTROLS | EntryCtl.IA32E_MODE_GUEST | EntryCtl.LOAD_PAT | EntryCtl.LOAD_EFER;

// The interpreter implements IA-32e paging and IA-32e event delivery only, so this CPU requires
// the guest and the host to be in IA-32e mode: "IA-32e mode guest" and "host address-space
// size" have no allowed 0-setting (a processor may require any control to be 1, A.4, A.5).
const EXIT_REQUIRED = ExitCtl.HOST_ADDRESS_SPACE_SIZE;
const ENTRY_REQUIRED = EntryCtl.IA32E_MODE_GUEST;

/** The TRUE_ variants (A.3.1, A.3.2, A.4, A.5): what the entry checks use, since IA32_VMX_BASIC[55] = 1. */
export const PINBASED = ctl(PIN_DEFAULT1, PIN_SUPPORTED);
export const PROCBASED = ctl(PROC_DEFAULT1 & ~(Proc.CR3_LOAD_EXITING | Proc.CR3_STORE_EXITING), PROC_SUPPORTED);
export const PROCBASED2 = ctl(0, PROC2_SUPPORTED);
export const EXIT_CTLS = ctl((EXIT_DEFAULT1 & ~ExitCtl.SAVE_DEBUG_CONTROLS) | EXIT_REQUIRED, EXIT_SUPPORTED);
export const ENTRY_CTLS = ctl((ENTRY_DEFAULT1 & ~EntryCtl.LOAD_DEBUG_CONTROLS) | ENTRY_REQUIRED, ENTRY_SUPPORTED);

/** IA32_VMX_MISC[4:0]: the preemption timer counts down by 1 each time TSC bit 5 changes. */
export const PREEMPTION_TIMER_RATE = 5;
export const CR3_TARGET_COUNT_MAX = 4;

// CR0: PE, NE and PG fixed to 1 (no unrestricted guest); CR4: VMXE fixed to 1 (A.7, A.8).
export const CR0_FIXED0 = (Cr0.PE | Cr0.NE | Cr0.PG) >>> 0;
export const CR0_FIXED1 = 0xffffffff;
export const CR4_FIXED0 = Cr4.VMXE;
/** The CR4 bits this CPU implements. */
export const CR4_FIXED1 = Cr4.DE | Cr4.PSE | Cr4.PAE | Cr4.MCE | Cr4.PGE | Cr4.PCE | Cr4.OSFXSR |
  Cr4.OSXMMEXCPT | Cr4.TSD | Cr4.VMXE | Cr4.FSGSBASE | Cr4.SMEP | Cr4.SMAP;
/** The IA32_EFER bits this CPU implements. */
export const EFER_SUPPORTED = Efer.SCE | Efer.LME | Efer.LMA | Efer.NXE;

/* IA32_VMX_EPT_VPID_CAP (A.10) */
export const enum EptCap {
  EXECUTE_ONLY = 1 << 0, WALK_LENGTH_4 = 1 << 6, MEMTYPE_UC = 1 << 8, MEMTYPE_WB = 1 << 14,
  PAGE_2M = 1 << 16, PAGE_1G = 1 << 17, INVEPT = 1 << 20, ACCESSED_DIRTY = 1 << 21,
  INVEPT_SINGLE_CONTEXT = 1 << 25, INVEPT_ALL_CONTEXT = 1 << 26,
}
/* High dword of IA32_VMX_EPT_VPID_CAP: 0 INVVPID, 8 individual-address, 9 single-context, 10 all-context, 11 single-context-retaining-globals */
export const enum VpidCap { INVVPID = 1 << 0, INDIVIDUAL_ADDRESS = 1 << 8, SINGLE_CONTEXT = 1 << 9, ALL_CONTEXT = 1 << 10, SINGLE_CONTEXT_RETAINING_GLOBALS = 1 << 11 }

const EPT_CAP = EptCap.EXECUTE_ONLY | EptCap.WALK_LENGTH_4 | EptCap.MEMTYPE_UC | EptCap.MEMTYPE_WB | EptCap.PAGE_2M |
  EptCap.PAGE_1G | EptCap.INVEPT | EptCap.ACCESSED_DIRTY | EptCap.INVEPT_SINGLE_CONTEXT | EptCap.INVEPT_ALL_CONTEXT;
const VPID_CAP = VpidCap.INVVPID | VpidCap.INDIVIDUAL_ADDRESS | VpidCap.SINGLE_CONTEXT | VpidCap.ALL_CONTEXT |
  VpidCap.SINGLE_CONTEXT_RETAINING_GLOBALS;

/** IA32_VMX_BASIC (A.1): revision, 4-KByte regions, write-back VMCS memory (type 6), TRUE controls (bit 55). */
const BASIC = BigInt(VMCS_REVISION_ID) | (0x1000n << 32n) | (6n << 50n) | (1n << 55n);
/**
 * IA32_VMX_MISC (A.6): timer rate, EFER.LMA stored into "IA-32e mode guest" (bit 5), HLT activity
 * state (bit 6), 4 CR3 targets; bits 27:25 = 0 (512 MSRs per list recommended); bit 29 = 0 (VMWRITE
 * to exit-information fields fails); bit 30 = 0 (software events need an instruction length).
 */
const MISC = BigInt(PREEMPTION_TIMER_RATE) | (1n << 5n) | (1n << 6n) | (BigInt(CR3_TARGET_COUNT_MAX) << 16n);

const CAPABILITY_MSRS = new Map<number, bigint>([
  [Msr.IA32_VMX_BASIC, BASIC],
  [Msr.IA32_VMX_PINBASED_CTLS, msrValue(ctl(PIN_DEFAULT1, PIN_SUPPORTED))],
  [Msr.IA32_VMX_PROCBASED_CTLS, msrValue(ctl(PROC_DEFAULT1, PROC_SUPPORTED))],
  [Msr.IA32_VMX_EXIT_CTLS, msrValue(ctl(EXIT_DEFAULT1 | EXIT_REQUIRED, EXIT_SUPPORTED))],
  [Msr.IA32_VMX_ENTRY_CTLS, msrValue(ctl(ENTRY_DEFAULT1 | ENTRY_REQUIRED, ENTRY_SUPPORTED))],
  [Msr.IA32_VMX_MISC, MISC],
  [Msr.IA32_VMX_CR0_FIXED0, BigInt(CR0_FIXED0)],
  [Msr.IA32_VMX_CR0_FIXED1, BigInt(CR0_FIXED1)],
  [Msr.IA32_VMX_CR4_FIXED0, BigInt(CR4_FIXED0)],
  [Msr.IA32_VMX_CR4_FIXED1, BigInt(CR4_FIXED1)],
  [Msr.IA32_VMX_VMCS_ENUM, BigInt(HIGHEST_FIELD_INDEX << 1)],
  [Msr.IA32_VMX_PROCBASED_CTLS2, msrValue(PROCBASED2)],
  [Msr.IA32_VMX_EPT_VPID_CAP, join(EPT_CAP, VPID_CAP)],
  [Msr.IA32_VMX_TRUE_PINBASED_CTLS, msrValue(PINBASED)],
  [Msr.IA32_VMX_TRUE_PROCBASED_CTLS, msrValue(PROCBASED)],
  [Msr.IA32_VMX_TRUE_EXIT_CTLS, msrValue(EXIT_CTLS)],
  [Msr.IA32_VMX_TRUE_ENTRY_CTLS, msrValue(ENTRY_CTLS)],
]);

/** RDMSR of an IA32_VMX_* capability MSR; undefined for any other index (IA32_VMX_VMFUNC is not implemented). */
export function capabilityMsr(msr: number): bigint | undefined { return CAPABILITY_MSRS.get(msr); }
