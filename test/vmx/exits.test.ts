// VM exits (SDM 26.1-26.2, 26.5.1, ch. 28): for every implemented exit reason the exit reason,
// qualification, instruction length/information, the guest state saved and the host state loaded.

import type { VmExitInfo } from '../../emulator/api';
import { CpuFault } from '../../emulator/cpu/signals';
import { Seg } from '../../emulator/cpu/state';
import type { InterceptedInstruction } from '../../emulator/cpu/vmxUnit';
import { Field } from '../../emulator/vmx/fields';
import {
  EFER_LONG, HOST_RIP, HOST_RSP, IO_BITMAP_A, IO_BITMAP_B, MSR_BITMAP, OPERAND, VMCS_REGION, expectExit, launched, read,
  vmcallExit, vmptrld, write,
} from './harness';

const PROC = 0x04006172;
const SECONDARY = 1 << 31;
const GUEST_AT = 0x100040n;

/** Launch with the given processor-based controls and put the guest at GUEST_AT executing an n-byte instruction. */
function guest(proc = PROC, tweak?: (w: (f: number, v: bigint | number) => void) => void, length = 2) {
  const exits: VmExitInfo[] = [];
  const r = launched(w => {
    w(Field.CPU_BASED_VM_EXEC_CONTROL, proc);
    tweak?.(w);
  });
  r.vmx.onExit(e => exits.push(e));
  r.cpu.state.rip = GUEST_AT;
  r.cpu.insnLength = length;
  return { ...r, exits };
}

const noExit = (action: () => unknown): void => { expect(action).not.toThrow(); };

