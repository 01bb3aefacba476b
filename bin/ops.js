#!/usr/bin/env -S node --max-semi-space-size=8
// The flag: ops is a batch tool, often in a small container. A young generation of 8 MB semi-spaces (V8's
// default is 16) lets page-sized garbage die young instead of growing the heap: a 1,000,000-participant
// backfill peaks at about 187 MB instead of 209 MB, at the same speed (scripts/bench/backfill.mjs).
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
