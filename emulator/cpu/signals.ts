// Non-local control flow inside one instruction. Thrown from deep inside an instruction
// (a memory access, a privilege check, a VM exit) and caught only by the execution loop,
// which never lets any other JavaScript exception escape as an architectural event.

/** An exception the instruction raises (SDM vol. 3A 6.3.1 vectors); delivered by the loop. */
export class CpuFault {
  constructor(readonly vector: number, readonly errorCode?: number, readonly cr2?: bigint) {}
}

/** The current instruction ended in a VM exit; the processor is now in VMX root mode with host state loaded. */
export class VmExitTaken {
  constructor(readonly reason: number) {}
}

export const enum Vector {
  DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8,
  TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19,
}
