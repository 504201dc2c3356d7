// VMX control words: bit names and layouts of the VM-execution (25.6), VM-exit (25.7) and
// VM-entry (25.8) control fields, plus the event-information formats they share.

/*
 * Pin-based VM-execution controls (25.6.1, Table 25-5)
 *  0  external-interrupt exiting      3  NMI exiting
 *  5  virtual NMIs                    6  activate VMX-preemption timer
 *  7  process posted interrupts       1,2,4  default1
 */
export const enum Pin {
  EXTERNAL_INTERRUPT_EXITING = 1 << 0, NMI_EXITING = 1 << 3, VIRTUAL_NMIS = 1 << 5,
  PREEMPTION_TIMER = 1 << 6, POSTED_INTERRUPTS = 1 << 7,
}

/*
 * Primary processor-based VM-execution controls (25.6.2, Table 25-6)
 *  2  interrupt-window exiting   3  use TSC offsetting   7  HLT exiting       9  INVLPG exiting
 * 10  MWAIT exiting             11  RDPMC exiting       12  RDTSC exiting    15  CR3-load exiting
 * 16  CR3-store exiting         17  activate tertiary   19  CR8-load exiting 20  CR8-store exiting
 * 21  use TPR shadow            22  NMI-window exiting  23  MOV-DR exiting   24  unconditional I/O exiting
 * 25  use I/O bitmaps           27  monitor trap flag   28  use MSR bitmaps  29  MONITOR exiting
 * 30  PAUSE exiting             31  activate secondary controls
 *  1,4,5,6,8,13,14,15,16,26 default1
 */
export const enum Proc {
  INTERRUPT_WINDOW_EXITING = 1 << 2, USE_TSC_OFFSETTING = 1 << 3, HLT_EXITING = 1 << 7,
  INVLPG_EXITING = 1 << 9, MWAIT_EXITING = 1 << 10, RDPMC_EXITING = 1 << 11, RDTSC_EXITING = 1 << 12,
  CR3_LOAD_EXITING = 1 << 15, CR3_STORE_EXITING = 1 << 16, ACTIVATE_TERTIARY = 1 << 17,
  CR8_LOAD_EXITING = 1 << 19, CR8_STORE_EXITING = 1 << 20, USE_TPR_SHADOW = 1 << 21,
  NMI_WINDOW_EXITING = 1 << 22, MOV_DR_EXITING = 1 << 23, UNCONDITIONAL_IO_EXITING = 1 << 24,
  USE_IO_BITMAPS = 1 << 25, MONITOR_TRAP_FLAG = 1 << 27, USE_MSR_BITMAPS = 1 << 28,
  MONITOR_EXITING = 1 << 29, PAUSE_EXITING = 1 << 30, ACTIVATE_SECONDARY = 1 << 31,
}

/*
 * Secondary processor-based VM-execution controls (25.6.2, Table 25-7)
 *  0  virtualize APIC accesses  1  enable EPT        2  descriptor-table exiting  3  enable RDTSCP
 *  4  virtualize x2APIC mode    5  enable VPID       6  WBINVD exiting            7  unrestricted guest
 * 10  PAUSE-loop exiting       12  enable INVPCID   13  enable VM functions      14  VMCS shadowing
 */
export const enum Proc2 {
  VIRTUALIZE_APIC_ACCESSES = 1 << 0, ENABLE_EPT = 1 << 1, DESCRIPTOR_TABLE_EXITING = 1 << 2,
  ENABLE_RDTSCP = 1 << 3, ENABLE_VPID = 1 << 5, WBINVD_EXITING = 1 << 6, UNRESTRICTED_GUEST = 1 << 7,
}

/*
 * Primary VM-exit controls (25.7.1, Table 25-13)
 *  2  save debug controls       9  host address-space size   12  load IA32_PERF_GLOBAL_CTRL
 * 15  acknowledge interrupt on exit   18  save IA32_PAT   19  load IA32_PAT   20  save IA32_EFER
 * 21  load IA32_EFER           22  save VMX-preemption timer value
 *  0-8,10,11,13,14,16,17 default1
 */
export const enum ExitCtl {
  SAVE_DEBUG_CONTROLS = 1 << 2, HOST_ADDRESS_SPACE_SIZE = 1 << 9, ACK_INTERRUPT_ON_EXIT = 1 << 15,
  SAVE_PAT = 1 << 18, LOAD_PAT = 1 << 19, SAVE_EFER = 1 << 20, LOAD_EFER = 1 << 21,
  SAVE_PREEMPTION_TIMER = 1 << 22,
}

/*
 * VM-entry controls (25.8.1, Table 25-15)
 *  2  load debug controls   9  IA-32e mode guest   10  entry to SMM   11  deactivate dual-monitor
 * 13  load IA32_PERF_GLOBAL_CTRL   14  load IA32_PAT   15  load IA32_EFER
 *  0-8,12 default1
 */
export const enum EntryCtl {
  LOAD_DEBUG_CONTROLS = 1 << 2, IA32E_MODE_GUEST = 1 << 9, ENTRY_TO_SMM = 1 << 10,
  DEACTIVATE_DUAL_MONITOR = 1 << 11, LOAD_PAT = 1 << 14, LOAD_EFER = 1 << 15,
}

/*
 * Interruption information (VM-entry 25.8.3, VM-exit 25.9.2, IDT-vectoring 25.9.3)
 *  7:0 vector   10:8 type   11 error code valid   12 NMI unblocking due to IRET   31 valid
 */
export const enum IntrInfo { VECTOR = 0xff, TYPE_SHIFT = 8, ERROR_CODE = 1 << 11, NMI_UNBLOCKING = 1 << 12, VALID = 0x80000000 }
export const enum EventType {
  EXTERNAL_INTERRUPT = 0, NMI = 2, HARDWARE_EXCEPTION = 3, SOFTWARE_INTERRUPT = 4,
  PRIVILEGED_SOFTWARE_EXCEPTION = 5, SOFTWARE_EXCEPTION = 6, OTHER_EVENT = 7,
}

/* Guest interruptibility state (25.4.2, Table 25-3): 0 STI, 1 MOV SS, 2 SMI, 3 NMI, 4 enclave */
export const enum Interruptibility { STI = 1 << 0, MOV_SS = 1 << 1, SMI = 1 << 2, NMI = 1 << 3, ENCLAVE = 1 << 4 }

/* Guest activity state (25.4.2): 0 active, 1 HLT, 2 shutdown, 3 wait-for-SIPI */
export const enum Activity { ACTIVE = 0, HLT = 1, SHUTDOWN = 2, WAIT_FOR_SIPI = 3 }
