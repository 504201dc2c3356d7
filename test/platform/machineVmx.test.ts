// Machine across the VM boundary on the real hello-hypercall sample (built with its Makefile):
// stops at VM exits and VM entries, inGuest, guest-linear/guest-physical translation through the
// guest page tables and the host's EPT, side-selecting physical breakpoints, and
// snapshot/restore in the middle of the guest's life.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Machine } from '../../emulator/machine';
import type { StopReason, VmExitInfo } from '../../emulator/api';
import { buildSample } from '../sample/sampleRun';
import { compileElf, readBytes, tempDir } from './fixtures/compile';

const root = resolve(__dirname, '../..');
const build = join(root, 'samples/hello-hypercall/build');

function boot(): Machine {
  return Machine.boot({
    hostElf: new Uint8Array(readFileSync(join(build, 'host.elf'))), guestElf: new Uint8Array(readFileSync(join(build, 'guest.elf'))),
    hostPath: 'host.elf', guestPath: 'guest.elf',
  });
}

function runToStop(m: Machine, max = 20_000_000): StopReason {
  let stop: StopReason = { kind: 'budget' };
  for (let n = 0; n < max && stop.kind === 'budget'; n += 1_000_000) stop = m.run(1_000_000);
  return stop;
}

beforeAll(buildSample);

