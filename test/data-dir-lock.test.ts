/** The embedded database's folder lock, across real processes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
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

test('a fresh lock of another host is not taken over', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ops-lock-'));
  writeFileSync(join(dir, 'ops.lock'), JSON.stringify({ pid: 1, host: `not-${hostname()}`, started_at: new Date().toISOString(), token: 'x' }));
  await assert.rejects(acquireDataDirLock(dir, 100), /delete .*ops\.lock/);
});

const longAgo = () => new Date(Date.now() - 3600_000);

test('an empty lock (a crash between create and write) is taken over once older than the bound', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ops-lock-'));
  const path = join(dir, 'ops.lock');
  writeFileSync(path, '');
  // Fresh: it might be a live holder on a shared volume; not taken over yet.
  await assert.rejects(acquireDataDirLock(dir, 200, undefined, { staleMs: 60_000 }), BusyError);
  utimesSync(path, longAgo(), longAgo());
  const lock = await acquireDataDirLock(dir, 500, undefined, { staleMs: 60_000 });
  assert.equal(JSON.parse(readFileSync(lock.path, 'utf8')).pid, process.pid);
  lock.release();
});

test('a lock of another host is taken over once it has not been refreshed for the bound', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ops-lock-'));
  const path = join(dir, 'ops.lock');
  writeFileSync(path, JSON.stringify({ pid: 1, host: `not-${hostname()}`, started_at: longAgo().toISOString(), token: 'x' }));
  utimesSync(path, longAgo(), longAgo());
  const lock = await acquireDataDirLock(dir, 500, undefined, { staleMs: 60_000 });
  assert.equal(JSON.parse(readFileSync(lock.path, 'utf8')).host, hostname());
  lock.release();
});

test('the holder keeps its lock fresh, so a live holder elsewhere is never taken for stale', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ops-lock-'));
  const code = `import { acquireDataDirLock } from ${JSON.stringify(lockModule)};
    await acquireDataDirLock(${JSON.stringify(dir)}, 1000, undefined, { staleMs: 1000 }); console.log('held'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  await new Promise((r) => child.stdout!.once('data', r));
  const path = join(dir, 'ops.lock');
  utimesSync(path, longAgo(), longAgo());
  const deadline = Date.now() + 5000;
  while (Date.now() - statSync(path).mtimeMs > 60_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const age = Date.now() - statSync(path).mtimeMs;
  child.kill('SIGTERM');
  await exited;
  assert.ok(age < 60_000, `the holder did not refresh its lock (age ${Math.round(age / 1000)}s)`);
});

test('the lock file is never seen without its content', async () => {
  // Many processes racing for one folder: any reader that finds ops.lock finds whole JSON.
  const dir = mkdtempSync(join(tmpdir(), 'ops-lock-'));
  const code = `import { acquireDataDirLock } from ${JSON.stringify(lockModule)};
    for (let i = 0; i < 30; i++) { const l = await acquireDataDirLock(${JSON.stringify(dir)}, 5000); l.release(); }`;
  const children = Array.from({ length: 3 }, () => spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: 'inherit' }));
  const done = Promise.all(children.map((c) => new Promise((r) => c.on('exit', r))));
  let finished = false;
  void done.then(() => (finished = true));
  let empty = 0;
  let seen = 0;
  while (!finished) {
    await new Promise((r) => setImmediate(r));
    try {
      const text = readFileSync(join(dir, 'ops.lock'), 'utf8');
      seen += 1;
      if (text === '') empty += 1;
    } catch {
      /* not there right now */
    }
  }
  assert.ok(seen > 0, 'the race was observed');
  assert.equal(empty, 0, `found ops.lock empty ${empty} time(s) of ${seen}`);
});
