// The IA32_VMX_* capability MSRs (SDM Appendix A) against what VM entry accepts: every
// control bit the MSRs allow to be 1 passes the control checks, every other bit is error 7.

import { Vmx } from '../../emulator/vmx/vmx';
import { checkControls } from '../../emulator/vmx/entryChecks';
import { Field, HIGHEST_FIELD_INDEX, VMCS_FIELDS } from '../../emulator/vmx/fields';
import { hostCpu, readyToLaunch, write } from './harness';

const msr = (index: number): bigint => new Vmx(hostCpu()).readCapabilityMsr(index)!;
const allowed0 = (v: bigint): number => Number(v & 0xffffffffn);
const allowed1 = (v: bigint): number => Number(v >> 32n);

describe('capability MSR values', () => {
  it('IA32_VMX_BASIC: revision 1, 4-KByte regions, write-back, TRUE controls, no INS/OUTS information', () => {
    const basic = msr(0x480);
    expect(basic & 0x7fffffffn).toBe(1n);
    expect((basic >> 32n) & 0x1fffn).toBe(0x1000n);
    expect((basic >> 50n) & 0xfn).toBe(6n);
    expect((basic >> 55n) & 1n).toBe(1n);
    expect((basic >> 54n) & 1n).toBe(0n);
  });

  it('the non-TRUE MSRs report the default1 bits as must-be-1; the TRUE ones relax only the documented bits', () => {
    expect(allowed0(msr(0x481))).toBe(0x16);
    expect(allowed0(msr(0x482))).toBe(0x0401e172);
    expect(allowed0(msr(0x483))).toBe(0x00036dff | 0x200); // host address-space size required (IA-32e hosts only)
    expect(allowed0(msr(0x484))).toBe(0x000011ff | 0x200); // IA-32e mode guest required (IA-32e guests only)
    expect(allowed0(msr(0x48d))).toBe(0x16);
    expect(allowed0(msr(0x48e))).toBe(0x04006172); // CR3-load/store exiting may be 0
    expect(allowed0(msr(0x48f))).toBe(0x00036dfb | 0x200); // "save debug controls" may be 0
    expect(allowed0(msr(0x490))).toBe(0x000011fb | 0x200); // "load debug controls" may be 0
    for (const i of [0x481, 0x482, 0x483, 0x484]) expect(allowed1(msr(i))).toBe(allowed1(msr(i + 0xc)));
  });

  it('MISC, CR fixed bits, VMCS_ENUM, EPT/VPID', () => {
    const misc = msr(0x485);
    expect(misc & 0x1fn).toBe(5n); // timer rate
    expect((misc >> 5n) & 1n).toBe(1n); // EFER.LMA saved into "IA-32e mode guest"
    expect((misc >> 6n) & 7n).toBe(1n); // HLT only
    expect((misc >> 16n) & 0x1ffn).toBe(4n); // CR3 targets
    expect((misc >> 29n) & 1n).toBe(0n); // exit-information fields read-only
    expect(msr(0x486)).toBe(0x80000021n);
    expect(msr(0x487)).toBe(0xffffffffn);
    expect(msr(0x488)).toBe(0x2000n);
    expect(msr(0x489) & 0x2000n).toBe(0x2000n);
    expect(Number(msr(0x48a) >> 1n)).toBe(HIGHEST_FIELD_INDEX);
    const ept = msr(0x48c);
    for (const bit of [6n, 14n, 16n, 17n, 20n, 21n, 25n, 26n, 32n, 40n, 41n, 42n, 43n]) expect((ept >> bit) & 1n).toBe(1n);
  });

  it('no other MSR is a VMX capability (IA32_VMX_VMFUNC is not implemented)', () => {
    const vmx = new Vmx(hostCpu());
    expect(vmx.readCapabilityMsr(0x491)).toBeUndefined();
    expect(vmx.readCapabilityMsr(0x10)).toBeUndefined();
  });

  it('VMCS_FIELDS: unique names and encodings, grouped by encoding type', () => {
    expect(new Set(VMCS_FIELDS.map(f => f.name)).size).toBe(VMCS_FIELDS.length);
    expect(new Set(VMCS_FIELDS.map(f => f.encoding)).size).toBe(VMCS_FIELDS.length);
    expect(VMCS_FIELDS.find(f => f.encoding === Field.GUEST_RIP)).toEqual({ encoding: 0x681e, name: 'GUEST_RIP', group: 'guest', width: 'natural' });
    expect(VMCS_FIELDS.find(f => f.encoding === Field.VM_EXIT_REASON)).toMatchObject({ group: 'exit-info', width: 32 });
    expect(VMCS_FIELDS.find(f => f.encoding === Field.HOST_CS_SELECTOR)).toMatchObject({ group: 'host', width: 16 });
    expect(VMCS_FIELDS.find(f => f.encoding === Field.EPT_POINTER)).toMatchObject({ group: 'control', width: 64 });
  });
});

describe('the entry checks accept exactly what the MSRs allow', () => {
  const controls: Array<[string, number, number, number]> = [
    ['pin-based', Field.PIN_BASED_VM_EXEC_CONTROL, 0x48d, 0x16],
    ['primary processor-based', Field.CPU_BASED_VM_EXEC_CONTROL, 0x48e, 0x04006172],
    ['secondary processor-based', Field.SECONDARY_VM_EXEC_CONTROL, 0x48b, 0],
    ['VM-exit', Field.VM_EXIT_CONTROLS, 0x48f, 0x00036dfb | (1 << 9)],
    ['VM-entry', Field.VM_ENTRY_CONTROLS, 0x490, 0x000011fb | (1 << 9)],
  ];
  it.each(controls)('%s controls, bit by bit', (_name, field, index, base) => {
    const caps = msr(index);
    for (let bit = 0; bit < 32; bit++) {
      if ((base >>> bit) & 1) continue;
      const { vmx, cpu } = readyToLaunch();
      const w = (f: number, v: bigint | number): void => write(vmx, cpu, f, v);
      if (field === Field.SECONDARY_VM_EXEC_CONTROL) w(Field.CPU_BASED_VM_EXEC_CONTROL, 0x84006172);
      w(Field.VPID, 1);
      w(Field.EPT_POINTER, 0x11001e);
      if (field === Field.VM_EXIT_CONTROLS && bit === 22) w(Field.PIN_BASED_VM_EXEC_CONTROL, 0x56); // save timer needs the timer
      w(field, (base | (1 << bit)) >>> 0);
      const error = checkControls(vmx.current!);
      const allowed = ((allowed1(caps) >>> bit) & 1) === 1;
      expect({ bit, accepted: error === undefined }).toEqual({ bit, accepted: allowed });
    }
  });
});