describe('an exit saves guest state and loads host state (28.3, 28.5)', () => {
  it('VMCALL: reason 18, length, guest RIP/RSP/RFLAGS/segments saved, host state loaded, listener gets GPRs', () => {
    const { vmx, cpu, exits } = guest(PROC, undefined, 3);
    const s = cpu.state;
    s.gpr[0] = 0x10n; // RAX: hypercall number
    s.gpr[3] = 0x11n;
    s.gpr[4] = 0x7fff0n;
    s.setRflags(0x246);
    s.cr3 = 0x3000n;
    s.seg[Seg.FS].base = 0x1234n;
    expect(vmcallExit(vmx)).toBe(18);
    expect(read(vmx, Field.VM_EXIT_REASON)).toBe(18n);
    expect(read(vmx, Field.EXIT_QUALIFICATION)).toBe(0n);
    expect(read(vmx, Field.VM_EXIT_INSTRUCTION_LEN)).toBe(3n);
    expect(read(vmx, Field.GUEST_RIP)).toBe(GUEST_AT);
    expect(read(vmx, Field.GUEST_RSP)).toBe(0x7fff0n);
    expect(read(vmx, Field.GUEST_RFLAGS)).toBe(0x246n);
    expect(read(vmx, Field.GUEST_CR3)).toBe(0x3000n);
    expect(read(vmx, Field.GUEST_FS_BASE)).toBe(0x1234n);
    expect(read(vmx, Field.GUEST_CS_AR)).toBe(0xa09bn);
    expect(read(vmx, Field.GUEST_IA32_EFER)).toBe(0x501n);
    // host
    expect(vmx.nonRoot).toBe(false);
    expect(s.rip).toBe(HOST_RIP);
    expect(s.gpr[4]).toBe(HOST_RSP);
    expect(s.gpr[0]).toBe(0x10n);
    expect(s.getRflags()).toBe(2);
    expect(s.cr3).toBe(0x10000n);
    expect(s.efer).toBe(EFER_LONG);
    expect(s.seg[Seg.CS]).toEqual({ selector: 8, base: 0n, limit: 0xffffffff, attrs: 0xa09b });
    expect(s.seg[Seg.SS]).toEqual({ selector: 0x10, base: 0n, limit: 0xffffffff, attrs: 0xc093 });
    expect(s.seg[Seg.FS].base).toBe(0x5000n);
    expect(s.seg[Seg.TR]).toEqual({ selector: 0x18, base: 0x3000n, limit: 0x67, attrs: 0x8b });
    expect(s.seg[Seg.LDTR].attrs & 0x10000).toBe(0x10000);
    expect(s.gdtr).toEqual({ base: 0x2000n, limit: 0xffff });
    expect(s.idtr).toEqual({ base: 0x4000n, limit: 0xffff });
    expect(s.dr[7]).toBe(0x400n);
    expect(exits).toHaveLength(1);
    expect(exits[0]).toMatchObject({ reason: 18, reasonName: 'VMCALL', entryFailure: false, guestRip: GUEST_AT, instructionLength: 3 });
    expect(exits[0].guestGprs[0]).toBe(0x10n);
    expect(exits[0].guestGprs[4]).toBe(0x7fff0n);
  });

  it('saves a guest RIP and RSP in the upper canonical half, and a non-canonical RIP the debugger wrote, in all 64 bits', () => {
    for (const [rip, rsp] of [[0xffff_ffff_8000_1000n, 0xffff_8000_0000_0ff0n], [0x0000_8000_0000_0000n, 0x1_0000_0ff0n]]) {
      const { vmx, cpu } = guest(PROC, undefined, 3);
      cpu.state.rip = rip;
      cpu.state.gpr[4] = rsp;
      expect(vmcallExit(vmx)).toBe(18);
      expect([read(vmx, Field.GUEST_RIP), read(vmx, Field.GUEST_RSP)]).toEqual([rip, rsp]);
    }
  });

  it('VMRESUME returns to the saved guest state', () => {
    const { vmx, cpu } = guest();
    cpu.state.gpr[4] = 0x7ff00n;
    expectExit(() => vmx.intercept({ kind: 'cpuid' }));
    write(vmx, cpu, Field.GUEST_RIP, read(vmx, Field.GUEST_RIP) + 2n);
    expect(vmx.vmresume()).toBe(true);
    expect(cpu.state.rip).toBe(GUEST_AT + 2n);
    expect(cpu.state.gpr[4]).toBe(0x7ff00n);
    expect(cpu.state.efer).toBe(0x501);
  });

  it('an exit loads the host-state and VM-exit control fields as they are then, after exits that loaded them before (28.5)', () => {
    const { vmx, cpu } = guest();
    const s = cpu.state;
    expect(vmcallExit(vmx)).toBe(18);
    expect(vmx.vmresume()).toBe(true);
    expect(vmcallExit(vmx)).toBe(18);
    expect([s.seg[Seg.FS].base, s.gpr[4], s.efer]).toEqual([0x5000n, HOST_RSP, EFER_LONG]);
    write(vmx, cpu, Field.HOST_FS_BASE, 0x6000);
    write(vmx, cpu, Field.HOST_RSP, 0x7e000);
    write(vmx, cpu, Field.HOST_TR_BASE, 0x3100);
    expect(vmx.vmresume()).toBe(true);
    expect(vmcallExit(vmx)).toBe(18);
    expect([s.seg[Seg.FS].base, s.gpr[4], s.seg[Seg.TR].base]).toEqual([0x6000n, 0x7e000n, 0x3100n]);
    // Without "load IA32_EFER" (a control field) the exit keeps the guest's EFER (0x501, no NXE) and sets LMA/LME.
    write(vmx, cpu, Field.VM_EXIT_CONTROLS, Number(read(vmx, Field.VM_EXIT_CONTROLS)) & ~(1 << 21));
    expect(vmx.vmresume()).toBe(true);
    expect(vmcallExit(vmx)).toBe(18);
    expect(s.efer).toBe(0x501);
  });

  it('each exit saves the guest registers as they are then, after round trips that changed nothing (28.3)', () => {
    const { vmx, cpu } = guest(PROC, undefined, 3);
    const s = cpu.state;
    const roundTrip = (inGuest: () => void): void => {
      expect(vmx.vmresume()).toBe(true);
      inGuest();
      expect(vmcallExit(vmx)).toBe(18);
    };
    vmcallExit(vmx);
    roundTrip(() => {});
    const esLimit = s.seg[Seg.ES].limit;
    // What the guest changed: a segment base (WRMSR GS_BASE), a descriptor table, an MSR.
    roundTrip(() => { s.seg[Seg.GS].base = 0x7777n; });
    expect(read(vmx, Field.GUEST_GS_BASE)).toBe(0x7777n);
    roundTrip(() => { s.idtr.limit = 0x1ff; });
    expect(read(vmx, Field.GUEST_IDTR_LIMIT)).toBe(0x1ffn);
    roundTrip(() => { s.sysenterEip = 0xabcdn; });
    expect(read(vmx, Field.GUEST_SYSENTER_EIP)).toBe(0xabcdn);
    // A field the debugger wrote while the guest ran is overwritten by the processor's value,
    // bits 63:32 of natural-width fields too.
    roundTrip(() => { vmx.vmcsWrite(Field.GUEST_ES_LIMIT, 0x1234n); });
    expect(read(vmx, Field.GUEST_ES_LIMIT)).toBe(BigInt(esLimit));
    roundTrip(() => {
      vmx.vmcsWrite(Field.GUEST_CR0, (1n << 32n) | BigInt(s.cr0));
      vmx.vmcsWrite(Field.GUEST_RFLAGS, (1n << 40n) | BigInt(s.getRflags()));
    });
    expect([read(vmx, Field.GUEST_CR0), read(vmx, Field.GUEST_RFLAGS)]).toEqual([BigInt(s.cr0), BigInt(s.getRflags())]);
  });

  it('saves IA32_PAT and the exit MSR-store list, loads host PAT and the exit MSR-load list', () => {
    const { vmx, cpu } = guest(PROC, w => {
      w(Field.VM_EXIT_CONTROLS, 0x00036dfb | (1 << 9) | (1 << 18) | (1 << 19) | (1 << 21));
      w(Field.HOST_IA32_PAT, 0x0606060606060606n);
      w(Field.VM_EXIT_MSR_STORE_ADDR, 0x6000);
      w(Field.VM_EXIT_MSR_STORE_COUNT, 1);
      w(Field.VM_EXIT_MSR_LOAD_ADDR, 0x6100);
      w(Field.VM_EXIT_MSR_LOAD_COUNT, 1);
    });
    cpu.state.msr.set(0xc0000102, 0xabcdn); // guest KERNEL_GS_BASE
    cpu.phys.write32(0x6000, 0xc0000102);
    cpu.phys.write32(0x6100, 0xc0000102);
    cpu.phys.write64(0x6108, 0x1111n);
    expectExit(() => vmx.intercept({ kind: 'cpuid' }));
    expect(read(vmx, Field.GUEST_IA32_PAT)).toBe(0x0007040600070406n);
    expect(cpu.state.pat).toBe(0x0606060606060606n);
    expect(cpu.phys.read64(0x6008)).toBe(0xabcdn);
    expect(cpu.state.msr.get(0xc0000102)).toBe(0x1111n);
  });

  it('an invalid VM-exit MSR-store entry is a VMX abort (28.7): abort indicator 1, shutdown', () => {
    const { vmx, cpu } = guest(PROC, w => {
      w(Field.VM_EXIT_MSR_STORE_ADDR, 0x6000);
      w(Field.VM_EXIT_MSR_STORE_COUNT, 1);
    });
    cpu.phys.write32(0x6000, 0x9e); // IA32_SMBASE may not be stored
    expectExit(() => vmx.intercept({ kind: 'cpuid' }));
    expect(cpu.state.shutdown).toBe(true);
    expect(cpu.phys.read32(Number(VMCS_REGION) + 4)).toBe(1);
    expect(vmx.nonRoot).toBe(false);
  });

  it('a VM exit clears the valid bit of the VM-entry interruption-information field', () => {
    const { vmx } = guest(PROC, w => { w(Field.VM_ENTRY_INTR_INFO, 0x80000306); });
    expectExit(() => vmx.intercept({ kind: 'cpuid' }));
    expect(read(vmx, Field.VM_ENTRY_INTR_INFO)).toBe(0x306n);
  });
});

