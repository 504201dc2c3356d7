// The walkthrough's milestones as the extension reads them from a real session: the adapter
// runs the sample in process, and every event and stackTrace response it sends goes through
// milestonesOf, as the DebugAdapterTracker passes them in VS Code.
import type { DebugProtocol } from '@vscode/debugprotocol';
import { launchAndConfigure, stopAfter, traceEntries, useDebugClient } from '../adapter/helpers';
import { GUEST_ELF, HOST_ELF } from '../adapter/sample';

vi.mock('vscode', () => ({}));
const { milestonesOf, STEPPED_INTO_HOST, STOPPED_ON_VMCALL, TRACED_CUSTOM_HYPERCALL, TRACED_HELLO_WORLD } = await import('../../extension/walkthroughProgress');

const dc = useDebugClient();

describe('walkthrough milestones from DAP messages', () => {
  it('stop on the VMCALL filter, step into the host, Hello World in the trace: each reached when it happens', async () => {
    const custom = new Set(['ping']);
    const reached = (messages: DebugProtocol.ProtocolMessage[]) => [...new Set(messages.flatMap((m) => milestonesOf(m, custom)))];
    const stackResponse = () => dc().stackTraceRequest({ threadId: 1 });

    // Paused at entry, before the filter is on: nothing reached yet.
    const entry = dc().waitForEvent('stopped');
    await launchAndConfigure(dc(), { guest: GUEST_ELF, host: HOST_ELF, stopOnEntry: true });
    expect(reached([await entry, await stackResponse()])).toEqual([]);

    // The user ticks VMCALL and continues: the stop on the guest's vmcall.
    await dc().setExceptionBreakpointsRequest({ filters: ['vmcall'] });
    const vmcall = await stopAfter(dc(), () => dc().continueRequest({ threadId: 1 }));
    expect(reached([vmcall, await stackResponse()])).toEqual([STOPPED_ON_VMCALL]);

    // Step In: host frames above the "VM exit: VMCALL" label.
    const stepped = await stopAfter(dc(), () => dc().stepInRequest({ threadId: 1 }));
    expect(reached([stepped, await stackResponse()])).toEqual([STEPPED_INTO_HOST]);

    // Continue to the end: Hello World among the trace events, no line of a hypercall the sample lacks.
    await dc().setExceptionBreakpointsRequest({ filters: [] });
    const terminated = dc().waitForEvent('terminated');
    const before = dc().events.length;
    await dc().continueRequest({ threadId: 1 });
    await terminated;
    const rest = dc().events.slice(before);
    expect(traceEntries(rest).length).toBeGreaterThan(10);
    expect(reached(rest)).toEqual([TRACED_HELLO_WORLD]);
    expect(reached(rest)).not.toContain(TRACED_CUSTOM_HYPERCALL);
  }, 120_000);

  it('reaches the custom-hypercall milestone on the trace_printk line of a hypercall the user added', () => {
    const line = (text: string) => ({ seq: 1, type: 'event', event: 'hypercall/trace', body: { entries: [{ line: `         hc-host-1       [000] .....     0.002000: kvm_emulate_hypercall: ${text}` }] } });
    expect(milestonesOf(line('my_ping'), new Set(['my_ping']))).toEqual([TRACED_CUSTOM_HYPERCALL]);
    expect(milestonesOf(line('my_ping'), new Set(['ping']))).toEqual([]);
  });
});
