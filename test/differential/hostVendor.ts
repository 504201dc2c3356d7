// The vendor of the CPU the native side runs on: where Intel and AMD processors differ (flags
// the SDM leaves undefined, registers a zero-count REP leaves alone), the interpreter does what
// AMD's do, and the differential suite compares those details only on an AMD host.

import { readFileSync } from 'node:fs';

export const HOST_IS_AMD = (() => {
  try {
    return /^vendor_id\s*:\s*AuthenticAMD/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
})();
