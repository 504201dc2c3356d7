// KVM hypercall numbers and their KVM_HC_* names. The upstream table follows
// include/uapi/linux/kvm_para.h (Linux 6.1); numbers a user adds to the host's own headers
// (`#define KVM_HC_HELLO_HYPERCALL 42`) are read from those headers and take precedence.

const UPSTREAM: ReadonlyMap<number, string> = new Map([
  [1, 'KVM_HC_VAPIC_POLL_IRQ'], [2, 'KVM_HC_MMU_OP'], [3, 'KVM_HC_FEATURES'],
  [4, 'KVM_HC_PPC_MAP_MAGIC_PAGE'], [5, 'KVM_HC_KICK_CPU'], [6, 'KVM_HC_MIPS_GET_CLOCK_FREQ'],
  [7, 'KVM_HC_MIPS_EXIT_VM'], [8, 'KVM_HC_MIPS_CONSOLE_OUTPUT'], [9, 'KVM_HC_CLOCK_PAIRING'],
  [10, 'KVM_HC_SEND_IPI'], [11, 'KVM_HC_SCHED_YIELD'], [12, 'KVM_HC_MAP_GPA_RANGE'],
]);

export class HypercallNames {
  private readonly names = new Map(UPSTREAM);

  /** Adds every `#define KVM_HC_<NAME> <number>` found in a C header's text. */
  addFromHeader(text: string): void {
    for (const m of text.matchAll(/^[ \t]*#[ \t]*define[ \t]+(KVM_HC_\w+)[ \t]+\(?[ \t]*(0[xX][0-9a-fA-F]+|\d+)[uUlL]*[ \t]*\)?/gm)) {
      this.names.set(Number(m[2]), m[1]);
    }
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
