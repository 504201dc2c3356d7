// Standalone entry: `node dist/debugAdapter.js` speaks DAP on stdin/stdout.

import { HypercallDebugSession } from './session';

new HypercallDebugSession().start(process.stdin, process.stdout);
