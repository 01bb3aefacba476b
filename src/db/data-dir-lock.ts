/**
 * An exclusive, cross-process lock on the embedded database's folder. PGlite
 * has none of its own: two processes opening one folder both succeed and
 * committed rows are silently lost. The lock is a file created with O_EXCL
 * holding pid, host and start time; it is taken over only when that pid is
 * dead on this host, and released on exit.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BusyError } from '../core/errors.js';
import { sleep } from '../core/clock.js';

interface LockContent {
  pid: number;
  host: string;
  started_at: string;
  token: string;
}

export interface DataDirLock {
  path: string;
  release(): void;
}

const POLL_MS = 100;

function readLock(path: string): LockContent | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockContent;
  } catch {
    return undefined; // being written, or removed meanwhile
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryCreate(path: string, content: LockContent): boolean {
  try {
    const fd = openSync(path, 'wx');
    try {
      writeSync(fd, JSON.stringify(content));
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Removes a lock whose holder died. A second lock file serialises take-overs,
 * so that two waiters cannot both remove the file and one of them the other's
 * fresh lock.
 */
function takeOverIfStale(path: string, seen: LockContent): void {
  const guard = `${path}.takeover`;
  try {
    if (Date.now() - statSync(guard).mtimeMs > 10_000) unlinkSync(guard); // a take-over that died midway
  } catch {
    /* no guard */
  }
  if (!tryCreate(guard, { ...seen, token: 'takeover' })) return;
  try {
    const now = readLock(path);
    if (now && now.token === seen.token) unlinkSync(path);
  } finally {
    unlinkSync(guard);
  }
}

export async function acquireDataDirLock(dir: string, waitMs: number, signal?: AbortSignal): Promise<DataDirLock> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'ops.lock');
  const host = hostname();
  const mine: LockContent = { pid: process.pid, host, started_at: new Date().toISOString(), token: randomBytes(8).toString('hex') };
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (tryCreate(path, mine)) break;
    const holder = readLock(path);
    if (holder && holder.host === host && !pidAlive(holder.pid)) {
      takeOverIfStale(path, holder);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = holder ? `pid ${holder.pid} on ${holder.host} since ${holder.started_at}` : 'another process';
      throw new BusyError(
        `the embedded database in ${dir} is in use by ${who}; only one ops process can open it at a time` +
          (holder && holder.host !== host ? ` (if that process is gone, delete ${path})` : ''),
      );
    }
    await sleep(POLL_MS, signal);
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    if (readLock(path)?.token === mine.token) unlinkSync(path);
  };
  // Also on process.exit(): a forced exit must not leave a lock behind.
  process.on('exit', release);
  return { path, release };
}
