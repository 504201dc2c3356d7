// The main scenario on the real target: the sample runs in the emulator until the guest's
// hypercall. From the guest registers saved at the VMCALL exit and guest memory the library
// must unwind the guest stack down to the user program; from the live registers at
// kvm_emulate_hypercall and host memory, the whole host stack down to _start, by CFI and,
// with the CFI removed, by rbp.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DebugInfo, type FrameState, type RegisterSet } from '../../debug-adapter/symbols';
import { GPR_NAMES } from '../../emulator/cpu/state';
import type { VmExitInfo } from '../../emulator/api';
import { Machine } from '../../emulator/machine';

const BUILD = join(__dirname, '../../samples/hello-hypercall/build');
const EXPECTED = ['kvm_emulate_hypercall', 'handle_vmcall', 'vmx_handle_exit', 'vcpu_enter_guest', 'vcpu_run', 'kvm_arch_vcpu_ioctl_run', 'host_main', '_start'];

function walk(info: DebugInfo, registers: RegisterSet, readMemory: FrameState['readMemory']): Array<{ name: string; method: string }> {
  const frames: Array<{ name: string; method: string }> = [];
  let state: FrameState | undefined = { registers, readMemory, callerFrame: false };
  let method = 'live';
  while (state && frames.length < 16) {
    frames.push({ name: info.functionAt(state.registers.rip! - (state.callerFrame ? 1n : 0n))?.name ?? '?', method });
    const up = info.unwind(state);
    if (up) method = up.method;
    state = up && { registers: up.registers, readMemory, callerFrame: true };
  }
  return frames;
}

describe('sample stacks in the emulator', () => {
  it('unwinds the guest from its VMCALL through the syscall entry to the user program', () => {
    const guestBytes = new Uint8Array(readFileSync(join(BUILD, 'guest.elf')));
    const machine = Machine.boot({ hostElf: readFileSync(join(BUILD, 'host.elf')), guestElf: guestBytes });
    machine.stopOnVmExit = true;
    let stop = machine.run(20_000_000);
    while (stop.kind === 'vmexit' && stop.exit.reasonName !== 'VMCALL') stop = machine.run(20_000_000);
    expect(stop).toMatchObject({ kind: 'vmexit' });
    const exit: VmExitInfo | undefined = machine.lastExit;
    const registers: RegisterSet = { rip: exit!.guestRip };
    GPR_NAMES.forEach((name, i) => { registers[name] = exit!.guestGprs[i]; });
    const frames = walk(DebugInfo.load(guestBytes, 'guest.elf'), registers, (a, n) => machine.readMemory(a, n, 'guest-linear')).map((f) => f.name);
    expect(frames[0]).toMatch(/^kvm_hypercall/);
    expect(frames).toEqual(expect.arrayContaining(['do_syscall_64', 'entry_SYSCALL_64']));
    // The user program's entry pushed a zero return address: the stack ends there, with no bogus frame.
    expect(frames.at(-1)).toBe('user_main');
  });


  it('unwinds kvm_emulate_hypercall down to _start, by CFI and by frame pointers', () => {
    const hostBytes = new Uint8Array(readFileSync(join(BUILD, 'host.elf')));
    const machine = Machine.boot({ hostElf: hostBytes, guestElf: readFileSync(join(BUILD, 'guest.elf')) });
    const host = DebugInfo.load(hostBytes, 'host.elf');
    machine.addBreakpoint(host.functionBreakpoint('kvm_emulate_hypercall')!.address, 'linear');
    expect(machine.run(20_000_000)).toMatchObject({ kind: 'breakpoint' });

    const registers: RegisterSet = { rip: machine.cpu.rip };
    GPR_NAMES.forEach((name, i) => { registers[name] = machine.cpu.gpr[i]; });
    const read = (a: bigint, n: number): Uint8Array | null => machine.readMemory(a, n, 'host-linear');
    const byCfi = walk(host, registers, read);
    expect(byCfi.map((f) => f.name)).toEqual(EXPECTED);
    expect(byCfi.slice(1).every((f) => f.method === 'cfi')).toBe(true);

    const noCfi = hostBytes.slice();
    noCfi[Buffer.from(noCfi).indexOf(Buffer.from('.debug_frame')) + 1] = 'X'.charCodeAt(0);
    const byRbp = walk(DebugInfo.load(noCfi, 'host-no-cfi.elf'), registers, read);
    expect(byRbp.map((f) => f.name)).toEqual(EXPECTED);
    expect(byRbp.slice(1).every((f) => f.method === 'frame-pointer')).toBe(true);

    // The hypercall handler's C variables are readable in its frame.
    const vcpu = host.scopeAt(registers.rip!).variables.find((v) => v.name === 'vcpu')!;
    expect(host.formatVariable(vcpu, { registers, readMemory: read }).value).toMatch(/^0x[0-9a-f]+ <\w+>$/);
  });
});
