// The current VMCS's VM-execution, VM-exit and VM-entry controls decoded once at VM entry.
// Non-root operation cannot change them (VMWRITE exits), so exit decisions read this copy
// instead of the VMCS (the SDM allows a processor to cache the current VMCS, 25.11.4).

import { Proc, Proc2 } from './controls';
import { Field } from './fields';
import type { Vmcs } from './vmcs';

export interface ActiveControls {
  pin: number; proc: number; proc2: number; exit: number;
  exceptionBitmap: number; pfecMask: number; pfecMatch: number;
  cr0Mask: bigint; cr0Shadow: bigint; cr4Mask: bigint; cr4Shadow: bigint;
  cr3Targets: bigint[];
  ioBitmapA: number; ioBitmapB: number; msrBitmap: number;
  /** EPT enabled: PML4 table address and whether accessed/dirty flags are on (EPTP bit 6). */
  ept: boolean; eptRoot: number; eptAccessedDirty: boolean;
  tscOffset: bigint;
}

export function activeControls(vmcs: Vmcs): ActiveControls {
  const proc = vmcs.get32(Field.CPU_BASED_VM_EXEC_CONTROL);
  const proc2 = (proc & Proc.ACTIVATE_SECONDARY) !== 0 ? vmcs.get32(Field.SECONDARY_VM_EXEC_CONTROL) : 0;
  const eptp = vmcs.get(Field.EPT_POINTER);
  const cr3Count = vmcs.get32(Field.CR3_TARGET_COUNT);
  return {
    pin: vmcs.get32(Field.PIN_BASED_VM_EXEC_CONTROL),
    proc, proc2,
    exit: vmcs.get32(Field.VM_EXIT_CONTROLS),
    exceptionBitmap: vmcs.get32(Field.EXCEPTION_BITMAP),
    pfecMask: vmcs.get32(Field.PAGE_FAULT_ERROR_CODE_MASK), pfecMatch: vmcs.get32(Field.PAGE_FAULT_ERROR_CODE_MATCH),
    cr0Mask: vmcs.get(Field.CR0_GUEST_HOST_MASK), cr0Shadow: vmcs.get(Field.CR0_READ_SHADOW),
    cr4Mask: vmcs.get(Field.CR4_GUEST_HOST_MASK), cr4Shadow: vmcs.get(Field.CR4_READ_SHADOW),
    cr3Targets: [0, 1, 2, 3].slice(0, cr3Count).map(i => vmcs.get(Field.CR3_TARGET_VALUE0 + 2 * i)),
    ioBitmapA: Number(vmcs.get(Field.IO_BITMAP_A)), ioBitmapB: Number(vmcs.get(Field.IO_BITMAP_B)),
    msrBitmap: Number(vmcs.get(Field.MSR_BITMAP)),
    ept: (proc2 & Proc2.ENABLE_EPT) !== 0, eptRoot: Number(eptp & ~0xfffn), eptAccessedDirty: (eptp & 0x40n) !== 0n,
    tscOffset: (proc & Proc.USE_TSC_OFFSETTING) !== 0 ? vmcs.get(Field.TSC_OFFSET) : 0n,
  };
}
