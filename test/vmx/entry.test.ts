// VM entry (SDM ch. 27): successful loading of guest state, VMfailValid(7) for control
// fields, VMfailValid(8) for host state, VM-entry failure exits (27.8) for guest state and
// MSR loading, event injection.

import { Seg } from '../../emulator/cpu/state';
import { Field } from '../../emulator/vmx/fields';
import { GUEST_SPACE } from '../../emulator/vmx/vmxCpu';
import type { Vmx } from '../../emulator/vmx/vmx';
import {
  CR0_PG_PROTECTED, FakeCpu, GUEST_RIP, GUEST_RSP, HOST_RIP, HOST_RSP, OTHER_VMCS, VMCS_REGION, expectExit, flags, launched,
  programVmcs, read, readyToLaunch, vmclear, vmcallExit, vmptrld, write,
} from './harness';

type Tweak = Array<[number, bigint | number]>;

function attempt(tweak: Tweak): { vmx: Vmx; cpu: FakeCpu; result: boolean | number; messages: string[] } {
  const { vmx, cpu } = readyToLaunch();
  for (const [f, v] of tweak) write(vmx, cpu, f, v);
  const messages: string[] = [];
  vmx.onEntryFailure((_e, m) => messages.push(m));
  let result: boolean | number;
  try {
    result = vmx.vmlaunch();
  } catch {
    result = Number(read(vmx, Field.VM_EXIT_REASON));
  }
  return { vmx, cpu, result, messages };
}

