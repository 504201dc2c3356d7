// Devices behind the port bus: unclaimed ports, the 16550 consoles, the platform exit latch
// and the trace channel reading struct hc_trace_record from host-physical memory.

import { CpuState } from '../../emulator/cpu/state';
import { PhysicalMemory } from '../../emulator/memory/physical';
import { PlatformExit } from '../../emulator/devices/platformExit';
import { PortBus } from '../../emulator/devices/portBus';
import { Serial16550 } from '../../emulator/devices/serial16550';
import { TraceChannel } from '../../emulator/devices/traceChannel';
import { readTsc, writeTsc } from '../../emulator/devices/tsc';
import { TraceBuffer } from '../../emulator/trace/traceBuffer';

describe('PortBus', () => {
  it('reads all ones from unclaimed ports and ignores writes', () => {
    const bus = new PortBus();
    expect(bus.in(0x80, 1)).toBe(0xff);
    expect(bus.in(0x80, 2)).toBe(0xffff);
    expect(bus.in(0x80, 4)).toBe(0xffffffff);
    expect(() => bus.out(0x80, 1, 0x12)).not.toThrow();
  });

  it('refuses a second claim on a port', () => {
    const bus = new PortBus();
    bus.map(0x501, 0x501, new PlatformExit());
    expect(() => bus.map(0x500, 0x501, new PlatformExit())).toThrow('I/O port 0x501 is already claimed.');
  });
});

describe('Serial16550', () => {
  const setup = () => {
    const out: string[] = [];
    const bus = new PortBus();
    const uart = new Serial16550(0x3f8, (t) => out.push(t));
    bus.map(0x3f8, 0x3ff, uart);
    return { out, bus, uart };
  };

  it('LSR reads 0x60 and THR bytes come out a line at a time', () => {
    const { out, bus, uart } = setup();
    expect(bus.in(0x3fd, 1)).toBe(0x60);
    for (const c of 'Hello\nWorld') bus.out(0x3f8, 1, c.charCodeAt(0));
    expect(out).toEqual(['Hello\n']);
    uart.flush();
    expect(out).toEqual(['Hello\n', 'World']);
  });

  it('keeps the divisor latch and scratch register so init code reads back its values', () => {
    const { out, bus } = setup();
    bus.out(0x3fb, 1, 0x80);     // DLAB
    bus.out(0x3f8, 1, 0x03);     // 38400 baud
    bus.out(0x3f9, 1, 0x00);
    expect(bus.in(0x3f8, 1)).toBe(0x03);
    bus.out(0x3fb, 1, 0x03);     // 8N1, DLAB off
    bus.out(0x3ff, 1, 0x5a);
    expect(bus.in(0x3fb, 1)).toBe(0x03);
    expect(bus.in(0x3ff, 1)).toBe(0x5a);
    expect(out).toEqual([]);     // divisor writes are not output
  });
});

describe('PlatformExit', () => {
  it('latches the status written', () => {
    const bus = new PortBus();
    const exit = new PlatformExit();
    bus.map(0x501, 0x501, exit);
    expect(exit.status).toBeUndefined();
    bus.out(0x501, 4, 0);
    expect(exit.status).toBe(0);
    bus.out(0x501, 4, 0xffffffff);
    expect(exit.status).toBe(0xffffffff);
  });
});

describe('TSC', () => {
  it('ticks once per retired instruction and honours WRMSR', () => {
    const s = new CpuState();
    s.icount = 1000;
    expect(readTsc(s)).toBe(1000n);
    writeTsc(s, 5_000_000n);
    s.icount += 7;
    expect(readTsc(s)).toBe(5_000_007n);
  });
});

