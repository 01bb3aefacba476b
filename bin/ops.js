#!/usr/bin/env -S node --max-semi-space-size=4
// The flag: ops is a batch tool, often in a small container. A young generation of 4 MB semi-spaces (V8's
// default is 16) lets page-sized garbage die young instead of growing the heap: a 1,000,000-participant
// backfill by COPY pages peaks at about 184 MB instead of 198-204 MB with 8 MB, at the same speed
// (scripts/bench/backfill.mjs, 2026-11-30); process-tracking at 1,000,000 events is not slowed by it.
// The Dockerfile's entrypoint passes the same flag; `node bin/ops.js` without it works the same, only larger.
// Tiny launcher: the program is compiled to dist/ by `npm ci` (prepare) or `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('ops: not built yet: run "npm run build" (npm ci does it for you)\n');
  process.exit(1);
}
await import(entry.href);
