// The boot protocol of docs/platform.md: where the images land, the tables the loader
// builds, struct hc_boot_info, the host entry state, and the segment-placement errors.

import { CpuState, Reg, Seg } from '../../emulator/cpu/state';
import { PhysicalMemory } from '../../emulator/memory/physical';
import { boot, readBootInfo } from '../../emulator/loader/boot';
import { compileElf, readBytes, tempDir } from './fixtures/compile';

const HOST = `
__attribute__((section(".text.start"))) void _start(void) { for (;;) __asm__ volatile("hlt"); }
int host_data[4] = {1, 2, 3, 4};
`;
const GUEST = `
char guest_bss[8192];
const char guest_msg[] = "guest!";
__attribute__((section(".text.start"))) void _start(void) { guest_bss[0] = guest_msg[0]; for (;;) {} }
`;

describe('boot', () => {
  const dir = tempDir();
  const hostPath = compileElf(dir, 'host.elf', HOST);
  const guestPath = compileElf(dir, 'guest.elf', GUEST);
  const images = { hostElf: readBytes(hostPath), guestElf: readBytes(guestPath), hostPath, guestPath };

  const start = () => {
    const state = new CpuState();
    const memory = new PhysicalMemory(64 * 1024 * 1024);
    const result = boot(state, memory, images);
    return { state, memory, ...result };
  };

  it('sets the host entry state', () => {
    const { state, host } = start();
    expect(state.rip).toBe(host.header.entry);
    expect(state.gpr[Reg.RSP]).toBe(0x80000n);
    expect(state.gpr[Reg.RDI]).toBe(0x1000n);
    expect(state.gpr[Reg.RAX]).toBe(0n);
    expect(state.cr0 >>> 0).toBe(0x80010033);   // PG|WP|NE|ET|MP|PE
    expect(state.cr3).toBe(0x10000n);
    expect(state.cr4).toBe(0x20);
    expect(state.efer).toBe(0xd01);
    expect(state.getRflags()).toBe(2);
    expect(state.mode64).toBe(true);
    expect(state.cpl).toBe(0);
    expect(state.seg[Seg.CS]).toEqual({ selector: 8, base: 0n, limit: 0xffffffff, attrs: 0xa09b });
    expect(state.seg[Seg.SS]).toEqual({ selector: 0x10, base: 0n, limit: 0xffffffff, attrs: 0xc093 });
    expect(state.gdtr).toEqual({ base: 0x2000n, limit: 0x27 });
    expect(state.idtr.limit).toBe(0);
    expect(state.msr.get(0x3a)).toBe(0n);
  });

  it('places the host at its physical addresses and the guest at guest RAM + p_paddr', () => {
    const { memory, host, guest } = start();
    for (const seg of host.loadSegments) {
      expect(memory.bytes.subarray(Number(seg.paddr), Number(seg.paddr) + seg.filesz)).toEqual(host.segmentData(seg));
    }
    const msg = guest.symbol('guest_msg')!;
    expect(new TextDecoder().decode(memory.bytes.subarray(0x1000000 + Number(msg.value), 0x1000000 + Number(msg.value) + 6))).toBe('guest!');
    const bss = guest.symbol('guest_bss')!;
    expect(memory.bytes.subarray(0x1000000 + Number(bss.value), 0x1000000 + Number(bss.value) + 8192).every((b) => b === 0)).toBe(true);
  });

  it('writes struct hc_boot_info', () => {
    const { memory, guest } = start();
    expect(memory.read32(0x1000)).toBe(0x49424348);
    expect(memory.read32(0x1004)).toBe(1);
    const info = readBootInfo(memory);
    expect(info).toMatchObject({
      memSize: 0x4000000n, freeBase: 0x2000000n, freeSize: 0x2000000n, guestMemBase: 0x1000000n, guestMemSize: 0x1000000n,
      guestEntry: guest.header.entry, guestRsp: 0x80000n, guestCr3: 0x2000n, guestGdtBase: 0x1000n, guestGdtLimit: 0x3f,
      guestCs: 8, guestDs: 0x10, guestImageStart: 0x100000n,
    });
    const end = Math.max(...guest.loadSegments.map((s) => Number(s.paddr) + s.memsz));
    expect(info.guestImageEnd).toBe(BigInt(end));
  });

  it('builds host page tables: identity 4 GiB, null page absent', () => {
    const { memory } = start();
    // Walk by hand (SDM vol. 3A 4.5) for a few addresses.
    const walk = (va: number): number | undefined => {
      const pml4e = memory.read64(0x10000 + ((va / 2 ** 39) & 511) * 8);
      if (!(pml4e & 1n)) return undefined;
      const pdpte = memory.read64(Number(pml4e & 0xffffff000n) + (Math.floor(va / 2 ** 30) & 511) * 8);
      if (!(pdpte & 1n)) return undefined;
      const pde = memory.read64(Number(pdpte & 0xffffff000n) + (Math.floor(va / 2 ** 21) & 511) * 8);
      if (!(pde & 1n)) return undefined;
      if (pde & 0x80n) return Number(pde & 0xfffe00000n) + (va % 2 ** 21);
      const pte = memory.read64(Number(pde & 0xffffff000n) + (Math.floor(va / 4096) & 511) * 8);
      return pte & 1n ? Number(pte & 0xffffff000n) + (va % 4096) : undefined;
    };
    expect(walk(0)).toBeUndefined();
    expect(walk(0xfff)).toBeUndefined();
    for (const va of [0x1000, 0x80000 - 8, 0x100123, 0x1ffffff, 0x2000000, 0xfee00000, 0xffffffff]) expect(walk(va)).toBe(va);
  });

  it('builds the guest GDT and user-accessible page tables inside guest RAM', () => {
    const { memory } = start();
    const g = 0x1000000;
    expect(memory.read64(g + 0x1008)).toBe(0x00af9b000000ffffn);
    expect(memory.read64(g + 0x1010)).toBe(0x00cf93000000ffffn);
    expect(memory.read64(g + 0x1018)).toBe(0x00cffb000000ffffn);
    expect(memory.read64(g + 0x1020)).toBe(0x00cff3000000ffffn);
    expect(memory.read64(g + 0x1028)).toBe(0x00affb000000ffffn);
    expect(memory.read64(g + 0x2000)).toBe(0x3007n);
    expect(memory.read64(g + 0x3000)).toBe(0x4007n);
    expect(memory.read64(g + 0x4000)).toBe(0x87n);
    expect(memory.read64(g + 0x4000 + 511 * 8)).toBe(511n * 0x200000n | 0x87n);
  });

  describe('rejects images that do not fit the memory map', () => {
    it('a host linked below 1 MiB', () => {
      const low = compileElf(dir, 'lowhost.elf', HOST, { base: 0x8000 });
      expect(() => boot(new CpuState(), new PhysicalMemory(64 << 20), { ...images, hostElf: readBytes(low), hostPath: low }))
        .toThrow(/^lowhost\.elf has a segment at 0x8000-0x[0-9a-f]+ outside the host image range 0x100000-0xffffff\.$/);
    });

    it('a host overlapping guest RAM', () => {
      const high = compileElf(dir, 'highhost.elf', HOST + 'char pad[8192] = {1};\n', { base: 0xffff00 });
      expect(() => boot(new CpuState(), new PhysicalMemory(64 << 20), { ...images, hostElf: readBytes(high), hostPath: high }))
        .toThrow(/^highhost\.elf has a segment at 0xffff00-0x[0-9a-f]+ outside the host image range/);
    });

    it('a guest beyond guest RAM', () => {
      const big = compileElf(dir, 'bigguest.elf', GUEST, { base: 0x2000000 });
      expect(() => boot(new CpuState(), new PhysicalMemory(64 << 20), { ...images, guestElf: readBytes(big), guestPath: big }))
        .toThrow(/^bigguest\.elf has a segment at 0x2000000-0x[0-9a-f]+ outside the guest image range \(guest-physical\) 0x100000-0xffffff\.$/);
    });

    it('a guest over the loader\'s page tables', () => {
      const low = compileElf(dir, 'lowguest.elf', GUEST, { base: 0x2000 });
      expect(() => boot(new CpuState(), new PhysicalMemory(64 << 20), { ...images, guestElf: readBytes(low), guestPath: low }))
        .toThrow(/^lowguest\.elf has a segment at 0x2000-/);
    });

    it('too little RAM', () => {
      expect(() => boot(new CpuState(), new PhysicalMemory(16 << 20), images)).toThrow(/^The machine needs at least 33 MiB of RAM/);
    });
  });
});