describe('TraceChannel', () => {
  const setup = () => {
    const state = new CpuState();
    const memory = new PhysicalMemory(4 << 20);
    const buffer = new TraceBuffer();
    const bus = new PortBus();
    bus.map(0x510, 0x510, new TraceChannel(state, memory, buffer, (ip) => (ip === 0x100abcn ? 'handle_vmcall' : undefined)));
    const seen: string[] = [];
    buffer.onRecord((r) => seen.push(r.text));
    const put = (at: number, event: number, ip: bigint, func: bigint, str: bigint, args: bigint[]) => {
      memory.write32(at, event); memory.write32(at + 4, 0);
      memory.write64(at + 8, ip); memory.write64(at + 16, func); memory.write64(at + 24, str);
      args.forEach((a, i) => memory.write64(at + 32 + i * 8, a));
    };
    const str = (at: number, s: string) => { memory.bytes.set(new TextEncoder().encode(s + '\0'), at); return BigInt(at); };
    return { state, memory, buffer, bus, seen, put, str };
  };

  it('turns each record into the right event, stamped with the TSC at the OUT', () => {
    const { state, buffer, bus, seen, put, str } = setup();
    put(0x2000, 2, 0x100100n, 0n, 0n, [18n, 0x100123n, 0n, 0n, 0n, 0n]);
    state.icount = 1_234_567;
    bus.out(0x510, 4, 0x2000);
    put(0x2000, 3, 0x100200n, 0n, 0n, [100n, 1n, 2n, 3n, 4n]);
    bus.out(0x510, 4, 0x2000);
    put(0x2100, 4, 0x100300n, str(0x3000, 'kvm_emulate_hypercall'), str(0x3100, 'Hello World\n'), []);
    bus.out(0x510, 4, 0x2100);
    put(0x2000, 1, 0x100400n, 0n, 0n, [0x100126n]);
    state.icount += 10;
    bus.out(0x510, 4, 0x2000);
    expect(seen).toEqual([
      '         hc-host-1       [000] .....     0.001235: kvm_exit: vcpu 0 reason VMCALL rip 0x100123 info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000',
      '         hc-host-1       [000] .....     0.001235: kvm_hypercall: nr 0x64 a0 0x1 a1 0x2 a2 0x3 a3 0x4',
      '         hc-host-1       [000] .....     0.001235: kvm_emulate_hypercall: Hello World',
      '         hc-host-1       [000] d..1.     0.001235: kvm_entry: vcpu 0, rip 0x100126',
    ]);
    const [exit, hc, printk, entry] = buffer.all;
    expect(exit).toMatchObject({ seq: 0, event: 'kvm_exit', side: 'guest', rip: 0x100123n, tsc: 1_234_567n });
    expect(exit.fields).toMatchObject({ exit_reason: 18, reason: 'VMCALL' });
    expect(hc).toMatchObject({ seq: 1, side: 'host', rip: 0x100200n, fields: { nr: 100n, a0: 1n, a3: 4n } });
    expect(printk.fields).toEqual({ func: 'kvm_emulate_hypercall', msg: 'Hello World' });
    expect(entry).toMatchObject({ seq: 3, side: 'guest', rip: 0x100126n, tsc: 1_234_577n, flags: 'd..1.' });
  });

  it('reads a record at an address that is not 4-byte aligned as one that is', () => {
    const { bus, seen, put } = setup();
    for (const at of [0x2000, 0x2203]) {
      put(at, 2, 0x100100n, 0n, 0n, [18n, 0x100123n, 0x55n, 0n, 0n, 0n]);
      bus.out(0x510, 4, at);
    }
    expect(seen[1]).toBe(seen[0]);
    expect(seen[0]).toContain('kvm_exit: vcpu 0 reason VMCALL rip 0x100123 info1 0x0000000000000055');
  });

  it('names the caller from the host symbols when trace_printk passes no __func__', () => {
    const { bus, seen, put, str } = setup();
    put(0x2000, 4, 0x100abcn, 0n, str(0x3000, 'no func'), []);
    bus.out(0x510, 4, 0x2000);
    put(0x2000, 4, 0x100999n, 0n, str(0x3000, 'unknown'), []);
    bus.out(0x510, 4, 0x2000);
    expect(seen.map((l) => l.split(': ').slice(1).join(': '))).toEqual(['handle_vmcall: no func', '0x100999: unknown']);
  });

  it('drops records outside RAM and unknown event numbers', () => {
    const { buffer, bus, put } = setup();
    bus.out(0x510, 4, 0xfffffff0);
    put(0x2000, 9, 0n, 0n, 0n, []);
    bus.out(0x510, 4, 0x2000);
    expect(buffer.length).toBe(0);
  });
});
