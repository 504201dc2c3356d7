// Reads /sys/kernel/tracing/trace text, from real KVM or from our model (same layout,
// docs/trace.md), into the events the comparison looks at, with VMX and SVM exit reasons
// brought to one vocabulary.

export type TraceEvent =
  | { kind: 'kvm_entry'; rip: bigint }
  | { kind: 'kvm_exit'; reason: string; rip: bigint }
  | { kind: 'kvm_hypercall'; text: string; nr: bigint }
  | { kind: 'printk'; func: string; msg: string };

/** The hcdbg_hc module reports every hypercall's answer as a trace_printk from this function. */
export const RETURN_REPORTER = 'hcdbg_hypercall_ret';

// "<task>-<pid> [cpu] flags timestamp: " starts every event line, the task right-aligned.
const HEAD = /(?:^|\s+)\S+-\d+\s+\[\d{3}\]\s+\S{5}\s+\d+\.\d{6}: /g;

/**
 * One event per line, also where the kernel left none: trace_printk("Hello World") has no
 * trailing newline, so the next event continues the same line in the real trace.
 */
export function eventLines(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    const starts = [...line.matchAll(HEAD)].map((m) => m.index!);
    for (let i = 0; i < starts.length; i++) out.push(line.slice(starts[i], starts[i + 1]).trimEnd());
  }
  return out;
}

export function parseTrace(text: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  for (const line of eventLines(text)) {
    const body = line.trimStart().replace(/^\S+-\d+\s+\[\d{3}\]\s+\S{5}\s+\d+\.\d{6}: /, '');
    const colon = body.indexOf(': ');
    if (colon < 0) continue;
    const name = body.slice(0, colon), rest = body.slice(colon + 2);
    if (name === 'kvm_entry') {
      events.push({ kind: 'kvm_entry', rip: BigInt(/rip (0x[0-9a-f]+)/.exec(rest)?.[1] ?? '0') });
    } else if (name === 'kvm_exit') {
      const m = /reason (.+?) rip (0x[0-9a-f]+)/.exec(rest);
      if (m) events.push({ kind: 'kvm_exit', reason: m[1], rip: BigInt(m[2]) });
    } else if (name === 'kvm_hypercall') {
      events.push({ kind: 'kvm_hypercall', text: rest, nr: BigInt(/nr (0x[0-9a-f]+)/.exec(rest)?.[1] ?? '0') });
    } else {
      events.push({ kind: 'printk', func: name, msg: rest });
    }
  }
  return events;
}

/**
 * SVM exit names (arch/x86/include/uapi/asm/svm.h SVM_EXIT_REASONS, as 6.1 prints them) to
 * the VMX names (SDM Appendix C) our model and Intel KVM print.
 */
const SVM_TO_VMX: Readonly<Record<string, string>> = {
  hypercall: 'VMCALL', vmmcall: 'VMCALL', io: 'IO_INSTRUCTION', hlt: 'HLT', cpuid: 'CPUID',
  msr: 'MSR', npf: 'EPT_VIOLATION', shutdown: 'TRIPLE_FAULT', interrupt: 'EXTERNAL_INTERRUPT',
  read_cr0: 'CR_ACCESS', write_cr0: 'CR_ACCESS', read_cr3: 'CR_ACCESS', write_cr3: 'CR_ACCESS',
  read_cr4: 'CR_ACCESS', write_cr4: 'CR_ACCESS', cr0_sel_write: 'CR_ACCESS', 'UD excp': 'EXCEPTION_NMI',
  'GP excp': 'EXCEPTION_NMI', 'PF excp': 'EXCEPTION_NMI', 'DB excp': 'EXCEPTION_NMI', 'BP excp': 'EXCEPTION_NMI',
  invlpg: 'INVLPG', rdtsc: 'RDTSC', rdtscp: 'RDTSCP', pause: 'PAUSE_INSTRUCTION', vintr: 'INTERRUPT_WINDOW',
};
const VMX_SPLIT: Readonly<Record<string, string>> = { MSR_READ: 'MSR', MSR_WRITE: 'MSR' };

export function vmxExitName(reason: string): string {
  return SVM_TO_VMX[reason] ?? VMX_SPLIT[reason] ?? reason;
}

/**
 * Exits the guest's own instructions cause one for one on any KVM. The rest depend on the
 * hypervisor's choices (EPT/NPT faults on first touch, which MSRs and CRs it intercepts,
 * host interrupts) and are counted, not compared.
 */
export const COMPARED_EXITS: ReadonlySet<string> = new Set(['VMCALL', 'IO_INSTRUCTION', 'HLT', 'CPUID', 'TRIPLE_FAULT']);
