// What VM entry or exit decodes from a VMCS and keeps between transitions (hostStateImage.ts,
// guestStateImage.ts) depends on the VMCS, its control fields and one more group of fields:
// it stands while Vmcs.changes counts no change in either.

import type { Vmcs } from './vmcs';

/** Vmcs.changes index of the control fields (encoding bits 11:10, SDM 25.11.2). */
const CONTROL = 0;

export abstract class VmcsImage {
  private readonly control: number;
  private readonly own: number;

  /** `group`: the Vmcs.changes index of the other fields the image is decoded from. */
  protected constructor(readonly vmcs: Vmcs, private readonly group: number) {
    this.control = vmcs.changes[CONTROL];
    this.own = vmcs.changes[group];
  }

  /** True if decoding `vmcs` now would give this image again. */
  standsFor(vmcs: Vmcs): boolean {
    return this.vmcs === vmcs && this.control === vmcs.changes[CONTROL] && this.own === vmcs.changes[this.group];
  }
}