describe('Machine with the hello-hypercall sample', () => {
  it('stops at the first VMCALL exit with the guest state and the host at its exit handler', () => {
    const m = boot();
    let entries = 0;
    m.stopOnVmExit = true;
    m.stopOnVmEntry = true;
    let stop = runToStop(m);
    for (; stop.kind === 'vmentry' || (stop.kind === 'vmexit' && stop.exit.reasonName !== 'VMCALL'); stop = runToStop(m)) {
      if (stop.kind === 'vmentry') entries++;
    }
    expect(stop.kind).toBe('vmexit');
    expect(m.lastExit).toBe((stop as { exit: VmExitInfo }).exit);
    const exit = (stop as { exit: VmExitInfo }).exit;
    expect(exit).toMatchObject({ reason: 18, reasonName: 'VMCALL', entryFailure: false, instructionLength: 3 });
    expect(m.inGuest).toBe(false);
    expect(entries).toBeGreaterThan(0);
    expect(m.currentVmcs).toBeDefined();
    // The vmcall bytes, read through the guest's paging and EPT while the host runs.
    expect([...m.readMemory(exit.guestRip, 3, 'guest-linear')!]).toEqual([0x0f, 0x01, 0xc1]);
    const gpa = m.translate(exit.guestRip, 'guest-linear')!;
    expect(gpa).toBe(0x1000000n + exit.guestRip); // identity guest paging, EPT at guest_mem_base
    expect(m.translate(exit.guestRip, 'guest-physical')).toBe(gpa);
    expect(m.translate(0x2000000n, 'guest-physical')).toBeUndefined(); // beyond the 16 MiB of guest RAM
    expect(m.vmcsRead(0x681e)).toBe(exit.guestRip); // GUEST_RIP
    // Host code is at the same linear addresses as guest code, but in host-physical memory.
    expect(m.translate(exit.guestRip, 'host-linear')).toBe(exit.guestRip);
    // The host then traces the hypercall with the number the guest had in RAX.
    const hypercall = new Promise<bigint>((done) => m.onTrace((r) => { if (r.event === 'kvm_hypercall') done(r.fields.nr as bigint); }));
    m.stopOnVmExit = m.stopOnVmEntry = false;
    m.run(1_000_000);
    return expect(hypercall).resolves.toBe(exit.guestGprs[0]);
  });

  it('stops at VM entry with the guest RIP when asked', () => {
    const m = boot();
    m.stopOnVmEntry = true;
    const stop = runToStop(m);
    expect(stop).toMatchObject({ kind: 'vmentry', entry: { launch: true, guestRip: m.guest.header.entry } });
    expect(m.inGuest).toBe(true);
    expect(m.cpu.rip).toBe(m.guest.header.entry);
    expect(m.translate(m.cpu.rip, 'guest-linear')).toBe(0x1000000n + m.cpu.rip);
  });

  it('a physical breakpoint picks the guest side of a linear address both sides use', () => {
    const m = boot();
    const entry = m.guest.header.entry;
    m.addBreakpoint(0x1000000n + entry, 'physical');
    const stop = runToStop(m);
    expect(stop).toEqual({ kind: 'breakpoint', address: 0x1000000n + entry, space: 'physical' });
    expect(m.inGuest).toBe(true);
    expect(m.cpu.rip).toBe(entry);
  });

  it('replays the guest exactly after restoring a snapshot taken inside it', () => {
    const m = boot();
    m.stopOnVmEntry = true;
    runToStop(m);
    m.stopOnVmEntry = false;
    const out: string[] = [];
    m.onConsole((o) => { if (o.port === 'guest') out.push(o.text); });
    const snap = m.snapshot();
    expect(runToStop(m)).toEqual({ kind: 'poweroff', status: 0 });
    const first = { icount: m.cpu.icount, trace: m.traceRecords.map((r) => r.text), out: out.join('') };
    expect(first.out).toContain('Hello World');
    out.length = 0;
    m.restore(snap);
    expect(m.inGuest).toBe(true);
    expect(runToStop(m)).toEqual({ kind: 'poweroff', status: 0 });
    expect({ icount: m.cpu.icount, trace: m.traceRecords.map((r) => r.text), out: out.join('') }).toEqual(first);
  });

  it('keeps the VMCS as the last VM exit left it while the host changes it, and across a snapshot', () => {
    const m = boot();
    m.stopOnVmExit = true;
    expect(runToStop(m).kind).toBe('vmexit');
    const { guestRip: rip, instructionLength, reason } = m.lastExit!;
    const next = rip + BigInt(instructionLength);
    expect(m.vmcsAtLastExit(0x681e)).toBe(rip); // GUEST_RIP
    m.stopOnVmExit = false;
    m.stopOnVmEntry = true;
    expect(runToStop(m).kind).toBe('vmentry');
    expect(m.vmcsRead(0x681e)).toBe(next); // the host stepped over the exiting instruction
    expect(m.vmcsAtLastExit(0x681e)).toBe(rip);
    expect(m.vmcsAtLastExit(0x4402)).toBe(BigInt(reason)); // VM_EXIT_REASON
    const snap = m.snapshot();
    m.vmcsWrite(0x4402, 0xffn);
    expect([m.vmcsAtLastExit(0x4402), m.vmcsRead(0x4402)]).toEqual([BigInt(reason), 0xffn]);
    m.restore(snap);
    expect([m.vmcsAtLastExit(0x681e), m.vmcsRead(0x681e)]).toEqual([rip, next]);
  });

  // VMCALL in a three-instruction loop, in blocks from the start: its VM exits find the system
  // registers as the entry left them and skip their save (savedGuestState.ts), until a change.
  function vmcallLoop(): Machine {
    const guestPath = compileElf(tempDir(), 'vmcall-loop', '.section .text.start\n.globl _start\n_start:\n mov $1000000, %ecx\n1: vmcall\n dec %ecx\n jnz 1b\n2: hlt\n jmp 2b\n', { lang: 'asm' });
    const m = Machine.boot({ hostElf: new Uint8Array(readFileSync(join(build, 'host.elf'))), guestElf: readBytes(guestPath), hostPath: 'host.elf', guestPath });
    m.interpreter.buildAfter = 1;
    return m;
  }

  /** vmcallLoop() at its first VM entry, the host's exit handler replaced by `handler`'s code (HOST_RIP pointed at it). */
  function vmcallLoopWithHandler(handler: Uint8Array): Machine {
    const m = vmcallLoop();
    m.stopOnVmEntry = true;
    expect(runToStop(m).kind).toBe('vmentry');
    m.stopOnVmEntry = false;
    const at = m.host.symbol('vmx_handle_exit')!.value;
    m.writeMemory(at, handler, 'host-linear');
    m.vmcsWrite(0x6c16, at); // HOST_RIP
    return m;
  }

  it('a VM exit saves what the debugger wrote into the guest\'s system registers while it was stopped in the guest', () => {
    const m = vmcallLoop();
    m.stopOnVmEntry = true;
    for (let k = 0; k < 5; k++) expect(runToStop(m).kind).toBe('vmentry');
    const idtr = m.vmcsRead(0x6818)!; // GUEST_IDTR_BASE
    m.setRegister('idtr.base', idtr + 0x1000n);
    m.stopOnVmEntry = false;
    m.stopOnVmExit = true;
    expect(runToStop(m).kind).toBe('vmexit');
    expect(m.vmcsRead(0x6818)).toBe(idtr + 0x1000n);
  });

  it('a VM exit saves the CR0 bits VM entry kept from the host after the host changed them', () => {
    // CR0.CD is among the bits VM entry leaves as the processor has them (SDM 27.3.2.1). The
    // host's exit handler is replaced by one that sets its CR0.CD once the guest's loop counter
    // (ECX, shared) is at 999,990, long after the guest's blocks run every trip, then steps
    // over the VMCALL and resumes: the guest runs with CD, and its next exit saves it.
    //   cmp ecx, 999990; ja 1f; mov rax, cr0; bts rax, 30; mov cr0, rax
    //   1: mov edx, GUEST_RIP; vmread rax, rdx; add rax, 3; vmwrite rdx, rax; vmresume
    const HANDLER = Buffer.from('81f936420f00770b0f20c0480fbae81e0f22c0ba1e6800000f78d04883c0030f79d00f01c3', 'hex');
    const m = vmcallLoopWithHandler(HANDLER);
    const CD = 1n << 30n, guestCr0 = () => m.vmcsRead(0x6800)! & CD; // GUEST_CR0
    m.run(1); // the guest's first instruction sets its counter
    expect(m.cpu.gpr[1]).toBe(1_000_000n);
    const runTo = (ecx: bigint) => { for (let k = 0; k < 1000 && m.cpu.gpr[1] > ecx; k++) m.run(20); };
    runTo(999_995n);
    expect(guestCr0()).toBe(0n);
    runTo(999_980n); // past the trip that set CD
    expect(BigInt(m.cpu.cr0 >>> 0) & CD).toBe(CD);
    expect(guestCr0()).toBe(CD);
  });

  it('the last VM exit read after the host ran shows the guest\'s registers at the exit, and a kept one stays as it was', () => {
    // Each exit only latches its information (vmExitRecord.ts LastVmExit); the record is made
    // when read. The host's handler clears RCX (the guest's loop counter) before it resumes.
    //   xor ecx, ecx; mov edx, GUEST_RIP; vmread rax, rdx; add rax, 3; vmwrite rdx, rax; vmresume
    const HANDLER = Buffer.from('31c9ba1e6800000f78d04883c0030f79d00f01c3', 'hex');
    const m = vmcallLoopWithHandler(HANDLER);
    const vmcall = m.guest.symbol('_start')!.value + 5n; // after mov ecx, imm32
    const toHostAndClear = () => {
      for (let k = 0; k < 10 && m.inGuest; k++) m.run(1);
      m.run(1); // xor ecx, ecx
      expect(m.cpu.gpr[1]).toBe(0n);
    };
    toHostAndClear();
    const first = m.lastExit!;
    expect(first.guestRip).toBe(vmcall);
    expect(first.guestGprs[1]).toBe(1_000_000n);
    expect(m.lastExit).toBe(first);
    m.run(5); // the rest of the handler
    expect(m.inGuest).toBe(true);
    toHostAndClear();
    const second = m.lastExit!;
    expect(second).not.toBe(first);
    expect(second.guestGprs[1]).toBe(0xffffffffn); // dec ecx from 0
    expect(first.guestGprs[1]).toBe(1_000_000n);
  });

  it('every VM exit loads the host\'s segment registers from the VMCS, also after the host changed one', () => {
    // The segment registers the last transition left are kept aside and swapped back in
    // (segmentBanks.ts). The host's exit handler is replaced by one that writes its own FS base
    // (WRMSR IA32_FS_BASE) and resumes: each exit must load HOST_FS_BASE again (SDM 28.5.2).
    //   mov ecx, 0xc0000100; mov eax, 0x12345000; xor edx, edx; wrmsr
    //   mov edx, GUEST_RIP; vmread rax, rdx; add rax, 3; vmwrite rdx, rax; vmresume
    const HANDLER = Buffer.from('b9000100c0b80050341231d20f30ba1e6800000f78d04883c0030f79d00f01c3', 'hex');
    const m = vmcallLoopWithHandler(HANDLER);
    const hostFsBase = m.vmcsRead(0x6c06)!; // HOST_FS_BASE
    expect(hostFsBase).not.toBe(0x12345000n);
    m.stopOnVmExit = true;
    for (let k = 0; k < 5; k++) {
      expect(runToStop(m).kind).toBe('vmexit');
      expect(m.segment(4).base).toBe(hostFsBase); // FS
      m.run(4);
      expect(m.segment(4).base).toBe(0x12345000n);
    }
  });

  // A guest that loads its own GDT and IDT, loops VMCALL 20 times in blocks (its exits skip the
  // save of the system registers), then divides by zero inside the loop's block. #DE's gate
  // loads CS 0x28; its handler makes a VMCALL.
  function divideGuest(): Machine {
    const guest = `.intel_syntax noprefix
.section .text.start
.globl _start
_start:
	lea rax, [rip + handler]
	mov word ptr [rip + idt], ax
	shr rax, 16
	mov word ptr [rip + idt + 6], ax
	shr rax, 16
	mov dword ptr [rip + idt + 8], eax
	lgdt [rip + gdtr]
	lidt [rip + idtr]
	mov ecx, 20
1:	vmcall
	dec ecx
	jnz 1b
	mov eax, 1
	xor edx, edx
	div ecx
2:	hlt
	jmp 2b
handler:
	vmcall
3:	hlt
	jmp 3b
.balign 16
gdt:	.quad 0, 0x00af9b000000ffff, 0x00cf93000000ffff, 0, 0, 0x00af9b000000ffff
gdtr:	.word 47
	.quad gdt
.balign 16
idt:	.word 0, 0x28, 0x8e00, 0
	.quad 0
idtr:	.word 15
	.quad idt
`;
    const guestPath = compileElf(tempDir(), 'de-guest', guest, { lang: 'asm' });
    const m = Machine.boot({ hostElf: new Uint8Array(readFileSync(join(build, 'host.elf'))), guestElf: readBytes(guestPath), hostPath: 'host.elf', guestPath });
    m.interpreter.buildAfter = 1;
    m.stopOnVmExit = true;
    return m;
  }

  it('a fault delivered from inside a block changes CS, and the next VM exit saves it', () => {
    const m = divideGuest();
    const cs: bigint[] = [];
    for (let k = 0; k < 21; k++) {
      expect(runToStop(m).kind).toBe('vmexit');
      cs.push(m.vmcsRead(0x802)!); // GUEST_CS_SELECTOR
    }
    expect(m.lastExit!.reasonName).toBe('VMCALL');
    expect(cs[19]).not.toBe(0x28n); // the loop's last VMCALL
    expect(cs[20]).toBe(0x28n); // the handler's
  });

  it('an event injected at VM entry changes CS, and the next VM exit saves it', () => {
    // At the fifth VMCALL exit the debugger sets VM_ENTRY_INTR_INFO: a #DE (hardware exception)
    // delivered through the guest's IDT as the entry completes, to the handler's VMCALL.
    const m = divideGuest();
    for (let k = 0; k < 5; k++) expect(runToStop(m).kind).toBe('vmexit');
    m.vmcsWrite(0x4016, BigInt((1 << 31 | 3 << 8 | 0) >>> 0)); // VM_ENTRY_INTR_INFO: valid, hardware exception, vector 0
    expect(runToStop(m).kind).toBe('vmexit');
    expect(m.vmcsRead(0x802)).toBe(0x28n); // GUEST_CS_SELECTOR
    expect(m.lastExit!.guestRip).toBe(m.guest.symbol('handler')!.value);
  });
});