describe('instruction exits (26.1)', () => {
  type Case = [string, number, InterceptedInstruction, number, bigint];
  const cases: Case[] = [
    ['CPUID always', PROC, { kind: 'cpuid' }, 10, 0n],
    ['INVD always', PROC, { kind: 'invd' }, 13, 0n],
    ['HLT with HLT exiting', PROC | 1 << 7, { kind: 'hlt' }, 12, 0n],
    ['INVLPG with INVLPG exiting: the linear address', PROC | 1 << 9, { kind: 'invlpg', linear: 0xffff800000001000n }, 14, 0xffff800000001000n],
    ['RDPMC with RDPMC exiting', PROC | 1 << 11, { kind: 'rdpmc' }, 15, 0n],
    ['RDTSC with RDTSC exiting', PROC | 1 << 12, { kind: 'rdtsc' }, 16, 0n],
    ['MOV to DR7 from RBX with MOV-DR exiting', PROC | 1 << 23, { kind: 'mov-dr', dr: 7, toDr: true, gpr: 3 }, 29, 0x307n],
    ['MOV from DR6 to R9 with MOV-DR exiting', PROC | 1 << 23, { kind: 'mov-dr', dr: 6, toDr: false, gpr: 9 }, 29, 0x916n],
    ['PAUSE with PAUSE exiting', PROC | 1 << 30, { kind: 'pause' }, 40, 0n],
    ['RDMSR without MSR bitmaps', PROC, { kind: 'rdmsr', msr: 0x10 }, 31, 0n],
    ['WRMSR without MSR bitmaps', PROC, { kind: 'wrmsr', msr: 0xc0000080 }, 32, 0n],
    ['OUT DX, AL to 0x3f8 with unconditional I/O exiting', PROC | 1 << 24, { kind: 'io', port: 0x3f8, size: 1, in: false, string: false, rep: false, immediate: false }, 30, 0x03f80000n],
    ['IN EAX, 0x60 (immediate)', PROC | 1 << 24, { kind: 'io', port: 0x60, size: 4, in: true, string: false, rep: false, immediate: true }, 30, 0x0060004bn],
  ];
  it.each(cases)('%s', (_name, proc, instr, reason, qualification) => {
    const { vmx, exits } = guest(proc);
    expect(expectExit(() => vmx.intercept(instr))).toBe(reason);
    expect(read(vmx, Field.EXIT_QUALIFICATION)).toBe(qualification);
    expect(read(vmx, Field.VM_EXIT_INSTRUCTION_LEN)).toBe(2n);
    expect(read(vmx, Field.GUEST_RIP)).toBe(GUEST_AT);
    expect(exits[0].qualification).toBe(qualification);
  });

  const quiet: Array<[string, InterceptedInstruction]> = [
    ['HLT', { kind: 'hlt' }], ['INVLPG', { kind: 'invlpg', linear: 0n }], ['RDPMC', { kind: 'rdpmc' }], ['RDTSC', { kind: 'rdtsc' }],
    ['MOV DR', { kind: 'mov-dr', dr: 7, toDr: true, gpr: 0 }], ['PAUSE', { kind: 'pause' }], ['WBINVD', { kind: 'wbinvd' }],
    ['OUT', { kind: 'io', port: 0x80, size: 1, in: false, string: false, rep: false, immediate: true }],
    ['LGDT', { kind: 'descriptor-table', instr: 'lgdt' }],
  ];
  it.each(quiet)('%s does not exit when its control is 0', (_name, instr) => {
    const { vmx } = guest(PROC & ~(1 << 24) | 0);
    noExit(() => vmx.intercept(instr));
    expect(vmx.nonRoot).toBe(true);
  });

  it('WBINVD exiting (secondary control): reason 54', () => {
    const { vmx } = guest(PROC | SECONDARY, w => w(Field.SECONDARY_VM_EXEC_CONTROL, 1 << 6));
    expect(expectExit(() => vmx.intercept({ kind: 'wbinvd' }))).toBe(54);
  });

  it('RDTSCP: #UD without "enable RDTSCP", reason 51 with it and RDTSC exiting', () => {
    const off = guest(PROC | 1 << 12);
    expect(() => off.vmx.intercept({ kind: 'rdtscp' })).toThrow(CpuFault);
    const on = guest(PROC | 1 << 12 | SECONDARY, w => w(Field.SECONDARY_VM_EXEC_CONTROL, 1 << 3));
    expect(expectExit(() => on.vmx.intercept({ kind: 'rdtscp' }))).toBe(51);
  });

  it('descriptor-table exiting: GDTR_IDTR (46) and LDTR_TR (47) with the instruction identity in bits 29:28', () => {
    const a = guest(PROC | SECONDARY, w => w(Field.SECONDARY_VM_EXEC_CONTROL, 1 << 2));
    expect(expectExit(() => a.vmx.intercept({ kind: 'descriptor-table', instr: 'lidt', info: 0x3000_0000 | 0x2000, qualification: 8n }))).toBe(46);
    expect(read(a.vmx, Field.VMX_INSTRUCTION_INFO)).toBe(0x3000_2000n);
    expect(read(a.vmx, Field.EXIT_QUALIFICATION)).toBe(8n);
    const b = guest(PROC | SECONDARY, w => w(Field.SECONDARY_VM_EXEC_CONTROL, 1 << 2));
    expect(expectExit(() => b.vmx.intercept({ kind: 'descriptor-table', instr: 'ltr' }))).toBe(47);
    expect(read(b.vmx, Field.VMX_INSTRUCTION_INFO)).toBe(0x3000_0000n);
  });

  it('TSC offsetting applies only in non-root operation with the control set', () => {
    const { vmx } = guest(PROC | 1 << 3, w => w(Field.TSC_OFFSET, -1000n));
    expect(vmx.tscOffset).toBe(BigInt.asUintN(64, -1000n));
    expectExit(() => vmx.intercept({ kind: 'cpuid' }));
    expect(vmx.tscOffset).toBe(0n);
  });
});

