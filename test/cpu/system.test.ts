// Paging (#PF error codes, A/D), exception delivery (IST, privilege stack switch, #DF,
// triple fault), SYSCALL/SYSRET, IRETQ to CPL 3, single-step, system instructions and
// VMX instruction forwarding. Expectations from Intel SDM vol. 3A ch. 4 and 6, vol. 2.
import { assembler, makeMachine, runTo, setGate, CODE, HANDLERS, RSP0, IST1, type TestMachine } from './harness';
import { HALVES } from '../../emulator/cpu/halves';
import { Seg } from '../../emulator/cpu/state';
import type { VmxUnit } from '../../emulator/cpu/vmxUnit';

const asm = assembler('system');
const RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, R11 = 11;
const PD = 0x3000;

function exec(src: string, setup?: (m: TestMachine) => void, max = 1000): TestMachine {
  const m = makeMachine(asm(src));
  setup?.(m);
  runTo(m, 0n, max);
  return m;
}
const inHandler = (m: TestMachine, v: number) => m.state.halted && m.state.rip === BigInt(HANDLERS + v * 16 + 1);
const rsp = (m: TestMachine) => Number(m.state.gpr[RSP]);
/** The qwords of the exception frame at RSP: [errorCode?], RIP, CS, RFLAGS, RSP, SS. */
const frame = (m: TestMachine, n = 6) => Array.from({ length: n }, (_, k) => m.mem.read64(rsp(m) + 8 * k));
const toUser = `push 0x23\npush 0x70000\npush 0x2\npush 0x2b\nlea rax, [rip+user]\npush rax\niretq\n`;

describe('paging and #PF error codes (SDM 4.7)', () => {
  test('not-present read: error 0, CR2 = address, RIP of the faulting instruction', () => {
    const m = exec('mov rax, qword ptr [0x200010]', (m) => m.mem.write64(PD + 8, 0n));
    expect(inHandler(m, 14)).toBe(true);
    expect(m.state.cr2).toBe(0x200010n);
    expect(frame(m, 2)).toEqual([0n, BigInt(CODE)]);
  });
  test('write to a read-only page: P|W; allowed for supervisor when CR0.WP = 0', () => {
    const ro = (m: TestMachine) => m.mem.write64(PD + 16, 0x200000n | 0x85n);
    const m = exec('mov dword ptr [0x400000], 1', ro);
    expect(inHandler(m, 14)).toBe(true);
    expect(frame(m, 1)).toEqual([3n]);
    const w = exec('mov rax, cr0\nand eax, 0xfffeffff\nmov cr0, rax\nmov dword ptr [0x400000], 1\nhlt', ro);
    expect(w.mem.read32(0x200000)).toBe(1);
  });
  test('reserved bit above MAXPHYADDR: P|RSVD', () => {
    const m = exec('mov rax, qword ptr [0x600000]', (m) => m.mem.write64(PD + 24, 0x600000n | 0x87n | (1n << 45n)));
    expect(frame(m, 1)).toEqual([9n]);
  });
  test('instruction fetch from an XD page: P|I/D, CR2 = RIP', () => {
    const m = exec('mov rax, 0x800000\njmp rax', (m) => m.mem.write64(PD + 32, 0x800000n | 0x87n | (1n << 63n)));
    expect(inHandler(m, 14)).toBe(true);
    expect(m.state.cr2).toBe(0x800000n);
    expect(frame(m, 2)).toEqual([0x11n, 0x800000n]);
  });
  test('user read of a supervisor page: P|U, with a stack switch to RSP0', () => {
    const m = exec(toUser + 'user: mov rax, qword ptr [0xa00000]', (m) => m.mem.write64(PD + 40, 0xa00000n | 0x83n));
    expect(inHandler(m, 14)).toBe(true);
    expect(rsp(m)).toBe(RSP0 - 48);
    const f = frame(m);
    expect(f[0]).toBe(5n);
    expect(f[2]).toBe(0x2bn);
    expect(f[4]).toBe(0x70000n);
    expect(f[5]).toBe(0x23n);
    expect(m.state.seg[Seg.CS].selector).toBe(0x08);
    expect(m.state.seg[Seg.SS].selector).toBe(0);
  });
  test('1-GiB and 4-KiB pages translate; SMEP blocks supervisor fetches from user pages', () => {
    const m = exec('mov rax, qword ptr [0x40000010]\nmov rbx, qword ptr [0x600008]\nhlt', (m) => {
      m.mem.write64(0x2008, 0x87n); // PDPT[1]: 1 GiB page at physical 0
      m.mem.write64(PD + 24, 0x8000n | 7n); // PD[3] -> page table at 0x8000
      m.mem.write64(0x8000, 0x22000n | 7n); // PT[0]: linear 0x600000 -> 0x22000
      m.mem.write64(0x10, 0x1111n);
      m.mem.write64(0x22008, 0x2222n);
    });
    expect(m.state.gpr[RAX]).toBe(0x1111n);
    expect(m.state.gpr[RBX]).toBe(0x2222n);
    const s = exec('mov rax, cr4\nbts eax, 20\nmov cr4, rax\nmov rax, 0x800000\njmp rax', (m) => {
      m.mem.write64(PD, 0x83n); // kernel code and handlers on a supervisor page
      m.mem.write64(PD + 32, 0x200000n | 0x87n); // a user page at 0x800000
    });
    expect(inHandler(s, 14)).toBe(true);
    expect(frame(s, 1)).toEqual([0x11n]);
  });
  test('accessed and dirty flags are set by a write', () => {
    const m = exec('mov dword ptr [0x20000], 1\nhlt');
    expect(m.mem.read64(PD) & 0x60n).toBe(0x60n);
    expect(m.mem.read64(0x1000) & 0x20n).toBe(0x20n);
  });
  test('mov to CR3 makes new page tables take effect', () => {
    const m = exec('mov rax, qword ptr [0x200000]\nmov rbx, cr3\nmov qword ptr [0x3008], 0\nmov cr3, rbx\nmov rax, qword ptr [0x200000]');
    expect(inHandler(m, 14)).toBe(true);
    expect(m.state.cr2).toBe(0x200000n);
  });
});

