// The boot protocol of docs/platform.md: where the images land, the tables the loader
// builds, struct hc_boot_info, the host entry state, where segments may go and the sentence
// for one that lands on a structure the loader builds.

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

  describe('places segments anywhere the loader builds nothing', () => {
    const bootWith = (host: string, guest: string) =>
      boot(new CpuState(), new PhysicalMemory(64 << 20), { hostElf: readBytes(host), guestElf: readBytes(guest), hostPath: host, guestPath: guest });
    const fails = (host: string, guest: string) => { try { bootWith(host, guest); } catch (e) { return (e as Error).message; } return 'no error'; };

    it('loads a host linked below 1 MiB between the host page tables and the boot stack', () => {
      const low = compileElf(dir, 'gaphost.elf', HOST, { base: 0x20000 });
      const { host } = bootWith(low, guestPath);
      expect(host.loadSegments[0].paddr).toBe(0x20000n);
    });

    it('loads a guest linked low in guest RAM, above its page tables', () => {
      const low = compileElf(dir, 'gapguest.elf', GUEST, { base: 0x8000 });
      const state = new CpuState(), memory = new PhysicalMemory(64 << 20);
      const { guest, bootInfo } = boot(state, memory, { ...images, guestElf: readBytes(low), guestPath: low });
      const msg = guest.symbol('guest_msg')!;
      expect(new TextDecoder().decode(memory.bytes.subarray(0x1000000 + Number(msg.value), 0x1000000 + Number(msg.value) + 6))).toBe('guest!');
      expect(bootInfo.guestImageStart).toBe(0x8000n);
    });

    it('names each host-physical structure a host segment lands on', () => {
      const at = (name: string, base: number, extra = '') => fails(compileElf(dir, name, HOST + extra, { base }), guestPath);
      expect(at('nullhost.elf', 0)).toMatch(/^nullhost\.elf has a segment at host-physical 0x0-0x[0-9a-f]+ that collides with the null page \(not mapped by the host page tables\) at 0x0-0xfff; /);
      expect(at('infohost.elf', 0x1000)).toMatch(/ that collides with struct hc_boot_info at 0x1000-0x1fff; /);
      expect(at('gdthost.elf', 0x2000)).toMatch(/ that collides with the host GDT at 0x2000-0x2fff; /);
      expect(at('stackhost.elf', 0x7f000)).toMatch(/ that collides with the host boot stack at 0x70000-0x7ffff; /);
      expect(at('highhost.elf', 0xffff00, 'char pad[8192] = {1};\n')).toMatch(/^highhost\.elf has a segment at host-physical 0xffff00-0x[0-9a-f]+ that collides with guest RAM at 0x1000000-0x1ffffff; link the image at another address, e\.g\. with the ld option -Ttext-segment=0x100000 \(or \. = 0x100000 in its linker script\)\.$/);
      expect(at('freehost.elf', 0x2000000)).toMatch(/ that collides with the free memory handed to the host \(free_base\) at 0x2000000-0x3ffffff; /);
      expect(at('bigramhost.elf', 0x4000000)).toMatch(/ that lies beyond RAM \(host-physical 0x0-0x3ffffff\); /);
    });

    it('names the guest-physical structure or the end of guest RAM a guest segment runs into', () => {
      const at = (name: string, base: number, extra = '') => fails(hostPath, compileElf(dir, name, GUEST + extra, { base }));
      expect(at('gdtguest.elf', 0x1000)).toMatch(/^gdtguest\.elf has a segment at guest-physical 0x1000-0x[0-9a-f]+ that collides with the guest GDT at 0x1000-0x1fff; /);
      expect(at('lowguest.elf', 0x2000)).toMatch(/ that collides with the guest page tables at 0x2000-0x4fff; /);
      expect(at('bigguest.elf', 0x2000000)).toMatch(/^bigguest\.elf has a segment at guest-physical 0x2000000-0x[0-9a-f]+ that lies beyond guest RAM \(guest-physical 0x0-0xffffff\); .* -Ttext-segment=0x100000 /);
    });

    it('suggests the first address the whole image fits at when 1 MiB is too high, and says when none is', () => {
      const at = (name: string, mib: number) => fails(hostPath, compileElf(dir, name, GUEST + `char big[${mib} << 20];\n`, { base: 0x100000 }));
      expect(at('fifteen.elf', 15)).toMatch(/ that lies beyond guest RAM .*; link the image at another address, e\.g\. with the ld option -Ttext-segment=0x80000 /);
      expect(at('sixteen.elf', 16)).toMatch(/ that lies beyond guest RAM .*; the image spans 0x100000-0x[0-9a-f]+, more than any free stretch of guest RAM holds\.$/);
    });
  });

  it('refuses too little RAM', () => {
    expect(() => boot(new CpuState(), new PhysicalMemory(16 << 20), images)).toThrow(/^The machine needs at least 33 MiB of RAM/);
  });
});
