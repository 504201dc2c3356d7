// The VMCS's view of itself at the last VM exit (Vmcs.markExit / atExit): what the debugger
// shows as "at the VM exit" next to a field's current value.

import { HALVES, join } from '../../emulator/cpu/halves';
import { Field } from '../../emulator/vmx/fields';
import { Vmcs } from '../../emulator/vmx/vmcs';

function atExit(vmcs: Vmcs, f: Field): bigint {
  vmcs.atExit(Vmcs.slotOf(f));
  return join(HALVES[0], HALVES[1]);
}

describe('the VMCS at the last VM exit', () => {
  it('keeps each field as the exit left it through later changes, until the next exit', () => {
    const vmcs = new Vmcs(0x1000n);
    vmcs.set(Field.GUEST_RIP, 0x1000n);
    vmcs.set32(Field.VM_EXIT_REASON, 18);
    vmcs.markExit();
    vmcs.set(Field.GUEST_RIP, 0x1003n);
    vmcs.set(Field.GUEST_RIP, 0xffff_8000_0000_1003n);
    expect([atExit(vmcs, Field.GUEST_RIP), atExit(vmcs, Field.VM_EXIT_REASON)]).toEqual([0x1000n, 18n]);
    expect(vmcs.get(Field.GUEST_RIP)).toBe(0xffff_8000_0000_1003n);
    vmcs.set32(Field.VM_EXIT_REASON, 10);
    vmcs.markExit();
    expect([atExit(vmcs, Field.GUEST_RIP), atExit(vmcs, Field.VM_EXIT_REASON)]).toEqual([0xffff_8000_0000_1003n, 10n]);
  });

  it('stays exact when the count of exits passes 2^32 (the marks start again)', () => {
    const vmcs = new Vmcs(0x1000n);
    vmcs.markExit();
    vmcs.set(Field.GUEST_RIP, 0x2000n); // logged at mark 1: 0
    (vmcs as unknown as { exitMarks: number }).exitMarks = 2 ** 32 - 1;
    vmcs.markExit(); // the 2^32nd: marks start again at 1
    expect(atExit(vmcs, Field.GUEST_RIP)).toBe(0x2000n);
    vmcs.set(Field.GUEST_RIP, 0x3000n);
    expect(atExit(vmcs, Field.GUEST_RIP)).toBe(0x2000n);
    vmcs.markExit();
    expect(atExit(vmcs, Field.GUEST_RIP)).toBe(0x3000n);
  });
});
