// What a cache of state derived from a VMCS depends on: which VMCS, and the counts of changes
// (Vmcs.changes) of its control fields and of one more group of fields. The VM-entry checks
// that passed (entry.ts), the guest registers the last exit saved (savedGuestState.ts) and the
// decoded host- and guest-state areas (hostStateImage.ts, guestStateImage.ts) stand while
// their stamps do.

import { ChangeGroup, type Vmcs } from './vmcs';

export class VmcsStamp {
  private vmcs: Vmcs | undefined;
  private control = 0;
  private own = 0;

  /** `group`: the other fields the cache is derived from. */
  constructor(private readonly group: ChangeGroup) {}

  /** The cache was derived from `vmcs` as it is now. */
  take(vmcs: Vmcs): void {
    this.vmcs = vmcs;
    this.control = vmcs.changes[ChangeGroup.Control];
    this.own = vmcs.changes[this.group];
  }

  /** True if deriving from `vmcs` now would give the cache again: the same VMCS, no change counted since take(). */
  standsFor(vmcs: Vmcs): boolean {
    return this.vmcs === vmcs && this.control === vmcs.changes[ChangeGroup.Control] && this.own === vmcs.changes[this.group];
  }
}
