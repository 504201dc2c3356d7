// VMX instructions (SDM ch. 31): #UD/#GP conditions, VMfailInvalid and every VMfailValid
// error number this implementation produces, VMREAD/VMWRITE widths.

import { CpuFault } from '../../emulator/cpu/signals';
import { Seg } from '../../emulator/cpu/state';
import { Msr } from '../../emulator/vmx/capabilities';
import { Field } from '../../emulator/vmx/fields';
import { Vmx } from '../../emulator/vmx/vmx';
import {
  OPERAND, OTHER_VMCS, VMCS_REGION, VMXON_REGION, flags, hostCpu, launched, read, readyToLaunch, vmclear, vmptrld, vmreadInsn, vmwriteInsn, vmxon,
} from './harness';

function fault(action: () => unknown): { vector: number; errorCode?: number } {
  try {
    action();
  } catch (e) {
    if (e instanceof CpuFault) return { vector: e.vector, errorCode: e.errorCode };
    throw e;
  }
  throw new Error('expected a fault');
}

function inRoot(): { vmx: Vmx; cpu: ReturnType<typeof hostCpu> } {
  const cpu = hostCpu();
  const vmx = new Vmx(cpu);
  vmxon(vmx, cpu);
  return { vmx, cpu };
}

const error = (vmx: Vmx): number => Number(read(vmx, Field.VM_INSTRUCTION_ERROR));

describe('VMXON', () => {
  it('succeeds with a valid region and clears CF/ZF', () => {
    const cpu = hostCpu();
    const vmx = new Vmx(cpu);
    cpu.state.setRflags(0x2 | 0x1 | 0x40 | 0x800);
    vmxon(vmx, cpu);
    expect(vmx.inVmxOperation).toBe(true);
    expect(vmx.currentVmcs).toBeUndefined();
    expect(cpu.state.getRflags()).toBe(0x2);
  });

  it('is #UD with CR4.VMXE = 0 and in compatibility mode', () => {
    const cpu = hostCpu();
    cpu.state.cr4 &= ~0x2000;
    expect(fault(() => vmxon(new Vmx(cpu), cpu)).vector).toBe(6);
    const compat = hostCpu();
    compat.state.seg[Seg.CS].attrs = 0xc09b; // L = 0 with EFER.LMA = 1
    expect(fault(() => vmxon(new Vmx(compat), compat)).vector).toBe(6);
  });

  it('is #GP(0) at CPL 3, with IA32_FEATURE_CONTROL unlocked or VMX outside SMX off, or CR0.NE = 0', () => {
    const cpl3 = hostCpu();
    cpl3.state.seg[Seg.CS].attrs |= 3 << 5;
    expect(fault(() => vmxon(new Vmx(cpl3), cpl3))).toEqual({ vector: 13, errorCode: 0 });
    for (const fc of [0n, 1n, 4n, 3n]) {
      const cpu = hostCpu();
      cpu.state.msr.set(Msr.IA32_FEATURE_CONTROL, fc);
      expect(fault(() => vmxon(new Vmx(cpu), cpu)).vector).toBe(13);
    }
    const ne = hostCpu();
    ne.state.cr0 &= ~0x20;
    expect(fault(() => vmxon(new Vmx(ne), ne)).vector).toBe(13);
  });

  it('VMfailInvalid for an unaligned, too wide or wrong-revision region', () => {
    for (const region of [VMXON_REGION + 8n, 1n << 40n, 0x180000n /* revision 0 there */]) {
      const cpu = hostCpu();
      const vmx = new Vmx(cpu);
      vmxon(vmx, cpu, region);
      expect(flags(cpu)).toEqual({ cf: true, zf: false });
      expect(vmx.inVmxOperation).toBe(false);
    }
  });

  it('in VMX root operation: VMfailValid(15) with a current VMCS, VMfailInvalid without', () => {
    const { vmx, cpu } = inRoot();
    vmxon(vmx, cpu);
    expect(flags(cpu)).toEqual({ cf: true, zf: false });
    vmptrld(vmx, cpu, VMCS_REGION);
    vmxon(vmx, cpu);
    expect(flags(cpu)).toEqual({ cf: false, zf: true });
    expect(error(vmx)).toBe(15);
  });
});