describe('exception and interrupt delivery (SDM 6.14)', () => {
  test('IST: int3 switches to IST1, frame RIP is the next instruction', () => {
    const code = asm('int3');
    const m = exec('int3', (m) => setGate(m.mem, 3, HANDLERS + 3 * 16, { ist: 1 }));
    expect(inHandler(m, 3)).toBe(true);
    expect(rsp(m)).toBe(IST1 - 40);
    expect(frame(m, 1)).toEqual([BigInt(CODE + code.length)]);
  });
  test('int 0x80 from CPL 3 through a DPL-3 gate switches to RSP0; a DPL-0 gate raises #GP(vector*8+2)', () => {
    const m = exec(toUser + 'user: int 0x80', (m) => setGate(m.mem, 0x80, HANDLERS + 0x80 * 16, { dpl: 3 }));
    expect(inHandler(m, 0x80)).toBe(true);
    expect(rsp(m)).toBe(RSP0 - 40);
    expect(frame(m, 5).slice(1)).toEqual([0x2bn, 0x2n, 0x70000n, 0x23n]);
    const g = exec(toUser + 'user: int 0x81');
    expect(inHandler(g, 13)).toBe(true);
    expect(frame(g, 1)).toEqual([BigInt(0x81 * 8 + 2)]);
  });
  test('INT1 (ICEBP) at CPL 3: #DB trap with the next RIP, without the gate DPL check INT3 gets (SDM vol. 2 "INT n/INTO/INT3/INT1")', () => {
    const code = asm(toUser + 'user: .byte 0xf1');
    const m = exec(toUser + 'user: .byte 0xf1');
    expect(inHandler(m, 1)).toBe(true);
    expect(frame(m, 2)).toEqual([BigInt(CODE + code.length), 0x2bn]);
    const int3 = exec(toUser + 'user: int3');
    expect(inHandler(int3, 13)).toBe(true);
    expect(frame(int3, 1)).toEqual([BigInt(3 * 8 + 2)]);
  });
  test('#PF whose gate is not present escalates to #DF with error code 0', () => {
    const m = exec('mov rax, qword ptr [0x200000]', (m) => { m.mem.write64(PD + 8, 0n); setGate(m.mem, 14, 0, { present: false }); });
    expect(inHandler(m, 8)).toBe(true);
    expect(frame(m, 1)).toEqual([0n]);
  });
  test('a fault with no usable IDT is a triple fault: shutdown', () => {
    const m = exec('ud2', (m) => { m.state.idtr.limit = 0; });
    expect(m.state.shutdown).toBe(true);
    expect(m.cpu.shutdownCause?.rip).toBe(BigInt(CODE));
  });
  test('invalid opcode: #UD with the faulting RIP', () => {
    const m = exec('nop\n.byte 0x0f, 0x0b');
    expect(inHandler(m, 6)).toBe(true);
    expect(frame(m, 1)).toEqual([BigInt(CODE + 1)]);
  });
  test('TF single-step: #DB after the next instruction with DR6.BS', () => {
    const code = asm('pushfq\nor qword ptr [rsp], 0x100\npopfq\nnop\nnop');
    const m = exec('pushfq\nor qword ptr [rsp], 0x100\npopfq\nnop\nnop');
    expect(inHandler(m, 1)).toBe(true);
    expect(frame(m, 1)).toEqual([BigInt(CODE + code.length - 1)]);
    expect(m.state.dr[6] & (1n << 14n)).toBe(1n << 14n);
    expect(m.state.getRflags() & 0x100).toBe(0);
  });
});

