// Console output into the Debug Console, which cannot take back what it printed. Going back
// in history and forward again makes the machine produce the same output a second time:
// only what lies beyond the furthest output already printed in this timeline is printed.
// When the past changes (a write in the past discards the future), what was printed after
// that moment belongs to a future that will not happen: one line says so, and the new
// output follows from there.

import type { ConsoleOutput, MachineApi } from '../emulator/api';

type Port = ConsoleOutput['port'];
const PORTS: Port[] = ['host', 'guest'];

/** Sends the machine's console output to `print`, and `notice` one line when the past changed. */
export function printConsole(machine: MachineApi, print: (text: string, port: Port) => void, notice: (line: string) => void): void {
  /** Characters of each port printed so far in this timeline. */
  const printed = { host: 0, guest: 0 };
  let atLineStart = true;
  machine.onConsole((out) => {
    const end = machine.outputPosition()[out.port];
    const shown = printed[out.port] - (end - out.text.length);
    if (shown >= out.text.length) return;
    const text = shown > 0 ? out.text.slice(shown) : out.text;
    printed[out.port] = end;
    atLineStart = text.endsWith('\n');
    print(text, out.port);
  });
  machine.history?.onFutureDiscarded((steps) => {
    const now = machine.outputPosition();
    const stale = PORTS.filter((port) => printed[port] > now[port]);
    if (!stale.length) return;
    for (const port of stale) printed[port] = now[port];
    notice(`${atLineStart ? '' : '\n'}The past changed at step ${steps}: the output printed after that moment belongs to a discarded future; new output follows.`);
    atLineStart = true;
  });
}
