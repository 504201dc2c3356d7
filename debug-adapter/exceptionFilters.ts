// The exception-breakpoint filters: `vmcall` (the guest executed VMCALL; the host has not run
// yet), `vmexit` (any VM exit), `triple-fault`, `vmentry-failure`. Conditions are C
// expressions over the exit: `nr`, `a0`..`a3` for VMCALL (RAX, RBX, RCX, RDX, RSI as
// kvm_emulate_hypercall reads them), `reason` and the exit-reason names for any exit.

import type { DebugProtocol } from '@vscode/debugprotocol';
import { ExitReason, kvmExitReasonName, Reg, type VmExitInfo } from '../emulator/api';
import { evaluateCondition, ExpressionError, type NameResolver } from './expression';
import type { HypercallNames } from './hypercallNames';

export type FilterId = 'vmcall' | 'vmexit' | 'triple-fault' | 'vmentry-failure';


export const EXCEPTION_FILTERS: DebugProtocol.ExceptionBreakpointsFilter[] = [
  { filter: 'vmcall', label: 'VMCALL (hypercall)', description: 'Break when the guest executes VMCALL, before the host handles it.', default: false, supportsCondition: true, conditionDescription: 'e.g. nr == 0x10 or nr == KVM_HC_KICK_CPU' },
  { filter: 'vmexit', label: 'Any VM exit', description: 'Break at every VM exit, before the host handles it.', default: false, supportsCondition: true, conditionDescription: 'e.g. reason == EPT_VIOLATION or reason == 30' },
  { filter: 'triple-fault', label: 'Triple fault', description: 'Break when the guest triple-faults (a VM exit the host then handles). A triple fault in the host always stops.', default: true },
  { filter: 'vmentry-failure', label: 'Failed VM entry', description: 'Break when VMLAUNCH/VMRESUME fails.', default: true },
];

export interface FilterHit { filter: FilterId; description: string; text: string }

export class ExceptionFilters {
  private enabled = new Map<FilterId, string | undefined>(
    EXCEPTION_FILTERS.filter((f) => f.default).map((f) => [f.filter as FilterId, undefined]));

  constructor(private readonly hypercalls: HypercallNames) {}

  /** Applies a setExceptionBreakpoints request; returns one Breakpoint per filter given (unverified if its condition does not parse). */
  set(args: DebugProtocol.SetExceptionBreakpointsArguments): DebugProtocol.Breakpoint[] {
    this.enabled.clear();
    const results: DebugProtocol.Breakpoint[] = [];
    const options = [...(args.filterOptions ?? []), ...args.filters.map((filterId) => ({ filterId, condition: undefined as string | undefined }))];
    for (const { filterId, condition } of options) {
      if (!EXCEPTION_FILTERS.some((f) => f.filter === filterId)) {
        results.push({ verified: false, message: `There is no exception filter named ${filterId}.` });
        continue;
      }
      const problem = condition ? this.checkCondition(filterId as FilterId, condition) : undefined;
      if (!problem) this.enabled.set(filterId as FilterId, condition);
      results.push(problem ? { verified: false, message: problem } : { verified: true });
    }
    return results;
  }

  isEnabled(id: FilterId): boolean { return this.enabled.has(id); }

  /** Decides whether a VM exit stops the program; errors in a condition stop it and say so. */
  onVmExit(exit: VmExitInfo): FilterHit | undefined {
    const where = `guest RIP 0x${exit.guestRip.toString(16)}`;
    if (exit.reason === ExitReason.TRIPLE_FAULT && this.enabled.has('triple-fault')) {
      return { filter: 'triple-fault', description: `Triple fault in the guest at ${where}`, text: `The guest triple-faulted at ${where} (VM exit TRIPLE_FAULT).` };
    }
    if (exit.reason === ExitReason.VMCALL && this.enabled.has('vmcall')) {
      const nr = exit.guestGprs[Reg.RAX];
      const hit = this.test('vmcall', exit);
      if (hit !== false) {
        const text = typeof hit === 'string' ? hit : `The guest executed VMCALL at ${where}: hypercall ${this.hypercalls.describe(nr)}.`;
        return { filter: 'vmcall', description: `VMCALL: hypercall ${this.hypercalls.name(nr) ?? '0x' + nr.toString(16)}`, text };
      }
    }
    if (this.enabled.has('vmexit')) {
      const hit = this.test('vmexit', exit);
      if (hit !== false) {
        const name = exit.reasonName || kvmExitReasonName(exit.reason);
        return { filter: 'vmexit', description: `VM exit: ${name}`, text: typeof hit === 'string' ? hit : `VM exit ${name} (reason ${exit.reason}) at ${where}.` };
      }
    }
    return undefined;
  }

  /** true/false for the condition, or the error sentence when it cannot be evaluated (which stops). */
  private test(id: FilterId, exit: VmExitInfo): boolean | string {
    const condition = this.enabled.get(id);
    if (!condition) return true;
    try {
      return evaluateCondition(condition, this.names(exit));
    } catch (e) {
      return `The ${id} condition "${condition}" could not be evaluated: ${(e as Error).message}`;
    }
  }

  private checkCondition(id: FilterId, condition: string): string | undefined {
    const sample: VmExitInfo = { reason: ExitReason.VMCALL, reasonName: 'VMCALL', entryFailure: false, qualification: 0n, guestRip: 0n, instructionLength: 3, intrInfo: 0, intrErrorCode: 0, guestGprs: new BigUint64Array(16) };
    try {
      evaluateCondition(condition, this.names(sample));
      return undefined;
    } catch (e) {
      if (!(e instanceof ExpressionError)) throw e;
      return `The ${id} condition "${condition}" is not valid: ${e.message}`;
    }
  }

  private names(exit: VmExitInfo): NameResolver {
    const g = exit.guestGprs;
    const vars: Record<string, bigint> = {
      nr: g[Reg.RAX], a0: g[Reg.RBX], a1: g[Reg.RCX], a2: g[Reg.RDX], a3: g[Reg.RSI],
      reason: BigInt(exit.reason), qualification: exit.qualification, rip: exit.guestRip,
    };
    return {
      lookup: (name) => {
        if (name in vars) return vars[name];
        const nr = this.hypercalls.number(name);
        if (nr !== undefined) return BigInt(nr);
        for (let r = 0; r < 80; r++) if (kvmExitReasonName(r) === name) return BigInt(r);
        return undefined;
      },
      readU64: () => undefined,
    };
  }
}
