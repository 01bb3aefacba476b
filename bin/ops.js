#!/usr/bin/env node
// Tiny launcher: the program is compiled to dist/ by `npm ci` (prepare) or `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('ops: not built yet: run "npm run build" (npm ci does it for you)\n');
  process.exit(1);
}
await import(entry.href);
