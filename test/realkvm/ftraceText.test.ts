// Reading real ftrace text: the layout of real-kvm-6.1.md, where a trace_printk without a
// trailing newline runs into the next event's line, and SVM exit names mapped to VMX ones.

import { compareRuns, unifiedDiff } from '../../realkvm/compare';
import { eventLines, parseTrace, vmxExitName } from '../../realkvm/ftraceText';

// Lines as Linux 6.1 prints them (real-kvm-6.1.md), the trace_printk one without "\n".
const REAL = [
  '# tracer: nop',
  '         confvmm-89      [000] .....     3.696668: kvm_exit: vcpu 0 reason hypercall rip 0x1035 info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000',
  '         confvmm-89      [000] .....     3.696767: kvm_hypercall: nr 0x100 a0 0x11 a1 0x22 a2 0x33 a3 0x44',
  '         confvmm-89      [000] .....     3.696800: kvm_pv_hello_hypercall: Hello World         confvmm-89      [000] d..1.     3.698692: kvm_entry: vcpu 0, rip 0x1038',
  '         confvmm-89      [000] .....     3.700150: kvm_exit: vcpu 0 reason io rip 0x1050 info1 0x0000000005000010 info2 0x0000000000001051 intr_info 0x00000000 error_code 0x00000000',
  '         confvmm-89      [000] .....     3.700151: kvm_exit: vcpu 0 reason UD excp rip 0x1060 info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000',
].join('\n') + '\n';

describe('ftrace text from real KVM', () => {
  it('splits an event that ran into the previous trace_printk line, keeping its right-aligned task column', () => {
    const lines = eventLines(REAL);
    expect(lines).toHaveLength(6);
    expect(lines[2]).toMatch(/^ +confvmm-89 +\[000\] \.{5} +3\.696800: kvm_pv_hello_hypercall: Hello World$/);
    expect(lines[3]).toMatch(/^ +confvmm-89 +\[000\] d\.\.1\. +3\.698692: kvm_entry: vcpu 0, rip 0x1038$/);
  });

  it('reads exits with multi-word reasons, hypercalls and printk lines', () => {
    expect(parseTrace(REAL)).toEqual([
      { kind: 'kvm_exit', reason: 'hypercall', rip: 0x1035n },
      { kind: 'kvm_hypercall', text: 'nr 0x100 a0 0x11 a1 0x22 a2 0x33 a3 0x44', nr: 0x100n },
      { kind: 'printk', func: 'kvm_pv_hello_hypercall', msg: 'Hello World' },
      { kind: 'kvm_entry', rip: 0x1038n },
      { kind: 'kvm_exit', reason: 'io', rip: 0x1050n },
      { kind: 'kvm_exit', reason: 'UD excp', rip: 0x1060n },
    ]);
  });

  it('names SVM exits as VMX does', () => {
    expect(['hypercall', 'vmmcall', 'io', 'hlt', 'cpuid', 'npf', 'msr', 'MSR_WRITE'].map(vmxExitName))
      .toEqual(['VMCALL', 'VMCALL', 'IO_INSTRUCTION', 'HLT', 'CPUID', 'EPT_VIOLATION', 'MSR', 'MSR']);
  });
});

describe('the verdict', () => {
  it('shows a changed line as a unified diff hunk', () => {
    expect(unifiedDiff(['a', 'b', 'c'], ['a', 'B', 'c'])).toBe('--- model\n+++ real-kvm\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c');
  });

  it('calls a VMCALL that KVM on AMD took as #UD and patched a vendor difference, not a disagreement', () => {
    const exit = (reason: string, rip: string) => `  t-1 [000] .....  1.000000: kvm_exit: vcpu 0 reason ${reason} rip ${rip} info1 0x0`;
    const model = { console: 'x\n', status: 0, ending: '', answers: [], trace: [exit('VMCALL', '0x10'), exit('HLT', '0x20')].join('\n') };
    const real = { console: 'x\n', status: 0, ending: '', answers: [], trace: [exit('UD excp', '0x10'), exit('hypercall', '0x10'), exit('npf', '0x18'), exit('hlt', '0x20')].join('\n') };
    const v = compareRuns(model, real);
    expect(v.agree).toBe(true);
    const exits = v.aspects.find((a) => a.name === 'exit reasons')!;
    expect(exits.notes[0]).toMatch(/^vendor difference, not a model bug: the guest ran Intel's VMCALL at rip 0x10 on AMD/);
    expect(exits.notes[1]).toBe('not compared, hypervisor-specific (model/real): EPT_VIOLATION 0/1');
  });
});
