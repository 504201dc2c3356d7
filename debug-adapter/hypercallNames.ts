// KVM hypercall numbers and their KVM_HC_* names: the upstream table, then numbers a user
// adds to the host's own headers (`#define KVM_HC_HELLO_HYPERCALL 42`), which take precedence.

import { hypercallDefines, UPSTREAM_HYPERCALLS } from '../emulator/api';

export class HypercallNames {
  private readonly names = new Map([...UPSTREAM_HYPERCALLS].map(([name, nr]) => [nr, name]));

  /** Adds every `#define KVM_HC_<NAME> <number>` found in a C header's text. */
  addFromHeader(text: string): void {
    for (const d of hypercallDefines(text)) this.names.set(d.number, d.name);
  }

  name(nr: bigint): string | undefined {
    return nr <= 0xffffffffn ? this.names.get(Number(nr)) : undefined;
  }

  /** `nr` as shown in the Hypercall scope: "KVM_HC_HELLO_HYPERCALL (0x2a)", or the number alone. */
  describe(nr: bigint): string {
    const name = this.name(nr);
    return name ? `${name} (0x${nr.toString(16)})` : `0x${nr.toString(16)} (no KVM_HC_* name)`;
  }

  /** Name -> number, so conditions can say `nr == KVM_HC_KICK_CPU`. */
  number(name: string): number | undefined {
    for (const [nr, n] of this.names) if (n === name) return nr;
    return undefined;
  }
}
