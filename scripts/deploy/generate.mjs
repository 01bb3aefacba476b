#!/usr/bin/env node
/**
 * `npm run deploy:generate`: writes the scheduler files of scripts/deploy/
 * from the one schedule source, with `ops schedule export`, in a clean
 * environment (no .env, no developer's settings: the defaults). A test
 * (test/deploy.test.ts) checks that the files equal what the command prints.
 *
 *   node scripts/deploy/generate.mjs          write the files
 *   node scripts/deploy/generate.mjs --check  exit 1 when one differs
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
export const GENERATED = {
  crontab: 'crontab',
  eventbridge: 'eventbridge-schedules.json',
  ecs: 'ecs-task-definition.json',
  k8s: 'kubernetes-cronjobs.yaml',
};

export function exportSchedule(format) {
  // An empty folder as the working directory: no .env is read.
  const cwd = mkdtempSync(join(tmpdir(), 'ops-deploy-'));
  try {
    return execFileSync(process.execPath, [join(root, 'bin', 'ops.js'), 'schedule', 'export', '--format', format], {
      cwd,
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' },
      encoding: 'utf8',
    });
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [format, file] of Object.entries(GENERATED)) {
    const path = join(root, 'scripts', 'deploy', file);
    const text = exportSchedule(format);
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {}
    if (current === text) continue;
    if (check) {
      console.error(`scripts/deploy/${file} differs from "ops schedule export --format ${format}": run npm run deploy:generate`);
      stale += 1;
    } else {
      writeFileSync(path, text);
      console.log(`wrote scripts/deploy/${file}`);
    }
  }
  process.exit(stale ? 1 : 0);
}