describe('privilege transitions', () => {
  test('iretq to CPL 3, then HLT raises #GP(0) and returns to CPL 0', () => {
    const m = exec(toUser + 'user: mov ebx, 7\nhlt');
    expect(m.state.gpr[RBX]).toBe(7n);
    expect(inHandler(m, 13)).toBe(true);
    expect(frame(m, 3)).toEqual([0n, BigInt(CODE + asm(toUser + 'user: mov ebx, 7').length), 0x2bn]);
    expect(m.state.cpl).toBe(0);
  });
  test('syscall/sysret round trip through STAR/LSTAR/FMASK', () => {
    const src = `mov ecx, 0xc0000081\nxor eax, eax\nmov edx, 0x00180008\nwrmsr
mov ecx, 0xc0000082\nlea rax, [rip+entry]\nxor edx, edx\nwrmsr
mov ecx, 0xc0000084\nmov eax, 0x200\nxor edx, edx\nwrmsr
lea rcx, [rip+user]\nmov r11, 0x202\nsysretq
user: mov ebx, 42\nsyscall
after: nop
entry: hlt`;
    const code = asm(src);
    const after = asm(src.slice(0, src.indexOf('after:')) + '').length;
    const m = makeMachine(code);
    runTo(m, 0n, 100);
    expect(m.state.gpr[RBX]).toBe(42n);
    expect(m.state.gpr[RCX]).toBe(BigInt(CODE + after));
    expect(m.state.gpr[R11]).toBe(0x202n);
    expect(m.state.cpl).toBe(0);
    expect(m.state.seg[Seg.CS].selector).toBe(0x08);
    expect(m.state.seg[Seg.SS].selector).toBe(0x10);
    expect(m.state.getRflags() & 0x200).toBe(0);
  });
  test('sysret to CPL 3 loads CS = STAR[63:48]+16 | 3 and SS = +8 | 3', () => {
    const m = exec(`mov ecx, 0xc0000081\nxor eax, eax\nmov edx, 0x00180008\nwrmsr\nlea rcx, [rip+user]\nmov r11, 2\nsysretq\nuser: mov eax, cs\nmov edx, ss\nhlt`);
    expect(m.state.gpr[RAX]).toBe(0x2bn);
    expect(m.state.gpr[RDX]).toBe(0x23n);
    expect(inHandler(m, 13)).toBe(true);
  });
  test('compatibility mode: far return to a 32-bit segment and a far jump back', () => {
    const m = exec(`start: push 0x40\nlea rax, [rip+c32]\npush rax\nretfq
.code32
c32: mov eax, 0x40000000\nadd eax, eax\npush eax\npop ebx\nljmp 0x08, 0x10000 + back - start
.code64
back: mov ecx, 5\nhlt`);
    expect(m.state.gpr[RBX]).toBe(0x80000000n);
    expect(m.state.gpr[RCX]).toBe(5n);
    expect(m.state.seg[Seg.CS].selector).toBe(0x08);
    expect(m.state.halted).toBe(true);
  });
});

