// Launch and stepping latency of the debug adapter (issue 8: "launch to first stop and a next +
// stackTrace round trip no slower than ~80-110 ms and ~5 ms"): wall-clock milliseconds from the
// launch request to the `stopped` event of stopOnEntry, and from a `next` request to its
// `stackTrace` response, in fresh in-process sessions of the sample.

import { InProcessDebugClient } from '../adapter/inProcessClient';
import { launchAndConfigure, stopAfter } from '../adapter/helpers';

export interface LaunchLatency { launchMs: number; nextStackTraceMs: number; sessions: number }

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

export async function measureLaunchLatency(hostPath: string, guestPath: string, sessions = 7): Promise<LaunchLatency> {
  const launch: number[] = [], next: number[] = [];
  for (let i = 0; i < sessions; i++) {
    const dc = new InProcessDebugClient();
    await dc.start();
    try {
      const t0 = performance.now();
      const stopped = dc.waitForEvent('stopped');
      await launchAndConfigure(dc, { guest: guestPath, host: hostPath, stopOnEntry: true });
      await stopped;
      launch.push(performance.now() - t0);
      const t1 = performance.now();
      await stopAfter(dc, () => dc.nextRequest({ threadId: 1 }));
      await dc.stackTraceRequest({ threadId: 1 });
      next.push(performance.now() - t1);
    } finally {
      await dc.stop();
    }
  }
  return { launchMs: median(launch), nextStackTraceMs: median(next), sessions };
}
