/** The embedded database's folder lock, across real processes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { acquireDataDirLock } from '../src/db/data-dir-lock.js';
import { BusyError } from '../src/core/errors.js';

const lockModule = fileURLToPath(new URL('../src/db/data-dir-lock.js', import.meta.url));

function holdInChild(dir: string): Promise<{ kill(sig: NodeJS.Signals): void; exited: Promise<void> }> {
  const code = `import { acquireDataDirLock } from ${JSON.stringify(lockModule)};
    await acquireDataDirLock(${JSON.stringify(dir)}, 1000); console.log('held'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return new Promise((resolve) => child.stdout.once('data', () => resolve({ kill: (sig) => child.kill(sig), exited })));
}

test('a second process cannot take the folder while the first holds it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ops-lock-'));
  const holder = await holdInChild(dir);
  const started = Date.now();
  await assert.rejects(acquireDataDirLock(dir, 300), (e: unknown) => e instanceof BusyError && /in use by pid \d+/.test((e as Error).message));
  assert.ok(Date.now() - started >= 290, 'waited the configured time');
  holder.kill('SIGTERM');
  await holder.exited;
  const lock = await acquireDataDirLock(dir, 2000);
  lock.release();
});

test('a lock whose process died (SIGKILL) is taken over', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ops-lock-'));
  const holder = await holdInChild(dir);
  holder.kill('SIGKILL');
  await holder.exited;
  assert.ok(existsSync(join(dir, 'ops.lock')), 'the dead process left its lock file');
  const lock = await acquireDataDirLock(dir, 1000);
  assert.equal(JSON.parse(readFileSync(lock.path, 'utf8')).pid, process.pid);
  lock.release();
  assert.ok(!existsSync(join(dir, 'ops.lock')));
});

test('a lock of another host is never taken over', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ops-lock-'));
  writeFileSync(join(dir, 'ops.lock'), JSON.stringify({ pid: 1, host: `not-${hostname()}`, started_at: new Date().toISOString(), token: 'x' }));
  await assert.rejects(acquireDataDirLock(dir, 100), /delete .*ops\.lock/);
});
