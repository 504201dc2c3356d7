// Completion of the "Your first hypercall" walkthrough steps. A step completes on a context
// key (completionEvents "onContext:..."), set here when the user has actually done it, as
// seen in the DAP messages of a hypercall session: a stop on the VMCALL exception filter, a
// stack with host frames above the "VM exit: VMCALL" label frame, and trace lines.

import * as vscode from 'vscode';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { DEBUG_TYPE } from './configurationProvider';
import type { TraceEventBody } from '../debug-adapter/traceEvents';

export const STOPPED_ON_VMCALL = 'hypercall.walkthrough.stoppedOnVmcall';
export const STEPPED_INTO_HOST = 'hypercall.walkthrough.steppedIntoHost';
export const TRACED_HELLO_WORLD = 'hypercall.walkthrough.tracedHelloWorld';
export const TRACED_CUSTOM_HYPERCALL = 'hypercall.walkthrough.tracedCustomHypercall';

type Message = DebugProtocol.ProtocolMessage & Partial<DebugProtocol.Event & DebugProtocol.Response>;

/** Which walkthrough milestones one DAP message from the adapter reaches. */
export function milestonesOf(message: Message, customTraceTexts: ReadonlySet<string>): string[] {
  if (message.type === 'event' && message.event === 'stopped') {
    const body = message.body as DebugProtocol.StoppedEvent['body'];
    return body.reason === 'exception' && /^VMCALL\b/.test(body.description ?? '') ? [STOPPED_ON_VMCALL] : [];
  }
  if (message.type === 'response' && message.command === 'stackTrace' && message.success) {
    const frames = (message.body as DebugProtocol.StackTraceResponse['body']).stackFrames;
    // Frames above the label are the host handling the guest's VMCALL.
    return frames.findIndex((f) => f.name === 'VM exit: VMCALL') > 0 ? [STEPPED_INTO_HOST] : [];
  }
  if (message.type === 'event' && message.event === 'hypercall/trace') {
    // A trace_printk line names the host function that printed: kvm_pv_hello_hypercall for the
    // sample's Hello World, kvm_pv_<name> for a hypercall the scaffold added.
    const reached = new Set<string>();
    for (const { line } of (message.body as TraceEventBody).entries ?? []) {
      const text = /^\s*\S+\s+\[\d+\]\s+\S+\s+[\d.]+: \w+: (.*)$/.exec(line)?.[1];
      if (text === 'Hello World') reached.add(TRACED_HELLO_WORLD);
      if (text !== undefined && customTraceTexts.has(text)) reached.add(TRACED_CUSTOM_HYPERCALL);
    }
    return [...reached];
  }
  return [];
}

export class WalkthroughProgress implements vscode.DebugAdapterTrackerFactory {
  private readonly reached = new Set<string>();
  /** trace_printk texts of hypercalls "Create a New Custom Hypercall" added in this window. */
  private readonly customTraceTexts = new Set<string>();

  hypercallAdded(traceText: string): void {
    this.customTraceTexts.add(traceText);
  }

  createDebugAdapterTracker(): vscode.DebugAdapterTracker {
    return {
      onDidSendMessage: (message: Message) => {
        for (const key of milestonesOf(message, this.customTraceTexts)) {
          if (this.reached.has(key)) continue;
          this.reached.add(key);
          void vscode.commands.executeCommand('setContext', key, true);
        }
      },
    };
  }

  register(): vscode.Disposable {
    return vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, this);
  }
}