describe('VMCLEAR, VMPTRLD, VMPTRST', () => {
  it('need VMX operation (#UD) and CPL 0 (#GP)', () => {
    const cpu = hostCpu();
    const vmx = new Vmx(cpu);
    expect(fault(() => vmptrld(vmx, cpu, VMCS_REGION)).vector).toBe(6);
    vmxon(vmx, cpu);
    cpu.state.seg[Seg.CS].attrs |= 3 << 5;
    expect(fault(() => vmclear(vmx, cpu, VMCS_REGION)).vector).toBe(13);
  });

  it('VMCLEAR: error 2 for a bad address, 3 for the VMXON pointer; VMfailInvalid without a current VMCS', () => {
    const { vmx, cpu } = inRoot();
    vmclear(vmx, cpu, VMCS_REGION + 0x10n);
    expect(flags(cpu)).toEqual({ cf: true, zf: false });
    vmptrld(vmx, cpu, VMCS_REGION);
    vmclear(vmx, cpu, VMCS_REGION + 0x10n);
    expect(flags(cpu).zf).toBe(true);
    expect(error(vmx)).toBe(2);
    vmclear(vmx, cpu, VMXON_REGION);
    expect(error(vmx)).toBe(3);
  });

  it('VMCLEAR of the current VMCS makes the pointer invalid and the launch state clear', () => {
    const { vmx, cpu } = launched();
    expect(vmx.regions.get(VMCS_REGION)!.launchState).toBe('launched');
    vmx.nonRoot = false; // back in root for the test
    vmclear(vmx, cpu, VMCS_REGION);
    expect(flags(cpu)).toEqual({ cf: false, zf: false });
    expect(vmx.currentVmcs).toBeUndefined();
    expect(vmx.regions.get(VMCS_REGION)!.launchState).toBe('clear');
  });

  it('VMPTRLD: error 9 for a bad address, 10 for the VMXON pointer, 11 for a wrong revision', () => {
    const { vmx, cpu } = inRoot();
    vmptrld(vmx, cpu, VMCS_REGION);
    vmptrld(vmx, cpu, 0x1001n);
    expect(error(vmx)).toBe(9);
    vmptrld(vmx, cpu, VMXON_REGION);
    expect(error(vmx)).toBe(10);
    cpu.phys.write32(Number(OTHER_VMCS), 0x80000001); // shadow-VMCS indicator set
    vmptrld(vmx, cpu, OTHER_VMCS);
    expect(error(vmx)).toBe(11);
    expect(vmx.currentVmcs).toBe(VMCS_REGION);
  });

  it('VMPTRST stores the current-VMCS pointer, all ones when there is none', () => {
    const { vmx, cpu } = inRoot();
    vmx.vmptrst(OPERAND, 0, 0n);
    expect(cpu.phys.read64(Number(OPERAND))).toBe(0xffffffffffffffffn);
    vmptrld(vmx, cpu, OTHER_VMCS);
    vmx.vmptrst(OPERAND, 0, 0n);
    expect(cpu.phys.read64(Number(OPERAND))).toBe(OTHER_VMCS);
  });
});

describe('VMREAD and VMWRITE', () => {
  it('VMfailInvalid without a current VMCS', () => {
    const { vmx, cpu } = inRoot();
    expect(vmreadInsn(vmx, BigInt(Field.GUEST_RIP))).toBeUndefined();
    expect(flags(cpu)).toEqual({ cf: true, zf: false });
    vmwriteInsn(vmx, BigInt(Field.GUEST_RIP), 1n);
    expect(flags(cpu)).toEqual({ cf: true, zf: false });
  });

  it('error 12 for unsupported components: unknown index, reserved bits, bits 63:32, high access of a non-64-bit field', () => {
    const { vmx, cpu } = inRoot();
    vmptrld(vmx, cpu, VMCS_REGION);
    for (const enc of [0x6830n, 0x1000n | BigInt(Field.GUEST_RIP), (1n << 32n) | BigInt(Field.GUEST_RIP), BigInt(Field.GUEST_RIP | 1), 0x8000n]) {
      expect(vmreadInsn(vmx, enc)).toBeUndefined();
      expect(error(vmx)).toBe(12);
      vmwriteInsn(vmx, enc, 0n);
      expect(flags(cpu).zf).toBe(true);
    }
  });

  it('error 13 for VMWRITE to a read-only exit-information field (IA32_VMX_MISC[29] = 0)', () => {
    const { vmx, cpu } = inRoot();
    vmptrld(vmx, cpu, VMCS_REGION);
    vmwriteInsn(vmx, BigInt(Field.VM_EXIT_REASON), 1n);
    expect(flags(cpu)).toEqual({ cf: false, zf: true });
    expect(error(vmx)).toBe(13);
  });

  it('truncates to the field width and gives 64-bit fields a high half', () => {
    const { vmx, cpu } = inRoot();
    vmptrld(vmx, cpu, VMCS_REGION);
    vmwriteInsn(vmx, BigInt(Field.GUEST_CS_SELECTOR), 0x12345678n);
    expect(vmreadInsn(vmx, BigInt(Field.GUEST_CS_SELECTOR))).toBe(0x5678n);
    expect(flags(cpu)).toEqual({ cf: false, zf: false });
    vmwriteInsn(vmx, BigInt(Field.GUEST_CS_LIMIT), 0x1_2345_6789n);
    expect(vmreadInsn(vmx, BigInt(Field.GUEST_CS_LIMIT))).toBe(0x2345_6789n);
    vmwriteInsn(vmx, BigInt(Field.TSC_OFFSET), 0x1111_2222_3333_4444n);
    expect(vmreadInsn(vmx, BigInt(Field.TSC_OFFSET | 1))).toBe(0x1111_2222n);
    vmwriteInsn(vmx, BigInt(Field.TSC_OFFSET | 1), 0xaaaa_bbbbn);
    expect(vmreadInsn(vmx, BigInt(Field.TSC_OFFSET))).toBe(0xaaaa_bbbb_3333_4444n);
    vmwriteInsn(vmx, BigInt(Field.GUEST_RIP), 0xffff_8000_0000_1234n);
    expect(vmreadInsn(vmx, BigInt(Field.GUEST_RIP))).toBe(0xffff_8000_0000_1234n);
  });

  it('each VMCS keeps its own data', () => {
    const { vmx, cpu } = inRoot();
    vmptrld(vmx, cpu, VMCS_REGION);
    vmwriteInsn(vmx, BigInt(Field.GUEST_RIP), 0x1000n);
    vmptrld(vmx, cpu, OTHER_VMCS);
    vmwriteInsn(vmx, BigInt(Field.GUEST_RIP), 0x2000n);
    vmptrld(vmx, cpu, VMCS_REGION);
    expect(vmreadInsn(vmx, BigInt(Field.GUEST_RIP))).toBe(0x1000n);
  });
});