describe('compatibility mode instructions', () => {
  test('32-bit call/ret, push/pop, string ops and addressing use 32-bit registers', () => {
    const m = exec(`start: mov rsp, 0x60000\npush 0x40\nlea rax, [rip+c32]\npush rax\nretfq
.code32
c32: call f\npush 5\npop esi\nmov edi, 0x20000\nmov ecx, 3\nmov al, 0x5a\nrep stosb\nmov ebx, 0x1fffc\nmov edx, [ebx+4]\nlea ebp, [esp-4]\nljmp 0x08, 0x10000 + back - start
f: mov ecx, 0x77\nret
.code64
back: hlt`);
    expect(m.state.halted).toBe(true);
    expect(m.state.gpr[6]).toBe(5n);
    expect(m.mem.read32(0x20000)).toBe(0x005a5a5a);
    expect(m.state.gpr[RDX]).toBe(0x5a5a5an);
    expect(m.state.gpr[7]).toBe(0x20003n);
    expect(m.state.gpr[5]).toBe(BigInt(0x60000 - 4));
  });
});

describe('system instructions', () => {
  test('cpuid leaf 0 vendor and leaf 1 without VMX', () => {
    const m = exec('xor eax, eax\ncpuid\nmov r8d, ebx\nmov r9d, edx\nmov r10d, ecx\nmov eax, 1\ncpuid\nhlt');
    const s = (v: bigint) => String.fromCharCode(...[0, 8, 16, 24].map((k) => Number((v >> BigInt(k)) & 0xffn)));
    expect(s(m.state.gpr[8]) + s(m.state.gpr[9]) + s(m.state.gpr[10])).toBe('GenuineIntel');
    expect(m.state.gpr[RCX] & 0x20n).toBe(0n);
  });
  test('rdtsc counts retired instructions', () => {
    const m = exec('rdtsc\nmov r8, rax\nrdtsc\nsub rax, r8\nhlt');
    expect(m.state.gpr[RAX]).toBe(2n);
  });
  test('rdmsr/wrmsr: LSTAR round trip, non-canonical #GP, unknown MSR #GP', () => {
    const m = exec('mov ecx, 0xc0000082\nmov eax, 0x1000\nmov edx, 0xffff8000\nwrmsr\nxor eax, eax\nxor edx, edx\nrdmsr\nhlt');
    expect(m.state.gpr[RAX]).toBe(0x1000n);
    expect(m.state.gpr[RDX]).toBe(0xffff8000n);
    expect(inHandler(exec('mov ecx, 0xc0000082\nmov edx, 0x00010000\nwrmsr'), 13)).toBe(true);
    expect(inHandler(exec('mov ecx, 0x12345\nrdmsr'), 13)).toBe(true);
  });
  test('rdmsr/wrmsr: the SYSENTER MSRs round trip; ESP and EIP must be canonical, CS need not', () => {
    const m = exec('mov ecx, 0x174\nmov eax, 0x10\nmov edx, 0x12345\nwrmsr\nmov ecx, 0x175\nmov eax, 0x2000\nmov edx, 0xffff8000\nwrmsr\n'
      + 'mov ecx, 0x176\nmov eax, 0x3000\nxor edx, edx\nwrmsr\n'
      + 'mov ecx, 0x174\nrdmsr\nmov r8, rax\nmov r9, rdx\nmov ecx, 0x175\nrdmsr\nmov r10, rdx\nmov ecx, 0x176\nrdmsr\nhlt');
    expect([m.state.gpr[8], m.state.gpr[9], m.state.gpr[10], m.state.gpr[RAX]]).toEqual([0x10n, 0x12345n, 0xffff8000n, 0x3000n]);
    expect(inHandler(exec('mov ecx, 0x176\nmov edx, 0x00010000\nwrmsr'), 13)).toBe(true);
  });
  test('rdmsr/wrmsr: IA32_PAT reads its power-up value, round trips, and refuses the reserved memory types 2 and 3', () => {
    const m = exec('mov ecx, 0x277\nrdmsr\nmov r8, rax\nmov r9, rdx\nmov eax, 0x06060606\nmov edx, 0x01000406\nwrmsr\nxor eax, eax\nxor edx, edx\nrdmsr\nhlt');
    expect([m.state.gpr[8], m.state.gpr[9], m.state.gpr[RAX], m.state.gpr[RDX]]).toEqual([0x00070406n, 0x00070406n, 0x06060606n, 0x01000406n]);
    const refused = exec('mov ecx, 0x277\nmov eax, 0x06060602\nxor edx, edx\nwrmsr');
    expect(inHandler(refused, 13)).toBe(true);
    expect(refused.state.pat).toBe(0x0007040600070406n);
  });
  test('IA32_FEATURE_CONTROL cannot be written once locked', () => {
    const m = exec('mov ecx, 0x3a\nmov eax, 5\nxor edx, edx\nwrmsr\nrdmsr\nmov ebx, eax\nwrmsr');
    expect(m.state.gpr[RBX]).toBe(5n);
    expect(inHandler(m, 13)).toBe(true);
  });
  test('swapgs exchanges GS.base and IA32_KERNEL_GS_BASE', () => {
    const m = exec('mov ecx, 0xc0000102\nmov eax, 0x5000\nxor edx, edx\nwrmsr\nswapgs\nmov rax, qword ptr gs:[8]\nmov ecx, 0xc0000101\nrdmsr\nhlt', (m) => m.mem.write64(0x5008, 0x77n));
    expect(m.state.seg[Seg.GS].base).toBe(0x5000n);
    expect(m.state.gpr[RAX]).toBe(0x5000n);
  });
  test('fs segment override uses FS.base', () => {
    const m = exec('mov rax, qword ptr fs:[0x10]\nhlt', (m) => { m.state.seg[Seg.FS].base = 0x20000n; m.mem.write64(0x20010, 0x99n); });
    expect(m.state.gpr[RAX]).toBe(0x99n);
  });
  test('out/in reach the I/O bus; CPL 3 with IOPL 0 and no bitmap raises #GP', () => {
    const m = exec('mov dx, 0x3f8\nmov al, 0x41\nout dx, al\nin al, 0x60\nout 0x80, eax\nhlt');
    expect(m.bus.outs).toEqual([[0x3f8, 1, 0x41], [0x80, 4, 0xff]]);
    expect(m.state.gpr[RAX] & 0xffn).toBe(0xffn);
    const u = exec(toUser + 'user: out 0x80, al');
    expect(inHandler(u, 13)).toBe(true);
    expect(u.bus.outs).toEqual([]);
  });
  test('mov to CR4 with a reserved bit, or clearing CR0.PG in 64-bit mode, raises #GP(0)', () => {
    expect(inHandler(exec('mov rax, cr4\nbts rax, 25\nmov cr4, rax'), 13)).toBe(true);
    expect(inHandler(exec('mov rax, cr0\nbtr eax, 31\nmov cr0, rax'), 13)).toBe(true);
    expect(inHandler(exec(toUser + 'user: mov rax, cr0'), 13)).toBe(true);
  });
  test('lgdt/sgdt/lidt/sidt/ltr/str', () => {
    const m = exec('sub rsp, 16\nsgdt [rsp]\nmov ax, word ptr [rsp]\nmov rbx, qword ptr [rsp+2]\nmov word ptr [rsp], 0x2f\nlgdt [rsp]\nstr ecx\nhlt');
    expect(m.state.gpr[RAX] & 0xffffn).toBe(0x47n);
    expect(m.state.gpr[RBX]).toBe(0x4000n);
    expect(m.state.gdtr.limit).toBe(0x2f);
    expect(m.state.gpr[RCX]).toBe(0x30n);
  });
  test('mov to a data segment register checks the descriptor; SS RPL must equal CPL', () => {
    expect(exec('mov ax, 0x20\nmov ds, ax\nhlt').state.seg[Seg.DS].selector).toBe(0x20);
    const m = exec('mov ax, 0x23\nmov ss, ax');
    expect(inHandler(m, 13)).toBe(true);
    expect(frame(m, 1)).toEqual([0x20n]);
  });
});