describe('successful VM entry', () => {
  it('loads the guest state and marks the VMCS launched', () => {
    const { vmx, cpu } = readyToLaunch();
    const entries: bigint[] = [];
    vmx.onEntry(() => entries.push(cpu.state.rip));
    expect(vmx.vmlaunch()).toBe(true);
    const s = cpu.state;
    expect(vmx.nonRoot).toBe(true);
    expect(s.rip).toBe(GUEST_RIP);
    expect(s.gpr[4]).toBe(GUEST_RSP);
    expect(s.cr3).toBe(0x2000n);
    expect(s.cr0).toBe(CR0_PG_PROTECTED);
    expect(s.efer).toBe(0x501);
    expect(s.seg[Seg.CS]).toEqual({ selector: 8, base: 0n, limit: 0xffffffff, attrs: 0xa09b });
    expect(s.seg[Seg.TR]).toEqual({ selector: 0x30, base: 0n, limit: 0x67, attrs: 0x8b });
    expect(s.seg[Seg.LDTR].attrs & 0x10000).toBe(0x10000);
    expect(s.gdtr).toEqual({ base: 0x1000n, limit: 0x3f });
    expect(s.mode64).toBe(true);
    expect(vmx.regions.get(VMCS_REGION)!.launchState).toBe('launched');
    expect(cpu.spaces).toEqual([GUEST_SPACE]); // the TLB of the guest's address space (no EPT in this VMCS)
    expect(entries).toEqual([GUEST_RIP]);
  });

  it('accepts unusable data segments and enters the HLT activity state', () => {
    const { cpu } = launched(w => {
      w(Field.GUEST_DS_AR, 0x10000);
      w(Field.GUEST_DS_SELECTOR, 0);
      w(Field.GUEST_DS_BASE, 0xdead_0000_1000n);
      w(Field.GUEST_ACTIVITY_STATE, 1);
    });
    expect(cpu.state.seg[Seg.DS].attrs).toBe(0x10000);
    expect(cpu.state.seg[Seg.DS].base).toBe(0x1000n); // 27.3.2.2: bits 63:32 cleared when unusable
    expect(cpu.state.halted).toBe(true);
  });

  it('keeps CR0.ET/CD/NW and reserved bits, normalizes DR7 (27.3.2.1)', () => {
    const { cpu } = launched(w => {
      w(Field.GUEST_CR0, (0x80010033 | 0x60000000 | 0x40) >>> 0); // CD NW and reserved bit 6 in the field
      w(Field.GUEST_DR7, 0xd001);
      w(Field.VM_ENTRY_CONTROLS, 0x11ff | (1 << 9) | (1 << 15)); // with "load debug controls"
    });
    expect(cpu.state.cr0).toBe(0x80010033);
    expect(cpu.state.dr[7]).toBe(0x401n);
  });

  it('without "load IA32_EFER", EFER.LMA/LME follow "IA-32e mode guest"', () => {
    const { cpu } = launched(w => w(Field.VM_ENTRY_CONTROLS, 0x11fb | (1 << 9)));
    expect(cpu.state.efer & 0x500).toBe(0x500);
  });

  it('VMRESUME loads the guest-state and VM-entry control fields as they are then, after entries that loaded them before (27.3.2)', () => {
    const { vmx, cpu } = launched();
    const s = cpu.state;
    vmcallExit(vmx);
    expect(vmx.vmresume()).toBe(true);
    vmcallExit(vmx);
    write(vmx, cpu, Field.GUEST_GS_BASE, 0x7000);
    write(vmx, cpu, Field.GUEST_CR3, 0x9000);
    write(vmx, cpu, Field.GUEST_IDTR_LIMIT, 0x1ff);
    expect(vmx.vmresume()).toBe(true);
    expect([s.seg[Seg.GS].base, s.cr3, s.idtr.limit]).toEqual([0x7000n, 0x9000n, 0x1ff]);
    // Without "load IA32_EFER" (a control field) entry keeps the host's EFER (0xd01, with NXE) and sets LMA/LME.
    vmcallExit(vmx);
    write(vmx, cpu, Field.VM_ENTRY_CONTROLS, Number(read(vmx, Field.VM_ENTRY_CONTROLS)) & ~(1 << 15));
    expect(vmx.vmresume()).toBe(true);
    expect(s.efer).toBe(0xd01);
  });

  it('a VMCS made current after another one is entered and left with its own fields, though both saw as many VMWRITEs', () => {
    const { vmx, cpu } = readyToLaunch();
    write(vmx, cpu, Field.HOST_FS_BASE, 0x6000);
    write(vmx, cpu, Field.GUEST_GS_BASE, 0x8000);
    vmclear(vmx, cpu, OTHER_VMCS);
    vmptrld(vmx, cpu, OTHER_VMCS);
    programVmcs(vmx, cpu);
    write(vmx, cpu, Field.HOST_FS_BASE, 0x7000);
    write(vmx, cpu, Field.GUEST_GS_BASE, 0x9000);
    const s = cpu.state;
    vmptrld(vmx, cpu, VMCS_REGION);
    expect(vmx.vmlaunch()).toBe(true);
    expect(s.seg[Seg.GS].base).toBe(0x8000n);
    vmcallExit(vmx);
    expect(s.seg[Seg.FS].base).toBe(0x6000n);
    vmptrld(vmx, cpu, OTHER_VMCS);
    expect(vmx.vmlaunch()).toBe(true);
    expect(s.seg[Seg.GS].base).toBe(0x9000n);
    vmcallExit(vmx);
    expect(s.seg[Seg.FS].base).toBe(0x7000n);
  });

  it('injects the event of the VM-entry interruption-information field', () => {
    const { cpu } = launched(w => {
      w(Field.VM_ENTRY_INTR_INFO, 0x80000b0d); // #GP, hardware exception, error code
      w(Field.VM_ENTRY_EXCEPTION_ERROR_CODE, 0x10);
    });
    expect(cpu.injected).toEqual([{ vector: 13, type: 3, errorCode: 0x10, length: 0 }]);
  });
});