describe('VMX instructions in non-root operation exit with their instruction information (26.1.2)', () => {
  type Case = [string, number, (vmx: ReturnType<typeof guest>['vmx']) => unknown];
  const cases: Case[] = [
    ['VMCLEAR', 19, v => v.vmclear(OPERAND, 0x1234, 0x10n)],
    ['VMLAUNCH', 20, v => v.vmlaunch()],
    ['VMPTRLD', 21, v => v.vmptrld(OPERAND, 0x1234, 0x10n)],
    ['VMPTRST', 22, v => v.vmptrst(OPERAND, 0x1234, 0x10n)],
    ['VMREAD', 23, v => v.vmread(0x681e, 0, 0x1234, 0x10n)],
    ['VMRESUME', 24, v => v.vmresume()],
    ['VMWRITE', 25, v => v.vmwrite(0x681e, 0, 0, 0, 0x1234, 0x10n)],
    ['VMXOFF (VMOFF)', 26, v => v.vmxoff()],
    ['VMXON (VMON)', 27, v => v.vmxon(OPERAND, 0x1234, 0x10n)],
    ['INVEPT', 50, v => v.invept(1n, OPERAND, 0x1234, 0x10n)],
    ['INVVPID', 53, v => v.invvpid(1n, OPERAND, 0x1234, 0x10n)],
  ];
  it.each(cases)('%s', (_name, reason, action) => {
    const { vmx, exits } = guest(PROC, undefined, 4);
    expect(expectExit(() => action(vmx))).toBe(reason);
    expect(read(vmx, Field.VM_EXIT_INSTRUCTION_LEN)).toBe(4n);
    const withOperand = ![20, 24, 26].includes(reason);
    expect(read(vmx, Field.VMX_INSTRUCTION_INFO)).toBe(withOperand ? 0x1234n : 0n);
    expect(read(vmx, Field.EXIT_QUALIFICATION)).toBe(withOperand ? 0x10n : 0n);
    expect(exits[0].reasonName).toBe(_name.replace(/.*\((.*)\)/, '$1'));
  });
});

