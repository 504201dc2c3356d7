// A 16550 UART reduced to what polled console output needs: THR at +0 emits a byte, LSR at +5
// always reads 0x60 (THR empty, transmitter idle), and the other registers (IER, LCR, MCR,
// SCR, the DLAB divisor latch) hold what is written so initialisation code reads back its
// values. No receive path, no interrupts.

import type { PortDevice } from './portBus';

const THR = 0, IER = 1, IIR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;
const LCR_DLAB = 0x80;
const LSR_IDLE = 0x60;

export interface SerialState { regs: number[]; divisor: number; pending: string }

export class Serial16550 implements PortDevice {
  private regs = [0, 0, 0, 0, 0, 0, 0, 0];
  private divisor = 1;
  private pending = '';

  /** `emit` receives text a line at a time, or whatever is pending at flush(). */
  constructor(readonly base: number, private readonly emit: (text: string) => void) {}

  in(port: number): number {
    const r = port - this.base;
    const dlab = (this.regs[LCR] & LCR_DLAB) !== 0;
    switch (r) {
      case THR: return dlab ? this.divisor & 0xff : 0; // RBR: nothing received
      case IER: return dlab ? this.divisor >> 8 : this.regs[IER];
      case IIR: return 0x01;                           // no interrupt pending
      case LSR: return LSR_IDLE;
      case MSR: return 0xb0;                           // DCD, DSR, CTS
      default: return this.regs[r];
    }
  }

  out(port: number, _size: 1 | 2 | 4, value: number): void {
    const r = port - this.base;
    const v = value & 0xff;
    const dlab = (this.regs[LCR] & LCR_DLAB) !== 0;
    if (r === THR && !dlab) return this.transmit(v);
    if (r === THR) this.divisor = (this.divisor & 0xff00) | v;
    else if (r === IER && dlab) this.divisor = (this.divisor & 0xff) | (v << 8);
    else if (r === IER || r === LCR || r === MCR || r === SCR) this.regs[r] = v;
  }

  /** Hand over any text not yet ended by a newline. */
  flush(): void {
    if (this.pending) { const t = this.pending; this.pending = ''; this.emit(t); }
  }

  save(): SerialState { return { regs: [...this.regs], divisor: this.divisor, pending: this.pending }; }
  load(s: SerialState): void { this.regs = [...s.regs]; this.divisor = s.divisor; this.pending = s.pending; }

  private transmit(byte: number): void {
    this.pending += String.fromCharCode(byte);
    if (byte === 0x0a) this.flush();
  }
}