describe('VMfailValid(7): invalid control fields (27.2.1)', () => {
  const cases: Array<[string, Tweak]> = [
    ['unsupported pin-based bit (posted interrupts)', [[Field.PIN_BASED_VM_EXEC_CONTROL, 0x96]]],
    ['pin-based default1 bit cleared', [[Field.PIN_BASED_VM_EXEC_CONTROL, 0x06]]],
    ['primary default1 bit cleared', [[Field.CPU_BASED_VM_EXEC_CONTROL, 0x04006170]]],
    ['TPR shadow not supported', [[Field.CPU_BASED_VM_EXEC_CONTROL, 0x04006172 | (1 << 21)]]],
    ['unrestricted guest not supported', [[Field.CPU_BASED_VM_EXEC_CONTROL, 0x84006172], [Field.SECONDARY_VM_EXEC_CONTROL, 0x80]]],
    ['CR3-target count 5', [[Field.CR3_TARGET_COUNT, 5]]],
    ['unaligned I/O bitmap A', [[Field.CPU_BASED_VM_EXEC_CONTROL, 0x06006172], [Field.IO_BITMAP_A, 0x103008]]],
    ['MSR bitmap beyond MAXPHYADDR', [[Field.CPU_BASED_VM_EXEC_CONTROL, 0x14006172], [Field.MSR_BITMAP, 1n << 40n]]],
    ['EPTP memory type 1', [[Field.CPU_BASED_VM_EXEC_CONTROL, 0x84006172], [Field.SECONDARY_VM_EXEC_CONTROL, 2], [Field.EPT_POINTER, 0x110019]]],
    ['EPTP 5-level walk', [[Field.CPU_BASED_VM_EXEC_CONTROL, 0x84006172], [Field.SECONDARY_VM_EXEC_CONTROL, 2], [Field.EPT_POINTER, 0x110026]]],
    ['VPID 0 with "enable VPID"', [[Field.CPU_BASED_VM_EXEC_CONTROL, 0x84006172], [Field.SECONDARY_VM_EXEC_CONTROL, 0x20]]],
    ['save timer without the timer', [[Field.VM_EXIT_CONTROLS, 0x00036dfb | (1 << 9) | (1 << 22)]]],
    ['exit controls default1 cleared', [[Field.VM_EXIT_CONTROLS, 0x200]]],
    ['entry to SMM', [[Field.VM_ENTRY_CONTROLS, 0x11fb | (1 << 9) | (1 << 10)]]],
    ['"IA-32e mode guest" 0 (this CPU runs IA-32e guests only)', [[Field.VM_ENTRY_CONTROLS, 0x11fb]]],
    ['"host address-space size" 0 (this CPU runs IA-32e hosts only)', [[Field.VM_EXIT_CONTROLS, 0x00036dfb]]],
    ['unaligned VM-exit MSR-store area', [[Field.VM_EXIT_MSR_STORE_COUNT, 1], [Field.VM_EXIT_MSR_STORE_ADDR, 0x6008]]],
    ['#GP injected without an error code', [[Field.VM_ENTRY_INTR_INFO, 0x8000030d]]],
    ['#UD injected with an error code', [[Field.VM_ENTRY_INTR_INFO, 0x80000b06]]],
    ['NMI with vector 3', [[Field.VM_ENTRY_INTR_INFO, 0x80000203]]],
    ['software interrupt with length 0', [[Field.VM_ENTRY_INTR_INFO, 0x80000480]]],
  ];
  it.each(cases)('%s', (_name, tweak) => {
    const { vmx, cpu, result, messages } = attempt(tweak);
    expect(result).toBe(false);
    expect(flags(cpu)).toEqual({ cf: false, zf: true });
    expect(read(vmx, Field.VM_INSTRUCTION_ERROR)).toBe(7n);
    expect(messages[0]).toMatch(/^VM entry with invalid control field\(s\): /);
    expect(vmx.nonRoot).toBe(false);
    expect(vmx.regions.get(VMCS_REGION)!.launchState).toBe('clear');
  });
});

