// VMX through the real interpreter: the host in fixtures/hostGuest.S enables VMX, programs a
// VMCS from a table, launches a 64-bit guest behind EPT and handles its exits (CPUID, VMCALL,
// I/O, RDMSR, an EPT violation it repairs, HLT) until the guest halts.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VmExitInfo } from '../../emulator/api';
import { Cpu } from '../../emulator/cpu/cpu';
import { CpuState, Seg } from '../../emulator/cpu/state';
import type { IoBus } from '../../emulator/cpu/vmxUnit';
import { PhysicalMemory } from '../../emulator/memory/physical';
import { Field } from '../../emulator/vmx/fields';
import { Vmx } from '../../emulator/vmx/vmx';

const HOST_CODE = 0x100000, TABLE = 0x150000, EPT = 0x300000, LOG = 0x380000, GUEST_BASE = 0x400000;

function assemble(): { bin: Uint8Array; symbols: Map<string, number> } {
  const dir = mkdtempSync(join(tmpdir(), 'vmx-fixture-'));
  const src = join(__dirname, 'fixtures', 'hostGuest.S');
  execFileSync('as', ['--64', '-o', join(dir, 'f.o'), src]);
  execFileSync('objcopy', ['-O', 'binary', join(dir, 'f.o'), join(dir, 'f.bin')]);
  const symbols = new Map<string, number>();
  for (const line of execFileSync('nm', [join(dir, 'f.o')], { encoding: 'utf8' }).trim().split('\n')) {
    const [addr, , name] = line.split(' ');
    symbols.set(name, parseInt(addr, 16));
  }
  return { bin: new Uint8Array(readFileSync(join(dir, 'f.bin'))), symbols };
}

/** Identity map of the first 1 GiB with 2-MByte pages at `at` (PML4, PDPT, PD), addresses written as `base + x`. */
function identityMap(phys: PhysicalMemory, at: number, tableBase: number): void {
  phys.write64(at, BigInt(tableBase + 0x1000 | 3));
  phys.write64(at + 0x1000, BigInt(tableBase + 0x2000 | 3));
  for (let i = 0; i < 512; i++) phys.write64(at + 0x2000 + 8 * i, BigInt(i) * 0x200000n | 0x83n);
}

function machine() {
  const { bin, symbols } = assemble();
  const phys = new PhysicalMemory(0x800000);
  const state = new CpuState();
  const io: IoBus = { in: () => 0xffffffff, out: () => undefined };
  const cpu = new Cpu(state, phys, io);
  const vmx = new Vmx(cpu);
  cpu.vmx = vmx;

  phys.bytes.set(bin.subarray(0, symbols.get('guest')!), HOST_CODE);
  phys.bytes.set(bin.subarray(symbols.get('guest')!, symbols.get('guest_end')!), GUEST_BASE + 0x1000);
  identityMap(phys, 0x10000, 0x10000); // host page tables
  identityMap(phys, GUEST_BASE + 0x10000, 0x10000); // guest page tables, guest-physical
  // GDT: null, 64-bit code, data, 64-bit TSS (base 0x3000, limit 0x67, available)
  phys.write64(0x2008, 0x00af9b000000ffffn);
  phys.write64(0x2010, 0x00cf93000000ffffn);
  phys.write64(0x2018, 0x0000890030000067n);
  // EPT: guest-physical 0-2 MiB -> host-physical 4-6 MiB with 4-KByte pages, except the last page
  phys.write64(EPT, BigInt(EPT + 0x1000 | 7));
  phys.write64(EPT + 0x1000, BigInt(EPT + 0x2000 | 7));
  phys.write64(EPT + 0x2000, BigInt(EPT + 0x3000 | 7));
  for (let i = 0; i < 511; i++) phys.write64(EPT + 0x3000 + 8 * i, BigInt(GUEST_BASE + i * 0x1000) | 0x37n);
  phys.write64(0x5ff000, 0x1234n); // what the guest reads once the host maps its last page

  const fields: Array<[number, bigint | number]> = [
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
    [Field.GUEST_RIP, 0x1000], [Field.GUEST_RSP, 0x8000], [Field.GUEST_RFLAGS, 2],
  ];
  fields.forEach(([f, v], k) => {
    phys.write64(TABLE + 16 * k, BigInt(f));
    phys.write64(TABLE + 16 * k + 8, BigInt(v));
  });
  phys.write64(TABLE + 16 * fields.length, 0xffffffffffffffffn);

  // The loader's hand-over state (docs/platform.md), IA32_FEATURE_CONTROL unlocked.
  state.cr0 = 0x80010033; state.cr3 = 0x10000n; state.cr4 = 0x20; state.efer = 0xd01;
  state.seg[Seg.CS] = { selector: 8, base: 0n, limit: 0xffffffff, attrs: 0xa09b };
  for (const s of [Seg.SS, Seg.DS, Seg.ES, Seg.FS, Seg.GS]) state.seg[s] = { selector: 0x10, base: 0n, limit: 0xffffffff, attrs: 0xc093 };
  state.gdtr.base = 0x2000n; state.gdtr.limit = 0x27;
  state.idtr.limit = 0;
  state.gpr[4] = 0x80000n;
  state.rip = BigInt(HOST_CODE);
  return { cpu, vmx, state, phys, symbols };
}

