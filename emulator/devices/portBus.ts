// The I/O port space (SDM vol. 1 ch. 19): a table from port number to device. Unclaimed
// ports read as all ones and ignore writes (docs/platform.md "I/O ports").

import type { IoBus } from '../cpu/vmxUnit';

export interface PortDevice {
  /** `port` is absolute; the device knows its own base. */
  in(port: number, size: 1 | 2 | 4): number;
  out(port: number, size: 1 | 2 | 4, value: number): void;
}

const ALL_ONES = { 1: 0xff, 2: 0xffff, 4: 0xffffffff } as const;

export class PortBus implements IoBus {
  private readonly devices: (PortDevice | undefined)[] = new Array(0x10000);

  /** Claim ports first..last (inclusive) for `device`. */
  map(first: number, last: number, device: PortDevice): void {
    for (let p = first; p <= last; p++) {
      if (this.devices[p]) throw new Error(`I/O port 0x${p.toString(16)} is already claimed.`);
      this.devices[p] = device;
    }
  }

  in(port: number, size: 1 | 2 | 4): number {
    const d = this.devices[port & 0xffff];
    return d ? d.in(port & 0xffff, size) : ALL_ONES[size];
  }

  out(port: number, size: 1 | 2 | 4, value: number): void {
    this.devices[port & 0xffff]?.out(port & 0xffff, size, value);
  }
}