describe('VMfailValid(8): invalid host state (27.2.2-27.2.4)', () => {
  const cases: Array<[string, Tweak]> = [
    ['CR0.NE clear', [[Field.HOST_CR0, CR0_PG_PROTECTED & ~0x20]]],
    ['CR4.VMXE clear', [[Field.HOST_CR4, 0x20]]],
    ['CR4.PAE clear with 64-bit host', [[Field.HOST_CR4, 0x2000]]],
    ['CR3 beyond MAXPHYADDR', [[Field.HOST_CR3, 1n << 45n]]],
    ['SS selector with RPL 3', [[Field.HOST_SS_SELECTOR, 0x13]]],
    ['TR selector with TI', [[Field.HOST_TR_SELECTOR, 0x1c]]],
    ['TR selector 0', [[Field.HOST_TR_SELECTOR, 0]]],
    ['CS selector 0', [[Field.HOST_CS_SELECTOR, 0]]],
    ['non-canonical GS base', [[Field.HOST_GS_BASE, 0x0000_8000_0000_0000n]]],
    ['non-canonical RIP', [[Field.HOST_RIP, 0x1234_0000_0000_0000n]]],
    ['EFER.LMA clear with "load IA32_EFER"', [[Field.HOST_IA32_EFER, 0x101]]],
    ['invalid PAT memory type with "load IA32_PAT"', [[Field.VM_EXIT_CONTROLS, 0x00036dfb | (1 << 9) | (1 << 19)], [Field.HOST_IA32_PAT, 0x02]]],
  ];
  it.each(cases)('%s', (_name, tweak) => {
    const { vmx, result, messages } = attempt(tweak);
    expect(result).toBe(false);
    expect(read(vmx, Field.VM_INSTRUCTION_ERROR)).toBe(8n);
    expect(messages[0]).toMatch(/^VM entry with invalid host-state field\(s\): /);
  });

  it('control fields are checked before host state', () => {
    const { vmx } = attempt([[Field.HOST_TR_SELECTOR, 0], [Field.CR3_TARGET_COUNT, 9]]);
    expect(read(vmx, Field.VM_INSTRUCTION_ERROR)).toBe(7n);
  });

  it('a control or host field written after a successful entry is checked again at VMRESUME', () => {
    // The checks that passed are kept while no control/host field changes (entry.ts): a VMWRITE must undo that.
    const { vmx, cpu } = launched();
    const roundTrip = () => { expect(vmcallExit(vmx)).toBe(18); return vmx.vmresume(); };
    expect(roundTrip()).toBe(true);
    vmcallExit(vmx);
    write(vmx, cpu, Field.CR3_TARGET_COUNT, 9);
    expect(vmx.vmresume()).toBe(false);
    expect(read(vmx, Field.VM_INSTRUCTION_ERROR)).toBe(7n);
    write(vmx, cpu, Field.CR3_TARGET_COUNT, 0);
    write(vmx, cpu, Field.HOST_TR_SELECTOR, 0);
    expect(vmx.vmresume()).toBe(false);
    expect(read(vmx, Field.VM_INSTRUCTION_ERROR)).toBe(8n);
    write(vmx, cpu, Field.HOST_TR_SELECTOR, 0x18);
    expect(vmx.vmresume()).toBe(true);
  });
});