describe('I/O bitmaps (25.6.4) and MSR bitmaps (25.6.9)', () => {
  const io = (port: number, size: 1 | 2 | 4, extra: Partial<Extract<InterceptedInstruction, { kind: 'io' }>> = {}): InterceptedInstruction =>
    ({ kind: 'io', port, size, in: false, string: false, rep: false, immediate: false, ...extra });
  function withBitmaps() {
    return guest(PROC | 1 << 25 | 1 << 24, w => { w(Field.IO_BITMAP_A, IO_BITMAP_A); w(Field.IO_BITMAP_B, IO_BITMAP_B); });
  }

  it('uses bitmap A below 0x8000 and B above; "unconditional I/O exiting" is ignored', () => {
    const g = withBitmaps();
    g.cpu.phys.write8(IO_BITMAP_A + (0x3f8 >> 3), 1 << (0x3f8 & 7));
    g.cpu.phys.write8(IO_BITMAP_B + ((0xcf8 & 0x7fff) >> 3), 0);
    noExit(() => g.vmx.intercept(io(0x3f9, 1)));
    noExit(() => g.vmx.intercept(io(0x8cf8, 4)));
    expect(expectExit(() => g.vmx.intercept(io(0x3f8, 1)))).toBe(30);
    const h = withBitmaps();
    h.cpu.phys.write8(IO_BITMAP_B + 1, 1); // port 0x8008
    expect(expectExit(() => h.vmx.intercept(io(0x8006, 4, { in: true })))).toBe(30);
    expect(read(h.vmx, Field.EXIT_QUALIFICATION)).toBe(0x8006000bn);
  });

  it('an access wrapping past 0xffff exits', () => {
    const g = withBitmaps();
    expect(expectExit(() => g.vmx.intercept(io(0xfffe, 4)))).toBe(30);
  });

  it('REP OUTSB records string/REP bits and the guest-linear address of DS:RSI', () => {
    const g = guest(PROC | 1 << 24);
    g.cpu.state.gpr[6] = 0x7000n;
    expect(expectExit(() => g.vmx.intercept(io(0x2f8, 1, { string: true, rep: true })))).toBe(30);
    expect(read(g.vmx, Field.EXIT_QUALIFICATION)).toBe(0x02f80030n);
    expect(read(g.vmx, Field.GUEST_LINEAR_ADDRESS)).toBe(0x7000n);
  });

  function withMsrBitmap() { return guest(PROC | 1 << 28, w => w(Field.MSR_BITMAP, MSR_BITMAP)); }

  it('read-low, read-high, write-low and write-high quarters', () => {
    const set = (offset: number, msr: number) => (cpu: { phys: { write8(a: number, v: number): void } }) =>
      cpu.phys.write8(MSR_BITMAP + offset + ((msr & 0x1fff) >> 3), 1 << (msr & 7));
    const cases: Array<[number, number, boolean, number]> = [
      [0, 0x10, false, 31], [1024, 0xc0000080, false, 31], [2048, 0x1b, true, 32], [3072, 0xc0000101, true, 32],
    ];
    for (const [offset, msr, isWrite, reason] of cases) {
      const g = withMsrBitmap();
      const instr: InterceptedInstruction = isWrite ? { kind: 'wrmsr', msr } : { kind: 'rdmsr', msr };
      noExit(() => g.vmx.intercept(instr));
      set(offset, msr)(g.cpu);
      expect(expectExit(() => g.vmx.intercept(instr))).toBe(reason);
    }
  });

  it('MSRs outside 0-1FFFH and C0000000H-C0001FFFH always exit', () => {
    const g = withMsrBitmap();
    expect(expectExit(() => g.vmx.intercept({ kind: 'rdmsr', msr: 0x4b564d00 }))).toBe(31);
  });
});

