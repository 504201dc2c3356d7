// EPT (SDM 29.3): 4-level translation with 4-KByte, 2-MByte and 1-GByte pages, permissions,
// EPT violations (qualification per Table 28-7), misconfigurations, accessed/dirty flags.

import { Field } from '../../emulator/vmx/fields';
import { EPT_PML4, type FakeCpu, expectExit, launched, read } from './harness';

const PDPT = EPT_PML4 + 0x1000, PD = EPT_PML4 + 0x2000, PT = EPT_PML4 + 0x3000;
const RWX = 7, WB = 6 << 3;

/** EPT mapping guest-physical 0-2 MiB with 4-KByte pages (page n -> 0x200000 + n * 4 KiB), 2-4 MiB as one 2-MByte page. */
function buildEpt(cpu: FakeCpu): void {
  const p = cpu.phys;
  p.write64(EPT_PML4, BigInt(PDPT | RWX));
  p.write64(PDPT, BigInt(PD | RWX));
  p.write64(PD, BigInt(PT | RWX));
  p.write64(PD + 8, BigInt(0x600000 | 0x80 | WB | RWX));
  for (let i = 0; i < 512; i++) p.write64(PT + 8 * i, BigInt(0x200000 + i * 0x1000) | BigInt(WB | RWX));
}

function eptGuest(eptp = EPT_PML4 | 0x1e, prepare?: (cpu: FakeCpu) => void) {
  const r = launched(w => {
    w(Field.CPU_BASED_VM_EXEC_CONTROL, 0x84006172);
    w(Field.SECONDARY_VM_EXEC_CONTROL, 2);
    w(Field.EPT_POINTER, eptp);
  });
  buildEpt(r.cpu);
  prepare?.(r.cpu);
  return r;
}

describe('EPT translation', () => {
  it('4-KByte and 2-MByte pages', () => {
    const { vmx } = eptGuest();
    expect(vmx.translateGuestPhysical(0x1234n, 'read', undefined, false)).toBe(0x201234);
    expect(vmx.translateGuestPhysical(0x5ffffn, 'write', undefined, false)).toBe(0x25ffff);
    expect(vmx.translateGuestPhysical(0x212345n, 'execute', undefined, false)).toBe(0x612345);
    expect(vmx.eptTranslate(0x3000n)).toBe(0x203000n);
  });

  it('1-GByte pages', () => {
    const { vmx, cpu } = eptGuest();
    cpu.phys.write64(PDPT + 8, BigInt(0x40000000 | 0x80 | WB | RWX));
    expect(vmx.translateGuestPhysical(0x40123456n, 'read', undefined, false)).toBe(0x40123456);
  });

  it('identity without EPT', () => {
    const { vmx } = launched();
    expect(vmx.translateGuestPhysical(0x1234n, 'write', undefined, false)).toBe(0x1234);
    expect(vmx.eptTranslate(0x1234n)).toBe(0x1234n);
  });
});

describe('EPT violations (reason 48, Table 28-7)', () => {
  it('not present: bits 3-5 clear, guest-physical address recorded, guest-linear valid and translated', () => {
    const { vmx, cpu } = eptGuest();
    cpu.phys.write64(PT + 8 * 5, 0n);
    const exits: Array<{ gpa?: bigint; gla?: bigint }> = [];
    vmx.onExit(e => exits.push({ gpa: e.guestPhysicalAddress, gla: e.guestLinearAddress }));
    expect(vmx.eptTranslate(0x5010n)).toBeUndefined();
    expect(expectExit(() => vmx.translateGuestPhysical(0x5010n, 'write', 0x7fff5010n, false))).toBe(48);
    expect(read(vmx, Field.EXIT_QUALIFICATION)).toBe(0x182n); // write | linear valid | translated access
    expect(read(vmx, Field.GUEST_PHYSICAL_ADDRESS)).toBe(0x5010n);
    expect(read(vmx, Field.GUEST_LINEAR_ADDRESS)).toBe(0x7fff5010n);
    expect(exits).toEqual([{ gpa: 0x5010n, gla: 0x7fff5010n }]);
  });

  it('write to a read-only page reports the permissions; fetch from non-executable; paging-structure access', () => {
    const ro = eptGuest();
    ro.cpu.phys.write64(PT + 8 * 7, BigInt(0x207000 | WB | 1 | 4));
    expect(expectExit(() => ro.vmx.translateGuestPhysical(0x7000n, 'write', 0x7000n, false))).toBe(48);
    expect(read(ro.vmx, Field.EXIT_QUALIFICATION)).toBe(0x1aan); // write, readable, executable, linear valid, translated
    const nx = eptGuest();
    nx.cpu.phys.write64(PT + 8 * 7, BigInt(0x207000 | WB | 3));
    expect(expectExit(() => nx.vmx.translateGuestPhysical(0x7000n, 'execute', 0x7000n, false))).toBe(48);
    expect(read(nx.vmx, Field.EXIT_QUALIFICATION)).toBe(0x19cn); // fetch, readable, writable, linear valid, translated
    const walk = eptGuest();
    walk.cpu.phys.write64(PD, 0n);
    expect(expectExit(() => walk.vmx.translateGuestPhysical(0x2000n, 'read', 0xffff800000000000n, true))).toBe(48);
    expect(read(walk.vmx, Field.EXIT_QUALIFICATION)).toBe(0x81n); // read, linear valid, paging-structure access
  });

  it('no guest-linear address: bit 7 clear', () => {
    const { vmx, cpu } = eptGuest();
    cpu.phys.write64(PT, 0n);
    expect(expectExit(() => vmx.translateGuestPhysical(0x10n, 'read', undefined, false))).toBe(48);
    expect(read(vmx, Field.EXIT_QUALIFICATION)).toBe(0x1n);
  });

  it('execute-only pages are allowed (IA32_VMX_EPT_VPID_CAP[0])', () => {
    const { vmx, cpu } = eptGuest();
    cpu.phys.write64(PT + 8, BigInt(0x201000 | WB | 4));
    expect(vmx.translateGuestPhysical(0x1000n, 'execute', undefined, false)).toBe(0x201000);
    expect(expectExit(() => vmx.translateGuestPhysical(0x1000n, 'read', undefined, false))).toBe(48);
    expect(read(vmx, Field.EXIT_QUALIFICATION)).toBe(0x21n);
  });
});

