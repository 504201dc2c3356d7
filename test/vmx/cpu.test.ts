// VMX through the real interpreter: the host in fixtures/host.S runs failing VMX instructions,
// programs a VMCS from a table, launches a small 64-bit guest (assembled per test) behind EPT
// and logs each VM exit as its handler sees it through VMREAD.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VmExitInfo } from '../../emulator/api';
import { Cpu } from '../../emulator/cpu/cpu';
import { CpuState, Seg } from '../../emulator/cpu/state';
import type { IoBus } from '../../emulator/cpu/vmxUnit';
import { PhysicalMemory } from '../../emulator/memory/physical';
import { Field } from '../../emulator/vmx/fields';
import { Vmx } from '../../emulator/vmx/vmx';
import { runTool } from '../tools';

const HOST_CODE = 0x100000, TABLE = 0x150000, EPT = 0x300000, VMFAIL_LOG = 0x380000, EXIT_LOG = 0x390000;
/** Guest-physical 0 is host-physical GUEST_BASE; the guest runs at guest-physical GUEST_RIP. */
const GUEST_BASE = 0x400000, GUEST_RIP = 0x1000;

const workDir = mkdtempSync(join(tmpdir(), 'vmx-cpu-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function assemble(name: string, source: string): Uint8Array {
  const src = join(workDir, `${name}.S`), obj = join(workDir, `${name}.o`), bin = join(workDir, `${name}.bin`);
  writeFileSync(src, source);
  runTool('as', ['--64', '-o', obj, src]);
  runTool('objcopy', ['-O', 'binary', obj, bin]);
  return new Uint8Array(readFileSync(bin));
}

const hostBinary = assemble('host', readFileSync(join(__dirname, 'fixtures', 'host.S'), 'utf8'));

/** Identity map of the first 1 GiB with 2-MByte pages: PML4, PDPT, PD at `at`, referring to each other as `tableBase + n`. */
function identityMap(phys: PhysicalMemory, at: number, tableBase: number): void {
  phys.write64(at, BigInt(tableBase + 0x1000 | 3));
  phys.write64(at + 0x1000, BigInt(tableBase + 0x2000 | 3));
  for (let i = 0; i < 512; i++) phys.write64(at + 0x2000 + 8 * i, BigInt(i) * 0x200000n | 0x83n);
}

const BASE_FIELDS: Array<[number, bigint | number]> = [
  [Field.PIN_BASED_VM_EXEC_CONTROL, 0x16],
  [Field.CPU_BASED_VM_EXEC_CONTROL, 0x84006172 | 0x80 | 1 << 24], // HLT and unconditional I/O exiting, secondary
  [Field.SECONDARY_VM_EXEC_CONTROL, 2], // enable EPT
  [Field.EPT_POINTER, EPT | 0x1e],
  [Field.VM_EXIT_CONTROLS, 0x36dfb | 0x200 | 0x300000],
  [Field.VM_ENTRY_CONTROLS, 0x11fb | 0x200 | 0x8000],
  [Field.VMCS_LINK_POINTER, 0xffffffffffffffffn],
  [Field.HOST_CR0, 0x80010033], [Field.HOST_CR3, 0x10000], [Field.HOST_CR4, 0x2020], [Field.HOST_IA32_EFER, 0xd01],
  [Field.HOST_CS_SELECTOR, 8], [Field.HOST_SS_SELECTOR, 0x10], [Field.HOST_DS_SELECTOR, 0x10], [Field.HOST_ES_SELECTOR, 0x10],
  [Field.HOST_TR_SELECTOR, 0x18], [Field.HOST_TR_BASE, 0x3000], [Field.HOST_GDTR_BASE, 0x2000],
  [Field.GUEST_CR0, 0x80010033], [Field.GUEST_CR3, 0x10000], [Field.GUEST_CR4, 0x2020], [Field.GUEST_IA32_EFER, 0x501],
  [Field.GUEST_CS_SELECTOR, 8], [Field.GUEST_CS_LIMIT, 0xffffffff], [Field.GUEST_CS_AR, 0xa09b],
  ...[0, 2, 3, 4, 5].flatMap((i): Array<[number, number]> => [
    [Field.GUEST_ES_SELECTOR + 2 * i, 0x10], [Field.GUEST_ES_LIMIT + 2 * i, 0xffffffff], [Field.GUEST_ES_AR + 2 * i, 0xc093]]),
  [Field.GUEST_LDTR_AR, 0x10000], [Field.GUEST_TR_LIMIT, 0x67], [Field.GUEST_TR_AR, 0x8b],
  [Field.GUEST_RIP, GUEST_RIP], [Field.GUEST_RSP, 0x8000], [Field.GUEST_RFLAGS, 2],
];

interface LoggedExit { reason: bigint; qualification: bigint; length: bigint; rip: bigint }

/** The host with `guestSource` as the guest and VMCS `fields` (later entries win), at its first instruction. */
function boot(guestSource: string, fields: Array<[number, bigint | number]> = []) {
  const phys = new PhysicalMemory(0x800000);
  const state = new CpuState();
  const io: IoBus = { in: () => 0xffffffff, out: () => undefined };
  const cpu = new Cpu(state, phys, io);
  const vmx = new Vmx(cpu);
  cpu.vmx = vmx;
  phys.bytes.set(hostBinary, HOST_CODE);
  phys.bytes.set(assemble('guest', `.intel_syntax noprefix\n.code64\n${guestSource}\n`), GUEST_BASE + GUEST_RIP);
  identityMap(phys, 0x10000, 0x10000); // host page tables
  identityMap(phys, GUEST_BASE + 0x10000, 0x10000); // guest page tables (guest-physical)
  // GDT: null, 64-bit code, data, 64-bit TSS at 0x3000 (available)
  phys.write64(0x2008, 0x00af9b000000ffffn);
  phys.write64(0x2010, 0x00cf93000000ffffn);
  phys.write64(0x2018, 0x0000890030000067n);
  // EPT: guest-physical 0-2 MiB -> host-physical 4-6 MiB in 4-KByte pages, but the last page is not present
  phys.write64(EPT, BigInt(EPT + 0x1000 | 7));
  phys.write64(EPT + 0x1000, BigInt(EPT + 0x2000 | 7));
  phys.write64(EPT + 0x2000, BigInt(EPT + 0x3000 | 7));
  for (let i = 0; i < 511; i++) phys.write64(EPT + 0x3000 + 8 * i, BigInt(GUEST_BASE + i * 0x1000) | 0x37n);
  phys.write64(0x5ff000, 0x1234n); // what the guest reads once the host has mapped that page
  const table = [...BASE_FIELDS, ...fields];
  table.forEach(([f, v], k) => {
    phys.write64(TABLE + 16 * k, BigInt(f));
    phys.write64(TABLE + 16 * k + 8, BigInt(v));
  });
  phys.write64(TABLE + 16 * table.length, 0xffffffffffffffffn);
  // The loader's hand-over state (docs/platform.md): 64-bit mode, IA32_FEATURE_CONTROL unlocked.
  state.cr0 = 0x80010033; state.cr3 = 0x10000n; state.cr4 = 0x20; state.efer = 0xd01;
  state.seg[Seg.CS] = { selector: 8, base: 0n, limit: 0xffffffff, attrs: 0xa09b };
  for (const s of [Seg.SS, Seg.DS, Seg.ES, Seg.FS, Seg.GS]) state.seg[s] = { selector: 0x10, base: 0n, limit: 0xffffffff, attrs: 0xc093 };
  state.gdtr.base = 0x2000n; state.gdtr.limit = 0x27;
  state.idtr.limit = 0;
  state.gpr[4] = 0x80000n;
  state.rip = BigInt(HOST_CODE);
  cpu.buildAfter = 1;
  cpu.compileAfter = 1;
  return { phys, state, cpu, vmx };
}

/**
 * Boot the host with `guestSource` as the guest and VMCS `fields` (later entries win), run until
 * the host halts; `blocks`: through blocks compiled at first sight wherever the CPU offers one.
 */
function run(guestSource: string, fields: Array<[number, bigint | number]> = [], blocks = false) {
  const { phys, state, cpu, vmx } = boot(guestSource, fields);
  const exits: VmExitInfo[] = [], exitsInBlocks: string[] = [];
  let inBlock = false;
  vmx.onExit(e => { exits.push(e); if (inBlock) exitsInBlocks.push(e.reasonName); });
  for (let n = 0; n < 20_000 && !state.halted && !state.shutdown;) {
    inBlock = blocks;
    const ran = blocks ? cpu.runBlock(20_000 - n) : 0;
    inBlock = false;
    if (ran === 0) { cpu.step(); n++; } else n += ran;
  }
  expect(state.shutdown).toBe(false);
  expect(state.gpr[14]).not.toBe(0xdeadn); // the host's fail path
  expect(state.halted).toBe(true);

  const logged: LoggedExit[] = [];
  for (let a = EXIT_LOG; a < EXIT_LOG + 32 * exits.length; a += 32) {
    logged.push({ reason: phys.read64(a), qualification: phys.read64(a + 8), length: phys.read64(a + 16), rip: phys.read64(a + 24) });
  }
  const vmfails: Array<[bigint, bigint]> = [];
  for (let a = VMFAIL_LOG; a < VMFAIL_LOG + 16 * 8; a += 16) vmfails.push([phys.read64(a), phys.read64(a + 8)]);
  return { vmx, state, exits, exitsInBlocks, logged, vmfails };
}

/** What a VM exit told its listeners (VmExitInfo), as plain data. */
function exitSeen(e: VmExitInfo) {
  const { reason, reasonName, entryFailure, qualification, guestRip, instructionLength, guestLinearAddress, guestPhysicalAddress, intrInfo, intrErrorCode } = e;
  return { reason, reasonName, entryFailure, qualification, guestRip, instructionLength, guestLinearAddress, guestPhysicalAddress, intrInfo, intrErrorCode, guestGprs: [...e.guestGprs] };
}

const BASIC_GUEST = `
	cpuid
	vmcall
	out 0x80, al
	mov ecx, 0x10
	rdmsr
	mov r8, qword ptr [0x1ff000]
	mov rax, r8
	vmcall
	hlt`;

describe('a host and guest on the real interpreter', () => {
  it('VMX instructions fail as the SDM says: VMfailInvalid, then VMfailValid 11, 10, 13, 12, 5, 7, 1', () => {
    const { vmfails } = run('hlt');
    const CF = 1n, ZF = 0x40n;
    expect(vmfails).toEqual([[CF, 0n], [ZF, 11n], [ZF, 10n], [ZF, 13n], [ZF, 12n], [ZF, 5n], [ZF, 7n], [ZF, 1n]]);
  });

  it('CPUID, VMCALL, I/O, RDMSR, an EPT violation the host repairs, and HLT', () => {
    const { vmx, state, exits, logged } = run(BASIC_GUEST);
    expect(exits.map(e => e.reasonName)).toEqual(['CPUID', 'VMCALL', 'IO_INSTRUCTION', 'MSR_READ', 'EPT_VIOLATION', 'VMCALL', 'HLT']);
    // what the host read with VMREAD: reason, qualification, length, guest RIP
    expect(logged).toEqual([
      { reason: 10n, qualification: 0n, length: 2n, rip: 0x1000n },
      { reason: 18n, qualification: 0n, length: 3n, rip: 0x1002n },
      { reason: 30n, qualification: 0x00800040n, length: 2n, rip: 0x1005n }, // OUT imm8, byte
      { reason: 31n, qualification: 0n, length: 2n, rip: 0x100cn },
      { reason: 48n, qualification: 0x181n, length: 0n, rip: 0x100en }, // data read, linear valid, translated
      { reason: 18n, qualification: 0n, length: 3n, rip: 0x1019n },
      { reason: 12n, qualification: 0n, length: 1n, rip: 0x101cn },
    ]);
    expect(exits[3].guestGprs[1]).toBe(0x10n);
    expect(exits[4]).toMatchObject({ guestPhysicalAddress: 0x1ff000n, guestLinearAddress: 0x1ff000n });
    expect(exits[5].guestGprs[0]).toBe(0x1234n); // the retried load saw the page the host mapped
    expect(vmx.nonRoot).toBe(false);
    expect(state.mode64).toBe(true);
    expect(state.seg[Seg.TR]).toMatchObject({ selector: 0x18, base: 0x3000n, limit: 0x67 });
  });

  it('an exception in the exception bitmap and CR3 accesses with CR3-load/store exiting', () => {
    const { exits, logged } = run(`
	ud2
	mov rax, cr3
	mov cr3, rax
	hlt`, [
      [Field.EXCEPTION_BITMAP, 1 << 6],
      [Field.CPU_BASED_VM_EXEC_CONTROL, 0x84006172 | 0x80 | 1 << 15 | 1 << 16],
    ]);
    expect(logged.map(e => e.reason)).toEqual([0n, 28n, 28n, 12n]);
    expect(exits[0]).toMatchObject({ intrInfo: 0x80000306, guestRip: 0x1000n });
    expect(logged[1]).toMatchObject({ qualification: 0x13n, length: 3n }); // MOV from CR3 into RAX
    expect(logged[2]).toMatchObject({ qualification: 0x03n, length: 3n }); // MOV to CR3 from RAX
  });

  it('the VMX-preemption timer stops a guest spinning in a loop', () => {
    const { logged, state } = run('1: jmp 1b', [
      [Field.PIN_BASED_VM_EXEC_CONTROL, 0x16 | 0x40],
      [Field.VMX_PREEMPTION_TIMER_VALUE, 4],
    ]);
    expect(logged).toEqual([{ reason: 52n, qualification: 0n, length: 0n, rip: 0x1000n }]);
    expect(state.icount).toBeGreaterThan(4 << 5);
  });

  it('through compiled blocks, VMREAD/VMWRITE in them included: the same exits, logs and state as step() alone', () => {
    // The host logs each exit with VMREADs (root operation, inside its blocks); this guest's
    // VMREAD and VMWRITE exit from inside a block (mov edx, 0x681e; mov eax, 5; vmread rax, rdx; ...).
    const vmxGuest = `
	mov edx, 0x681e
	mov eax, 5
	vmread rax, rdx
	add eax, 1
	vmwrite rdx, rax
	add eax, 1
	hlt`;
    for (const guest of [BASIC_GUEST, vmxGuest]) {
      const seen = [false, true].map((blocks) => {
        const { state, exits, logged, vmfails } = run(guest, [], blocks);
        return { icount: state.icount, rip: state.rip, gprs: [...state.gpr], exits: exits.map(exitSeen), logged, vmfails };
      });
      expect(seen[1]).toEqual(seen[0]);
    }
    const { exits, exitsInBlocks, logged } = run(vmxGuest, [], true);
    expect(exits.map((e) => e.reasonName)).toEqual(['VMREAD', 'VMWRITE', 'HLT']);
    expect(exitsInBlocks).toEqual(['VMREAD', 'VMWRITE']);
    expect(logged.map((e) => [e.reason, e.length, e.rip])).toEqual([[23n, 3n, 0x100an], [25n, 3n, 0x1010n], [12n, 1n, 0x1016n]]);
  });

  it('VMCALL, VMLAUNCH and VMRESUME end a block where step() would: the same state after every block, an entry\'s interrupt shadow counted down', () => {
    // Blocking by STI (IF = 1) in the guest's interruptibility state: step() counts the shadow
    // VM entry loads down as it retires VMLAUNCH/VMRESUME, and so must a block ending at one.
    const fields: Array<[number, bigint | number]> = [[Field.GUEST_INTERRUPTIBILITY, 1], [Field.GUEST_RFLAGS, 0x202]];
    const fast = boot(BASIC_GUEST, fields), ref = boot(BASIC_GUEST, fields);
    const seen = (m: ReturnType<typeof boot>) => ({
      icount: m.state.icount, rip: m.state.rip, rflags: m.state.getRflags(), shadow: m.state.interruptShadow,
      nonRoot: m.vmx.nonRoot, gprs: [...m.state.gpr],
    });
    const inBlocks = { entries: 0, exits: 0 };
    for (let n = 0; n < 20_000 && !fast.state.halted && !fast.state.shutdown;) {
      const side = fast.vmx.nonRoot;
      const ran = fast.cpu.runBlock(20_000 - n);
      if (ran === 0) fast.cpu.step();
      if (ran > 0 && fast.vmx.nonRoot !== side) inBlocks[side ? 'exits' : 'entries']++;
      for (let k = 0; k < Math.max(ran, 1); k++) ref.cpu.step();
      n += Math.max(ran, 1);
      expect(seen(fast)).toEqual(seen(ref));
    }
    expect(fast.state.halted).toBe(true);
    expect(inBlocks).toEqual({ entries: 6, exits: 2 }); // the six VMRESUMEs; the EPT violation and the second VMCALL
  });

  it('blocking by STI from the interruptibility state covers the guest\'s first instruction: the interrupt window opens after it', () => {
    // SDM 26.7.5: interrupt-window exiting fires at an instruction boundary with IF = 1 and no
    // blocking by STI or MOV SS; the blocking VM entry loads lasts until the first guest
    // instruction completes (as after STI itself).
    for (const blocks of [false, true]) {
      const { state, cpu, vmx } = boot('nop\nnop\nhlt', [
        [Field.CPU_BASED_VM_EXEC_CONTROL, 0x84006172 | 0x80 | 1 << 24 | 1 << 2], // + interrupt-window exiting
        [Field.GUEST_INTERRUPTIBILITY, 1], [Field.GUEST_RFLAGS, 0x202],
      ]);
      let first: VmExitInfo | undefined;
      vmx.onExit((e) => { first ??= e; });
      for (let n = 0; n < 20_000 && first === undefined && !state.shutdown; n++) if (!blocks || cpu.runBlock(1) === 0) cpu.step();
      expect(first).toMatchObject({ reasonName: 'INTERRUPT_WINDOW', guestRip: BigInt(GUEST_RIP + 1) });
    }
  });

  it('invalid guest state: the host sees exit reason 0x80000021 at its entry point', () => {
    const { logged, exits } = run('hlt', [[Field.GUEST_RFLAGS, 0]]);
    expect(logged.map(e => e.reason)).toEqual([0x80000021n]);
    expect(exits[0]).toMatchObject({ entryFailure: true, reasonName: 'INVALID_STATE' });
  });
});