describe('control-register accesses (26.1.3, Table 28-3)', () => {
  it('MOV to CR0 changing a masked bit away from the shadow exits; otherwise masked bits keep the real value', () => {
    const g = guest(PROC, w => { w(Field.CR0_GUEST_HOST_MASK, 0x20); w(Field.CR0_READ_SHADOW, 0x20); });
    expect(g.vmx.movToCr(0, 0, 0x80010033n)).toBe(0x80010033n);
    expect(g.vmx.movToCr(0, 0, 0x80010033n | 0x40000000n)).toBe(0xc0010033n);
    expect(expectExit(() => g.vmx.movToCr(0, 3, 0x80010013n))).toBe(28);
    expect(read(g.vmx, Field.EXIT_QUALIFICATION)).toBe(0x300n);
  });

  it('MOV from CR0/CR4 reads the shadow for masked bits', () => {
    const g = guest(PROC, w => {
      w(Field.CR4_GUEST_HOST_MASK, 0x2000);
      w(Field.CR4_READ_SHADOW, 0x20);
    });
    expect(g.vmx.movFromCr(4, 0, 0x2020n)).toBe(0x20n);
    expect(g.vmx.movFromCr(0, 0, 0x80010033n)).toBe(0x80010033n);
    expect(expectExit(() => g.vmx.movToCr(4, 1, 0x20n | 0x2000n))).toBe(28);
    expect(read(g.vmx, Field.EXIT_QUALIFICATION)).toBe(0x104n);
  });

  it('CR3-load exiting spares the CR3-target values; CR3-store exiting', () => {
    const g = guest(PROC | 1 << 15 | 1 << 16, w => { w(Field.CR3_TARGET_COUNT, 1); w(Field.CR3_TARGET_VALUE0, 0x5000); });
    expect(g.vmx.movToCr(3, 2, 0x5000n)).toBe(0x5000n);
    expect(expectExit(() => g.vmx.movToCr(3, 2, 0x6000n))).toBe(28);
    expect(read(g.vmx, Field.EXIT_QUALIFICATION)).toBe(0x203n);
    const h = guest(PROC | 1 << 16);
    expect(expectExit(() => h.vmx.movFromCr(3, 5, 0x2000n))).toBe(28);
    expect(read(h.vmx, Field.EXIT_QUALIFICATION)).toBe(0x513n);
  });

  it('CR8-load and CR8-store exiting', () => {
    const g = guest(PROC | 1 << 19);
    expect(expectExit(() => g.vmx.movToCr(8, 0, 1n))).toBe(28);
    expect(read(g.vmx, Field.EXIT_QUALIFICATION)).toBe(0x08n);
    const h = guest(PROC | 1 << 20);
    expect(expectExit(() => h.vmx.movFromCr(8, 0, 0n))).toBe(28);
    expect(read(h.vmx, Field.EXIT_QUALIFICATION)).toBe(0x18n);
  });

  it('CLTS exits when TS is masked and set in the shadow; LMSW records its source data', () => {
    const g = guest(PROC, w => { w(Field.CR0_GUEST_HOST_MASK, 0x9); w(Field.CR0_READ_SHADOW, 0x8); });
    expect(expectExit(() => g.vmx.intercept({ kind: 'clts' }))).toBe(28);
    expect(read(g.vmx, Field.EXIT_QUALIFICATION)).toBe(0x20n);
    const h = guest(PROC, w => { w(Field.CR0_GUEST_HOST_MASK, 0x9); w(Field.CR0_READ_SHADOW, 0x8); });
    noExit(() => h.vmx.intercept({ kind: 'lmsw', value: 0x8, memory: false, linear: 0n }));
    expect(expectExit(() => h.vmx.intercept({ kind: 'lmsw', value: 0x9, memory: true, linear: 0x7000n }))).toBe(28);
    expect(read(h.vmx, Field.EXIT_QUALIFICATION)).toBe(0x00090070n);
    expect(read(h.vmx, Field.GUEST_LINEAR_ADDRESS)).toBe(0x7000n);
  });
});

