// Port 0x501: the platform's power-off latch. An OUT of a status powers the machine off
// with that status; 0 means the guest halted normally (docs/platform.md).

import type { PortDevice } from './portBus';

export class PlatformExit implements PortDevice {
  /** The status written, or undefined while the machine is powered on. */
  status: number | undefined;

  in(): number { return 0xffffffff; }
  out(_port: number, _size: 1 | 2 | 4, value: number): void { this.status = value >>> 0; }
}