class FakeVmx implements VmxUnit {
  inVmxOperation = true;
  nonRoot = false;
  tscOffset = 0n;
  preemptionTimerDeadline = undefined;
  eventDelivery = undefined;
  calls: unknown[][] = [];
  vmxon(...a: unknown[]) { this.calls.push(['vmxon', ...a]); }
  vmxoff() { this.calls.push(['vmxoff']); }
  vmclear(...a: unknown[]) { this.calls.push(['vmclear', ...a]); }
  vmptrld(...a: unknown[]) { this.calls.push(['vmptrld', ...a]); }
  vmptrst(...a: unknown[]) { this.calls.push(['vmptrst', ...a]); }
  vmread(...a: unknown[]) { this.calls.push(['vmread', ...a]); HALVES[0] = 0x1234; HALVES[1] = 0; return true; }
  vmwrite(...a: unknown[]) { this.calls.push(['vmwrite', ...a]); }
  vmreadSucceeds() { return false; } // compiled blocks only: these tests step
  vmwriteSucceeds() { return false; }
  vmlaunch() { this.calls.push(['vmlaunch']); return false; }
  vmresume() { return false; }
  vmcall() { this.calls.push(['vmcall']); return false; }
  invept(...a: unknown[]) { this.calls.push(['invept', ...a]); }
  invvpid() { /* unused */ }
  intercept(what: unknown) { this.calls.push(['intercept', what]); }
  interceptReturning(what: unknown) { this.calls.push(['intercept', what]); return false; }
  movToCr(_cr: number, _g: number, v: bigint) { return v; }
  movFromCr(_cr: number, _g: number, v: bigint) { return v; }
  interceptException() { /* unused */ }
  tripleFault(): never { throw new Error('unused'); }
  translateGuestPhysical(gpa: bigint) { return Number(gpa); }
  beforeInstruction() { /* unused */ }
  readCapabilityMsr() { return undefined; }
}