describe('exceptions, triple fault, timer, interrupt window', () => {
  it('exception bitmap: #UD exits with a hardware-exception interruption info, #BP as a software exception', () => {
    const g = guest(PROC, w => w(Field.EXCEPTION_BITMAP, (1 << 6) | (1 << 3)));
    noExit(() => g.vmx.interceptException(13, 0, false));
    expect(expectExit(() => g.vmx.interceptException(6, undefined, false))).toBe(0);
    expect(read(g.vmx, Field.VM_EXIT_INTR_INFO)).toBe(0x80000306n);
    expect(read(g.vmx, Field.VM_EXIT_INSTRUCTION_LEN)).toBe(0n);
    const h = guest(PROC, w => w(Field.EXCEPTION_BITMAP, 1 << 3), 1);
    expect(expectExit(() => h.vmx.interceptException(3, undefined, true))).toBe(0);
    expect(read(h.vmx, Field.VM_EXIT_INTR_INFO)).toBe(0x80000603n);
    expect(read(h.vmx, Field.VM_EXIT_INSTRUCTION_LEN)).toBe(1n);
  });

  it('#GP carries its error code', () => {
    const g = guest(PROC, w => w(Field.EXCEPTION_BITMAP, 1 << 13));
    expect(expectExit(() => g.vmx.interceptException(13, 0x18, false))).toBe(0);
    expect(read(g.vmx, Field.VM_EXIT_INTR_INFO)).toBe(0x80000b0dn);
    expect(read(g.vmx, Field.VM_EXIT_INTR_ERROR_CODE)).toBe(0x18n);
    expect(g.exits[0]).toMatchObject({ intrInfo: 0x80000b0d, intrErrorCode: 0x18 });
  });

  it('#PF: bit 14 with the error-code mask/match; the qualification is the linear address', () => {
    // bit 14 = 1: exit iff (PFEC & MASK) == MATCH
    const g = guest(PROC, w => { w(Field.EXCEPTION_BITMAP, 1 << 14); w(Field.PAGE_FAULT_ERROR_CODE_MASK, 1); w(Field.PAGE_FAULT_ERROR_CODE_MATCH, 1); });
    noExit(() => g.vmx.interceptException(14, 0x2, false, 0x1000n));
    expect(expectExit(() => g.vmx.interceptException(14, 0x3, false, 0xdead000n))).toBe(0);
    expect(read(g.vmx, Field.EXIT_QUALIFICATION)).toBe(0xdead000n);
    expect(read(g.vmx, Field.VM_EXIT_INTR_INFO)).toBe(0x80000b0en);
    // bit 14 = 0: exit iff they differ
    const h = guest(PROC, w => { w(Field.PAGE_FAULT_ERROR_CODE_MASK, 1); w(Field.PAGE_FAULT_ERROR_CODE_MATCH, 1); });
    noExit(() => h.vmx.interceptException(14, 0x3, false, 0n));
    expect(expectExit(() => h.vmx.interceptException(14, 0x2, false, 0n))).toBe(0);
  });

  it('an exit during event delivery reports the event as IDT-vectoring information (28.2.4)', () => {
    const g = guest(PROC, w => w(Field.EXCEPTION_BITMAP, 1 << 14));
    g.vmx.eventDelivery = { vector: 13, type: 3, errorCode: 0x10 };
    expect(expectExit(() => g.vmx.interceptException(14, 2, false, 0x7000n))).toBe(0);
    expect(read(g.vmx, Field.IDT_VECTORING_INFO)).toBe(0x80000b0dn);
    expect(read(g.vmx, Field.IDT_VECTORING_ERROR_CODE)).toBe(0x10n);
    expect(g.vmx.eventDelivery).toBeUndefined();
    write(g.vmx, g.cpu, Field.GUEST_RIP, GUEST_AT);
    expect(g.vmx.vmresume()).toBe(true);
    expectExit(() => g.vmx.intercept({ kind: 'cpuid' }));
    expect(read(g.vmx, Field.IDT_VECTORING_INFO)).toBe(0n);
  });

  it('triple fault: reason 2', () => {
    const g = guest();
    expect(expectExit(() => g.vmx.tripleFault())).toBe(2);
    expect(g.exits[0].reasonName).toBe('TRIPLE_FAULT');
  });

  it('VMX-preemption timer: exits (52) once TSC bit 5 has changed `value` times; the saved value counts down', () => {
    const g = guest(PROC, w => {
      w(Field.PIN_BASED_VM_EXEC_CONTROL, 0x16 | 0x40);
      w(Field.VM_EXIT_CONTROLS, 0x00036dfb | (1 << 9) | (1 << 21) | (1 << 22));
      w(Field.VMX_PREEMPTION_TIMER_VALUE, 3);
    });
    const s = g.cpu.state;
    expect(g.vmx.preemptionTimerDeadline).toBe(96); // TSC started at 0: fires at (0 + 3) << 5
    s.icount = 95;
    noExit(() => g.vmx.beforeInstruction());
    s.icount = 96;
    expect(expectExit(() => g.vmx.beforeInstruction())).toBe(52);
    expect(read(g.vmx, Field.VMX_PREEMPTION_TIMER_VALUE)).toBe(0n);
    expect(read(g.vmx, Field.GUEST_RIP)).toBe(GUEST_AT);
    // resume with 3 again, exit for another reason after 40 TSC ticks: one tick of the timer is left... 3 - 1 = 2
    write(g.vmx, g.cpu, Field.VMX_PREEMPTION_TIMER_VALUE, 3);
    expect(g.vmx.vmresume()).toBe(true);
    s.icount += 40;
    expectExit(() => g.vmx.intercept({ kind: 'cpuid' }));
    expect(read(g.vmx, Field.VMX_PREEMPTION_TIMER_VALUE)).toBe(2n);
  });

  it('a guest halted in HLT is woken by the timer and saved with activity state HLT', () => {
    const g = guest(PROC, w => { w(Field.PIN_BASED_VM_EXEC_CONTROL, 0x16 | 0x40); w(Field.VMX_PREEMPTION_TIMER_VALUE, 0); });
    g.cpu.state.halted = true;
    expect(expectExit(() => g.vmx.beforeInstruction())).toBe(52);
    expect(read(g.vmx, Field.GUEST_ACTIVITY_STATE)).toBe(1n);
    expect(g.cpu.state.halted).toBe(false);
  });

  it('interrupt-window exiting: exits (7) when RFLAGS.IF = 1 and no STI/MOV SS blocking', () => {
    const g = guest(PROC | 1 << 2);
    noExit(() => g.vmx.beforeInstruction());
    g.cpu.state.setRflags(0x202);
    g.cpu.state.interruptShadow = 1;
    noExit(() => g.vmx.beforeInstruction());
    g.cpu.state.interruptShadow = 0;
    expect(expectExit(() => g.vmx.beforeInstruction())).toBe(7);
    expect(g.exits[0].reasonName).toBe('INTERRUPT_WINDOW');
  });
});

describe('inspection and snapshot', () => {
  it('serialize/restore brings back every VMCS, the current pointer and non-root operation', () => {
    const g = guest();
    const snap = g.vmx.serialize();
    expectExit(() => g.vmx.intercept({ kind: 'cpuid' }));
    vmptrld(g.vmx, g.cpu, 0x102000n);
    g.vmx.restore(snap);
    expect(g.vmx.nonRoot).toBe(true);
    expect(g.vmx.currentVmcs).toBe(VMCS_REGION);
    expect(g.vmx.regions.size).toBe(1);
    expect(g.vmx.vmcsRead(Field.GUEST_RIP)).toBe(0x100000n);
    expect(expectExit(() => g.vmx.intercept({ kind: 'cpuid' }))).toBe(10);
  });

  it('vmcsWrite may change read-only fields for the debugger', () => {
    const g = guest();
    expect(g.vmx.vmcsWrite(Field.VM_EXIT_REASON, 12n)).toBe(true);
    expect(g.vmx.vmcsRead(Field.VM_EXIT_REASON)).toBe(12n);
    expect(g.vmx.vmcsWrite(0x7777, 1n)).toBe(false);
  });
});
