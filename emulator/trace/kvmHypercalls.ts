// KVM hypercall numbers: the upstream KVM_HC_* table (include/uapi/linux/kvm_para.h, Linux
// 6.1) and the reading of `#define KVM_HC_<NAME> <number>` lines in a C header. The debug
// adapter names hypercalls with them; the extension picks numbers that collide with none.

export const UPSTREAM_HYPERCALLS: ReadonlyMap<string, number> = new Map([
  ['KVM_HC_VAPIC_POLL_IRQ', 1], ['KVM_HC_MMU_OP', 2], ['KVM_HC_FEATURES', 3],
  ['KVM_HC_PPC_MAP_MAGIC_PAGE', 4], ['KVM_HC_KICK_CPU', 5], ['KVM_HC_MIPS_GET_CLOCK_FREQ', 6],
  ['KVM_HC_MIPS_EXIT_VM', 7], ['KVM_HC_MIPS_CONSOLE_OUTPUT', 8], ['KVM_HC_CLOCK_PAIRING', 9],
  ['KVM_HC_SEND_IPI', 10], ['KVM_HC_SCHED_YIELD', 11], ['KVM_HC_MAP_GPA_RANGE', 12],
]);

export interface HypercallDefine {
  name: string;
  number: number;
  /** 0-based line of the #define. */
  line: number;
}

// `#define KVM_HC_X 0x100`, also `( 0x101 )` and integer suffixes (`42u`, `0x10UL`).
const DEFINE = /^[ \t]*#[ \t]*define[ \t]+(KVM_HC_\w+)[ \t]+\(?[ \t]*(0[xX][0-9a-fA-F]+|\d+)[uUlL]*[ \t]*\)?(?![\w.])/;

/** Every KVM_HC_* number a header's text defines, in order. */
export function hypercallDefines(text: string): HypercallDefine[] {
  return text.split('\n').flatMap((lineText, line) => {
    const m = DEFINE.exec(lineText);
    return m ? [{ name: m[1], number: Number(m[2]), line }] : [];
  });
}
