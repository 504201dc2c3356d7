// An intercepted MSR the host does not emulate: handle_rdmsr injects #GP(0) into the guest
// (VM-entry event injection) without advancing RIP, and the guest's own IDT reports it.

import { buildSample, runSample, testGuest, type SampleRun } from './sampleRun';

let run: SampleRun;

beforeAll(() => {
  buildSample();
  run = runSample(testGuest('msr-gp'));
});

describe('RDMSR of an unemulated MSR', () => {
  it('delivers #GP(0) to the guest at the RDMSR', () => {
    const rdmsr = run.exits.find((e) => e.reasonName === 'MSR_READ')!;
    expect(rdmsr).toBeDefined();
    expect(run.guestConsole).toBe('guest: rdmsr 0x1b\n'
      + `guest: exception #GP (vector 13) at rip 0x${rdmsr.guestRip.toString(16)} cs 0x8, error code 0x0, cr2 0x0\n`);
    expect(run.hostConsole).toContain('hc-host: unhandled rdmsr 0x1b: #GP into the guest\n');
  });

  it('re-enters at the same RIP (the instruction faulted, it was not skipped)', () => {
    const i = run.trace.findIndex((r) => r.event === 'kvm_exit' && r.fields.reason === 'MSR_READ');
    expect(run.trace[i + 1].event).toBe('kvm_entry');
    expect(run.trace[i + 1].fields.rip).toBe(run.trace[i].fields.rip);
  });

  it('still ends the run normally, through the guest HLT', () => {
    expect(run.stop).toEqual({ kind: 'poweroff', status: 0 });
  });
});