describe('EPT misconfigurations (reason 49, 29.3.3.1)', () => {
  const cases: Array<[string, number, bigint]> = [
    ['write without read', PT + 8, BigInt(0x201000 | WB | 2)],
    ['leaf memory type 2', PT + 8, BigInt(0x201000 | (2 << 3) | RWX)],
    ['leaf memory type 7', PT + 8, BigInt(0x201000 | (7 << 3) | RWX)],
    ['reserved bit 51:39 in a PTE', PT + 8, (1n << 45n) | BigInt(0x201000 | WB | RWX)],
    ['reserved bits 6:3 in a non-leaf PDE', PD, BigInt(PT | 0x8 | RWX)],
    ['PML4E with bit 7', EPT_PML4, BigInt(PDPT | 0x80 | RWX)],
    ['2-MByte page with bits 20:12 set', PD, BigInt(0x601000 | 0x80 | WB | RWX)],
  ];
  it.each(cases)('%s', (_name, addr, entry) => {
    const { vmx, cpu } = eptGuest();
    cpu.phys.write64(addr, entry);
    expect(expectExit(() => vmx.translateGuestPhysical(0x1000n, 'read', 0x1000n, false))).toBe(49);
    expect(read(vmx, Field.EXIT_QUALIFICATION)).toBe(0n);
    expect(read(vmx, Field.GUEST_PHYSICAL_ADDRESS)).toBe(0x1000n);
  });
});

describe('EPT accessed and dirty flags (29.3.5)', () => {
  it('sets accessed on every entry used and dirty on the leaf for writes, only with EPTP bit 6', () => {
    const plain = eptGuest();
    plain.vmx.translateGuestPhysical(0x1000n, 'write', undefined, false);
    expect(plain.cpu.phys.read64(PT + 8) & 0x300n).toBe(0n);
    const ad = eptGuest(EPT_PML4 | 0x5e);
    ad.vmx.translateGuestPhysical(0x1000n, 'read', undefined, false);
    expect(ad.cpu.phys.read64(EPT_PML4) & 0x100n).toBe(0x100n);
    expect(ad.cpu.phys.read64(PD) & 0x100n).toBe(0x100n);
    expect(ad.cpu.phys.read64(PT + 8) & 0x300n).toBe(0x100n);
    ad.vmx.translateGuestPhysical(0x1000n, 'write', undefined, false);
    expect(ad.cpu.phys.read64(PT + 8) & 0x300n).toBe(0x300n);
  });

  it('with A/D on, guest paging-structure reads count as writes', () => {
    const ad = eptGuest(EPT_PML4 | 0x5e);
    ad.cpu.phys.write64(PT + 8, BigInt(0x201000 | WB | 1));
    expect(expectExit(() => ad.vmx.translateGuestPhysical(0x1000n, 'read', 0x1000n, true))).toBe(48);
    expect(read(ad.vmx, Field.EXIT_QUALIFICATION)).toBe(0x8an); // write, readable, linear valid
  });

  it('the debugger lookup never sets flags', () => {
    const ad = eptGuest(EPT_PML4 | 0x5e);
    expect(ad.vmx.eptTranslate(0x1000n)).toBe(0x201000n);
    expect(ad.cpu.phys.read64(PT + 8) & 0x300n).toBe(0n);
  });
});