describe('VMLAUNCH and VMRESUME launch state', () => {
  it('VMfailInvalid without a current VMCS', () => {
    const { vmx, cpu } = inRoot();
    expect(vmx.vmlaunch()).toBe(false);
    expect(flags(cpu)).toEqual({ cf: true, zf: false });
  });

  it('error 5: VMRESUME of a clear VMCS; error 4: VMLAUNCH of a launched one', () => {
    const { vmx, cpu } = readyToLaunch();
    const failures: number[] = [];
    vmx.onEntryFailure(e => failures.push(e));
    expect(vmx.vmresume()).toBe(false);
    expect(flags(cpu)).toEqual({ cf: false, zf: true });
    expect(error(vmx)).toBe(5);
    vmx.regions.get(VMCS_REGION)!.launchState = 'launched';
    expect(vmx.vmlaunch()).toBe(false);
    expect(error(vmx)).toBe(4);
    expect(failures).toEqual([5, 4]);
  });
});

describe('VMXOFF, VMCALL, INVEPT, INVVPID in root operation', () => {
  it('VMXOFF leaves VMX operation; afterwards VMX instructions are #UD', () => {
    const { vmx, cpu } = inRoot();
    vmx.vmxoff();
    expect(vmx.inVmxOperation).toBe(false);
    expect(flags(cpu)).toEqual({ cf: false, zf: false });
    expect(fault(() => vmx.vmxoff()).vector).toBe(6);
  });

  it('VMCALL: #UD outside VMX operation, VMfailValid(1) in root with a current VMCS', () => {
    const cpu = hostCpu();
    const vmx = new Vmx(cpu);
    expect(fault(() => vmx.vmcall()).vector).toBe(6);
    vmxon(vmx, cpu);
    vmx.vmcall();
    expect(flags(cpu)).toEqual({ cf: true, zf: false });
    vmptrld(vmx, cpu, VMCS_REGION);
    vmx.vmcall();
    expect(error(vmx)).toBe(1);
  });

  it('INVEPT: error 28 for an unsupported type or an invalid EPTP; success flushes translations', () => {
    const { vmx, cpu } = inRoot();
    vmptrld(vmx, cpu, VMCS_REGION);
    cpu.phys.write64(Number(OPERAND), 0x11001en); // WB, 4 levels
    vmx.invept(3n, OPERAND, 0, 0n);
    expect(error(vmx)).toBe(28);
    cpu.phys.write64(Number(OPERAND), 0x110016n); // 3-level walk
    vmx.invept(1n, OPERAND, 0, 0n);
    expect(flags(cpu).zf).toBe(true);
    const before = cpu.tlbFlushes;
    cpu.phys.write64(Number(OPERAND), 0x11001en);
    vmx.invept(1n, OPERAND, 0, 0n);
    expect(flags(cpu)).toEqual({ cf: false, zf: false });
    vmx.invept(2n, OPERAND, 0, 0n);
    expect(cpu.tlbFlushes).toBe(before + 2);
  });

  it('INVVPID: error 28 for VPID 0, reserved descriptor bits, a non-canonical address or type > 3', () => {
    const { vmx, cpu } = inRoot();
    vmptrld(vmx, cpu, VMCS_REGION);
    const desc = (low: bigint, linear: bigint): void => {
      cpu.phys.write64(Number(OPERAND), low);
      cpu.phys.write64(Number(OPERAND) + 8, linear);
    };
    const cases: Array<[bigint, bigint, bigint]> = [[1n, 0n, 0n], [0n, 0x10001n, 0n], [0n, 1n, 0x0000_8000_0000_0000n], [4n, 1n, 0n]];
    for (const [type, low, linear] of cases) {
      desc(low, linear);
      vmx.invvpid(type, OPERAND, 0, 0n);
      expect(error(vmx)).toBe(28);
    }
    desc(0n, 0n);
    vmx.invvpid(2n, OPERAND, 0, 0n);
    expect(flags(cpu)).toEqual({ cf: false, zf: false });
    desc(1n, 0xffff_8000_0000_0000n);
    vmx.invvpid(0n, OPERAND, 0, 0n);
    expect(flags(cpu)).toEqual({ cf: false, zf: false });
  });
});