describe('a host and guest on the real interpreter', () => {
  it('runs the guest through CPUID, VMCALL, I/O, RDMSR, an EPT violation and HLT exits', () => {
    const { cpu, vmx, state, phys } = machine();
    const exits: VmExitInfo[] = [];
    let entries = 0;
    vmx.onExit(e => exits.push(e));
    vmx.onEntry(() => entries++);
    for (let n = 0; n < 10_000 && !state.halted && !state.shutdown; n++) cpu.step();

    expect(state.shutdown).toBe(false);
    expect(state.gpr[14]).not.toBe(0xdeadn); // the host's fail path
    expect(phys.read64(LOG)).toBe(1n); // VMCALL in root with a current VMCS: VMfailValid(1)
    const log = [1, 2, 3, 4, 5, 6, 7, 8].map(k => phys.read64(LOG + 8 * k));
    expect(log).toEqual([10n, 18n, 30n, 31n, 48n, 0x1ff000n, 18n, 12n]);
    expect(exits.map(e => e.reasonName)).toEqual(['CPUID', 'VMCALL', 'IO_INSTRUCTION', 'MSR_READ', 'EPT_VIOLATION', 'VMCALL', 'HLT']);
    expect(entries).toBe(7);

    const [cpuid, vmcall, out, rdmsr, ept, vmcall2, hlt] = exits;
    expect(cpuid).toMatchObject({ guestRip: 0x1000n, instructionLength: 2 });
    expect(vmcall).toMatchObject({ guestRip: 0x1002n, instructionLength: 3 });
    expect(out).toMatchObject({ guestRip: 0x1005n, instructionLength: 2, qualification: 0x00800040n });
    expect(rdmsr).toMatchObject({ guestRip: 0x100cn, instructionLength: 2 });
    expect(rdmsr.guestGprs[1]).toBe(0x10n);
    // read of a not-present page: data read, linear address valid and translated (Table 28-7)
    expect(ept).toMatchObject({ guestRip: 0x100en, qualification: 0x181n, guestPhysicalAddress: 0x1ff000n, guestLinearAddress: 0x1ff000n });
    expect(vmcall2.guestGprs[0]).toBe(0x1234n);
    expect(hlt).toMatchObject({ reason: 12, instructionLength: 1, guestRip: 0x101cn });

    // after the last exit the host runs in root mode with its own state
    expect(vmx.nonRoot).toBe(false);
    expect(state.mode64).toBe(true);
    expect(state.seg[Seg.TR]).toMatchObject({ selector: 0x18, base: 0x3000n, limit: 0x67 });
    expect(vmx.vmcsRead(Field.GUEST_RIP)).toBe(0x101cn);
  });
});
