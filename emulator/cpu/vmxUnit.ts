// The seam between the instruction interpreter (cpu/) and VMX (vmx/). The interpreter decodes
// and calls these; vmx/ implements the SDM's VMX behaviour behind them (vol. 3C ch. 24-31).
// Every method that may cause a VM exit performs the whole exit (guest state saved, host state
// loaded) and then throws VmExitTaken; the interpreter's loop catches it and the instruction
// is over. The frequent exits (VMCALL, CPUID, HLT, port I/O) return instead (vmcall() and
// interceptReturning() say true), and their handlers end the instruction with RIP committed:
// a throw costs more than the rest of an exit and entry together.

/** Instructions that may exit in VMX non-root operation (SDM 26.1.2, 26.1.3). */
export type InterceptedInstruction =
  | { kind: 'hlt' }
  | { kind: 'cpuid' }
  | { kind: 'rdtsc' }
  | { kind: 'rdtscp' }
  | { kind: 'rdpmc' }
  | { kind: 'rdmsr'; msr: number }
  | { kind: 'wrmsr'; msr: number }
  | { kind: 'io'; port: number; size: 1 | 2 | 4; in: boolean; string: boolean; rep: boolean; immediate: boolean }
  | { kind: 'mov-dr'; dr: number; toDr: boolean; gpr: number }
  | { kind: 'invlpg'; linear: bigint }
  | { kind: 'wbinvd' }
  | { kind: 'invd' }
  | { kind: 'pause' }
  | { kind: 'vmcall' }
  | { kind: 'clts' }
  | { kind: 'lmsw'; value: number; memory: boolean; linear: bigint }
  | { kind: 'descriptor-table'; instr: 'sgdt' | 'sidt' | 'lgdt' | 'lidt' | 'sldt' | 'str' | 'lldt' | 'ltr'; info?: number; qualification?: bigint };

export interface VmxUnit {
  /** VMX operation has begun (VMXON executed, no VMXOFF since). */
  readonly inVmxOperation: boolean;
  /** VMX non-root operation: the guest is running. */
  readonly nonRoot: boolean;

  /**
   * VMX instructions. `operand` is the linear address of the memory operand (VMXON, VMCLEAR,
   * VMPTRLD, VMPTRST, INVEPT/INVVPID descriptor) or undefined. `info` is the VM-exit
   * instruction-information field the interpreter computed for this instruction (SDM 27.2.5)
   * and `qualification` its displacement, used if the instruction exits from non-root.
   */
  vmxon(operand: bigint, info: number, qualification: bigint): void;
  vmxoff(): void;
  vmclear(operand: bigint, info: number, qualification: bigint): void;
  vmptrld(operand: bigint, info: number, qualification: bigint): void;
  vmptrst(operand: bigint, info: number, qualification: bigint): void;
  /**
   * The field encoding and values as 32-bit halves (no bigint on the hot path). VMREAD returns
   * true with the value to store in HALVES (cpu/halves.ts), false when it VMfailed (nothing is stored).
   */
  vmread(fieldLo: number, fieldHi: number, info: number, qualification: bigint): boolean;
  vmwrite(fieldLo: number, fieldHi: number, lo: number, hi: number, info: number, qualification: bigint): void;
  /**
   * VMREAD and VMWRITE for compiled blocks (64-bit code): the instructions' VMsucceed path
   * alone, taken and true in VMX root operation at CPL 0 with a current VMCS that has the field
   * (writable, for VMWRITE); false with nothing done otherwise, and the handler decides. The
   * caller clears the status flags; VMREAD's value is in HALVES.
   */
  vmreadSucceeds(fieldLo: number, fieldHi: number): boolean;
  vmwriteSucceeds(fieldLo: number, fieldHi: number, lo: number, hi: number): boolean;
  /** Returns true when VM entry succeeded: the CPU is now in the guest and RIP is the guest's. */
  vmlaunch(): boolean;
  /** VMCALL (SDM vol. 2): #UD outside VMX operation, VMfail in root operation, VM exit in non-root (returns true: RIP is the host's). */
  vmcall(): boolean;
  /** Added to the TSC that RDTSC/RDTSCP/RDMSR(0x10) return in non-root ("use TSC offsetting"); 0n otherwise. */
  readonly tscOffset: bigint;
  vmresume(): boolean;
  invept(type: bigint, descriptor: bigint, info: number, qualification: bigint): void;
  invvpid(type: bigint, descriptor: bigint, info: number, qualification: bigint): void;

  /** Non-root only: VM exit (thrown as VmExitTaken) if the controls say this instruction exits; otherwise returns. */
  intercept(instr: InterceptedInstruction): void;
  /**
   * The same, for a handler that ends the instruction itself: returns true after the VM exit
   * (the CPU is in the host; the handler returns at once with RIP committed), false otherwise.
   * A throw costs more than the rest of a VM exit and entry together.
   */
  interceptReturning(instr: InterceptedInstruction): boolean;
  /** Non-root only: MOV to CR0/CR3/CR4/CR8. Returns the value to load (guest/host mask applied), or exits. */
  movToCr(cr: number, gpr: number, value: bigint): bigint;
  /** Non-root only: MOV from CR0/CR3/CR4/CR8. Returns what the guest reads (read shadows), or exits. */
  movFromCr(cr: number, gpr: number, actual: bigint): bigint;
  /** Non-root only: an exception or NMI about to be delivered; exits if the exception bitmap says so (SDM 25.2). */
  interceptException(vector: number, errorCode: number | undefined, software: boolean, pfLinear?: bigint): void;
  /** Non-root only: a triple fault exits with reason 2 (SDM 25.2); always throws. */
  tripleFault(): never;
  /** Non-root only: guest-physical to host-physical through EPT, or an EPT violation/misconfiguration exit. */
  translateGuestPhysical(gpa: bigint, access: 'read' | 'write' | 'execute', linear: bigint | undefined, pagingStructure: boolean): number;
  /** Non-root: the icount at which the VMX-preemption timer reaches zero (26.5.1), if it is armed. */
  readonly preemptionTimerDeadline: number | undefined;
  /** Called before each instruction in non-root operation (VMX-preemption timer, SDM 25.5.1). */
  beforeInstruction(): void;
  /**
   * The event whose delivery through the IDT was in progress when the current fault or VM exit
   * arose (type per SDM 25.8.3), set by the interpreter while it delivers an event and cleared
   * after; a VM exit reports it as IDT-vectoring information (SDM 28.2.4) and clears it.
   */
  eventDelivery: { vector: number; type: number; errorCode: number | undefined } | undefined;
  /** RDMSR of the IA32_VMX_* capability MSRs (0x480-0x491); undefined for any other MSR. */
  readCapabilityMsr(msr: number): bigint | undefined;
}

/** The I/O port space (SDM vol. 1 ch. 19). Devices live behind it. */
export interface IoBus {
  in(port: number, size: 1 | 2 | 4): number;
  out(port: number, size: 1 | 2 | 4, value: number): void;
}
