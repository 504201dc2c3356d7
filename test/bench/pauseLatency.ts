// Pause latency of the debug adapter (issue 4: "pause answers within 100 ms even inside a tight
// loop"): wall-clock milliseconds from a DAP pause request to the stopped event while the guest
// spins in a compute loop. Wall clock, not CPU time: this is what the user waits for.

import { InProcessDebugClient } from '../adapter/inProcessClient';
import { launchAndConfigure, stopAfter } from '../adapter/helpers';

export interface PauseLatency { medianMs: number; maxMs: number; samples: number }

export async function measurePauseLatency(hostPath: string, spinningGuestPath: string, samples = 15): Promise<PauseLatency> {
  const dc = new InProcessDebugClient();
  await dc.start();
  try {
    await launchAndConfigure(dc, { guest: spinningGuestPath, host: hostPath, trace: false });
    const ms: number[] = [];
    for (let i = 0; i < samples; i++) {
      await new Promise((r) => setTimeout(r, 150)); // let it run
      const t0 = performance.now();
      await stopAfter(dc, () => dc.pauseRequest({ threadId: 1 }));
      ms.push(performance.now() - t0);
      await dc.continueRequest({ threadId: 1 });
    }
    ms.sort((a, b) => a - b);
    return { medianMs: ms[ms.length >> 1], maxMs: ms[ms.length - 1], samples };
  } finally {
    await dc.stop();
  }
}