describe('VM-entry failure exits (27.8)', () => {
  const guestCases: Array<[string, Tweak, RegExp]> = [
    ['CR0.PG clear (fixed to 1 without unrestricted guest)', [[Field.GUEST_CR0, 0x00010033]], /guest CR0 .*fixed to 1/],
    ['CR4.PAE clear in IA-32e mode', [[Field.GUEST_CR4, 0x2000]], /CR0.PG or CR4.PAE is 0/],
    ['CR4.VMXE clear', [[Field.GUEST_CR4, 0x20]], /guest CR4 .*fixed to 1/],
    ['RFLAGS bit 1 clear', [[Field.GUEST_RFLAGS, 0]], /bit 1 is 0/],
    ['RFLAGS reserved bit 3', [[Field.GUEST_RFLAGS, 0xa]], /RFLAGS sets reserved/],
    ['RFLAGS.VM in IA-32e mode', [[Field.GUEST_RFLAGS, 0x20002]], /RFLAGS.VM/],
    ['non-canonical RIP', [[Field.GUEST_RIP, 0x0000_8000_0000_0000n]], /guest RIP is not canonical/],
    ['CS is a data segment', [[Field.GUEST_CS_AR, 0xa093]], /CS type/],
    ['CS with L and D/B', [[Field.GUEST_CS_AR, 0xe09b]], /both L and D\/B/],
    ['SS.RPL differs from CS.RPL', [[Field.GUEST_SS_SELECTOR, 0x13]], /SS.RPL differs/],
    ['DS not accessed', [[Field.GUEST_DS_AR, 0xc092]], /DS type .* not accessed/],
    ['ES not present', [[Field.GUEST_ES_AR, 0xc013]], /ES is not present/],
    ['FS G = 0 with a 4-GByte limit', [[Field.GUEST_FS_AR, 0x4093]], /FS has G = 0/],
    ['TR unusable', [[Field.GUEST_TR_AR, 0x1008b]], /TR is unusable/],
    ['TR type 3 (16-bit busy TSS) in IA-32e mode', [[Field.GUEST_TR_AR, 0x83]], /TR type 3/],
    ['LDTR usable with a data type', [[Field.GUEST_LDTR_AR, 0x93]], /LDTR type/],
    ['GDTR limit above 0xffff', [[Field.GUEST_GDTR_LIMIT, 0x10000]], /GDTR limit/],
    ['activity state shutdown (unsupported)', [[Field.GUEST_ACTIVITY_STATE, 2]], /activity state 2/],
    ['blocking by STI with IF = 0', [[Field.GUEST_INTERRUPTIBILITY, 1]], /STI with RFLAGS.IF = 0/],
    ['EFER.LMA differs from "IA-32e mode guest"', [[Field.GUEST_IA32_EFER, 0x101]], /EFER.LMA/],
    ['SYSENTER_EIP not canonical', [[Field.GUEST_SYSENTER_EIP, 0x0000_8000_0000_0000n]], /SYSENTER_EIP/],
  ];
  it.each(guestCases)('invalid guest state: %s', (_name, tweak, pattern) => {
    const exits: number[] = [];
    const { vmx, cpu } = readyToLaunch();
    for (const [f, v] of tweak) write(vmx, cpu, f, v);
    vmx.onExit(e => exits.push(e.entryFailure ? e.reason | 0x80000000 : e.reason));
    const messages: string[] = [];
    vmx.onEntryFailure((_e, m) => messages.push(m));
    expect(expectExit(() => vmx.vmlaunch())).toBe(0x80000021);
    expect(read(vmx, Field.VM_EXIT_REASON)).toBe(0x80000021n);
    expect(read(vmx, Field.EXIT_QUALIFICATION)).toBe(0n);
    expect(cpu.state.rip).toBe(HOST_RIP);
    expect(cpu.state.gpr[4]).toBe(HOST_RSP);
    expect(vmx.nonRoot).toBe(false);
    expect(vmx.regions.get(VMCS_REGION)!.launchState).toBe('clear');
    expect(exits).toEqual([0x80000021 | 0]);
    expect(messages).toEqual([expect.stringMatching(pattern)]);
  });

  // The checks of the guest fields that exits save unchanged are skipped while those fields stand (entry.ts): a VMWRITE must undo that.
  it.each(guestCases)('invalid guest state written after a successful entry and exit: %s', (_name, tweak, pattern) => {
    const { vmx, cpu } = launched();
    expect(vmcallExit(vmx)).toBe(18);
    expect(vmx.vmresume()).toBe(true);
    expect(vmcallExit(vmx)).toBe(18);
    for (const [f, v] of tweak) write(vmx, cpu, f, v);
    const messages: string[] = [];
    vmx.onEntryFailure((_e, m) => messages.push(m));
    expect(expectExit(() => vmx.vmresume())).toBe(0x80000021);
    expect(messages).toEqual([expect.stringMatching(pattern)]);
  });

  it('invalid VMCS link pointer: qualification 4', () => {
    const { vmx, cpu } = readyToLaunch();
    write(vmx, cpu, Field.VMCS_LINK_POINTER, 0x180000);
    expect(expectExit(() => vmx.vmlaunch())).toBe(0x80000021);
    expect(read(vmx, Field.EXIT_QUALIFICATION)).toBe(4n);
  });

  it('MSR loading failure: reason 34 with the 1-based entry number', () => {
    const { vmx, cpu } = readyToLaunch();
    cpu.phys.write32(0x6000, 0x277); // IA32_PAT: fine
    cpu.phys.write64(0x6008, 0x0007040600070406n);
    cpu.phys.write32(0x6010, 0xc0000100); // IA32_FS_BASE: not allowed in the list
    write(vmx, cpu, Field.VM_ENTRY_MSR_LOAD_ADDR, 0x6000);
    write(vmx, cpu, Field.VM_ENTRY_MSR_LOAD_COUNT, 2);
    expect(expectExit(() => vmx.vmlaunch())).toBe(0x80000022);
    expect(read(vmx, Field.EXIT_QUALIFICATION)).toBe(2n);
    expect(cpu.state.rip).toBe(HOST_RIP);
  });

  it('loads the entry MSR list', () => {
    const { vmx, cpu } = readyToLaunch();
    cpu.phys.write32(0x6000, 0xc0000081); // IA32_STAR
    cpu.phys.write64(0x6008, 0x0023001000000000n);
    write(vmx, cpu, Field.VM_ENTRY_MSR_LOAD_ADDR, 0x6000);
    write(vmx, cpu, Field.VM_ENTRY_MSR_LOAD_COUNT, 1);
    expect(vmx.vmlaunch()).toBe(true);
    expect(cpu.state.msr.get(0xc0000081)).toBe(0x0023001000000000n);
  });
});