describe('VMX instruction forwarding (SDM 27.2.5 instruction information)', () => {
  test('descriptor-table exits in non-root carry the instruction information and displacement', () => {
    const vmx = new FakeVmx();
    vmx.nonRoot = true;
    exec('mov eax, 0x20000\nsgdt [rax+8]\nltr cx\nhlt', (m) => { m.cpu.vmx = vmx; m.state.gpr[RCX] = 0x30n; m.mem.write64(0x4030 + 0, m.mem.read64(0x4030) & ~(2n << 40n)); });
    const calls = vmx.calls.filter((c) => c[0] === 'intercept').map((c) => c[1]);
    expect(calls[0]).toEqual({ kind: 'descriptor-table', instr: 'sgdt', info: (2 << 7) | (1 << 11) | (3 << 15) | (1 << 22), qualification: 8n });
    expect(calls[1]).toEqual({ kind: 'descriptor-table', instr: 'ltr', info: ((1 << 3) | (2 << 7) | (1 << 10) | (3 << 28)) >>> 0, qualification: 0n });
  });

  test('vmread to memory: scaling, address size, segment, index, base, Reg2; displacement as qualification', () => {
    const vmx = new FakeVmx();
    const m = exec('mov eax, 0x20000\nmov ebx, 2\nmov ecx, 0x4400\nvmread qword ptr [rax+rbx*4+0x10], rcx\nhlt', (m) => { m.cpu.vmx = vmx; });
    const info = 2 | (2 << 7) | (3 << 15) | (3 << 18) | (0 << 23) | (1 << 28);
    expect(vmx.calls[0]).toEqual(['vmread', 0x4400, 0, info, 0x10n]);
    expect(m.mem.read64(0x20018)).toBe(0x1234n);
  });
  test('vmwrite from a register: bit 10 set, Reg1 = r/m', () => {
    const vmx = new FakeVmx();
    exec('mov edx, 0x681e\nmov r9, 0x55\nvmwrite rdx, r9\nhlt', (m) => { m.cpu.vmx = vmx; });
    expect(vmx.calls[0]).toEqual(['vmwrite', 0x681e, 0, 0x55, 0, ((9 << 3) | (2 << 7) | (1 << 10) | (2 << 28)) >>> 0, 0n]);
  });
  test('vmptrld passes the operand address; RIP-relative forms have no base or index', () => {
    const vmx = new FakeVmx();
    exec('vmptrld qword ptr [rip+0x100]\nhlt', (m) => { m.cpu.vmx = vmx; });
    const insnLen = asm('vmptrld qword ptr [rip+0x100]').length;
    expect(vmx.calls[0]).toEqual(['vmptrld', BigInt(CODE + insnLen + 0x100), ((2 << 7) | (3 << 15) | (1 << 22) | (1 << 27)) >>> 0, 0x100n]);
  });
  test('#UD without VMX or CR4.VMXE; #GP at CPL 3 in root operation; vmcall forwarded', () => {
    expect(inHandler(exec('vmcall'), 6)).toBe(true);
    expect(inHandler(exec('vmxon qword ptr [rsp]', (m) => { m.cpu.vmx = new FakeVmx(); }), 6)).toBe(true);
    expect(inHandler(exec(toUser + 'user: vmcall', (m) => { m.cpu.vmx = new FakeVmx(); }), 13)).toBe(true);
    const vmx = new FakeVmx();
    exec('vmcall\nhlt', (m) => { m.cpu.vmx = vmx; });
    expect(vmx.calls).toEqual([['vmcall']]);
  });
});

