/**
 * An exclusive, cross-process lock on the embedded database's folder. PGlite
 * has none of its own: two processes opening one folder both succeed and
 * committed rows are silently lost.
 *
 * The lock file (pid, host, start time) appears with its content in one step:
 * it is written under a temporary name and hard-linked to `ops.lock`, which
 * fails with EEXIST while another process holds it. A crash can therefore
 * never leave an empty lock. The holder touches the file on a timer, so that
 * "not refreshed for staleMs" means "its holder is gone" whatever the host;
 * a lock is taken over when its pid is dead on this host, or when it is
 * unreadable or of another host and has not been refreshed for staleMs.
 */
import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BusyError, ConfigError } from '../core/errors.js';
import { sleep } from '../core/clock.js';

export interface LockContent {
  pid: number;
  host: string;
  started_at: string;
  token: string;
}

export interface DataDirLock {
  path: string;
  release(): void;
}

export interface DataDirLockOptions {
  /** A lock not refreshed for this long, unreadable or of another host, is taken over. */
  staleMs?: number;
  /** false: the folder must exist already (read-only commands never create a database). */
  create?: boolean;
}

export const DEFAULT_STALE_MS = 60_000;
const POLL_MS = 100;

/** The holder of a folder's lock, as far as it can be read. */
export function readLock(path: string): LockContent | undefined {
  try {
    const content = JSON.parse(readFileSync(path, 'utf8')) as LockContent;
    return typeof content?.token === 'string' ? content : undefined;
  } catch {
    return undefined; // removed meanwhile, or damaged
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

const SETTING_CODES = new Set(['EROFS', 'EACCES', 'EPERM', 'ENOTDIR', 'EEXIST', 'ENOENT']);

/**
 * A folder that cannot be created or written (a file in its place, a read-only
 * mount, no permission) is a setting to fix, not a bug: a ConfigError naming
 * OPS_DATA_DIR. Any other error is returned as it is.
 */
export function dataDirProblem(dir: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (!code || !SETTING_CODES.has(code)) return err;
  const why: Record<string, string> = {
    EROFS: 'it is on a read-only file system',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOTDIR: 'a file is in the way (not a folder)',
    EEXIST: 'it is a file, not a folder',
    ENOENT: 'a parent folder does not exist',
  };
  return new ConfigError('OPS_DATA_DIR', `OPS_DATA_DIR ${dir} cannot be used as the embedded database folder: ${why[code]} (${code})`);
}

/** Creates `path` holding `content`, atomically; false when it exists already. */
function tryCreate(path: string, content: string): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, content);
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

function ageMs(path: string): number | undefined {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Whether the lock as seen now may be taken over. */
function isStale(path: string, holder: LockContent | undefined, staleMs: number): boolean {
  if (holder && holder.host === hostname()) return !pidAlive(holder.pid);
  const age = ageMs(path);
  return age !== undefined && age > staleMs;
}

/**
 * Removes a stale lock. A second lock file serialises take-overs, so that two
 * waiters cannot both remove the file and one of them the other's fresh lock;
 * under it, the lock is checked again before it goes.
 */
function takeOver(path: string, seen: LockContent | undefined, staleMs: number): void {
  const guard = `${path}.takeover`;
  const guardAge = ageMs(guard);
  if (guardAge !== undefined && guardAge > 10_000) {
    try {
      unlinkSync(guard); // a take-over that died midway
    } catch {
      /* someone else removed it */
    }
  }
  if (!tryCreate(guard, String(process.pid))) return;
  try {
    const now = readLock(path);
    if (now?.token === seen?.token && isStale(path, now, staleMs)) unlinkSync(path);
  } catch {
    /* gone meanwhile */
  } finally {
    unlinkSync(guard);
  }
}

function prepareFolder(dir: string, create: boolean): void {
  try {
    if (create) mkdirSync(dir, { recursive: true });
    else if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
  } catch (err) {
    if (!create && (err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ConfigError(
        'OPS_DATA_DIR',
        `no embedded database at ${dir}: OPS_DATA_DIR names a folder that does not exist (a task run or "ops migrate" creates it)`,
      );
    }
    throw dataDirProblem(dir, err);
  }
}

export function describeHolder(holder: LockContent | undefined): string {
  return holder ? `pid ${holder.pid} on ${holder.host} since ${holder.started_at}` : 'another process';
}

export async function acquireDataDirLock(dir: string, waitMs: number, signal?: AbortSignal, options: DataDirLockOptions = {}): Promise<DataDirLock> {
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  prepareFolder(dir, options.create !== false);
  const path = join(dir, 'ops.lock');
  const host = hostname();
  const mine: LockContent = { pid: process.pid, host, started_at: new Date().toISOString(), token: randomBytes(8).toString('hex') };
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      if (tryCreate(path, JSON.stringify(mine))) break;
    } catch (err) {
      throw dataDirProblem(dir, err);
    }
    const holder = readLock(path);
    if (isStale(path, holder, staleMs)) {
      takeOver(path, holder, staleMs);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new BusyError(
        `the embedded database in ${dir} is in use by ${describeHolder(holder)}; only one ops process can open it at a time` +
          (!holder || holder.host !== host
            ? ` (taken over once not refreshed for ${Math.round(staleMs / 1000)}s; if that process is gone, delete ${path})`
            : ''),
      );
    }
    await sleep(POLL_MS, signal);
  }
  // Keeps the lock fresh for waiters on other hosts; unref'd, so it never keeps the process alive.
  const refresh = setInterval(
    () => {
      try {
        const now = new Date();
        utimesSync(path, now, now);
      } catch {
        /* gone: release() or a take-over will tell */
      }
    },
    Math.max(250, Math.floor(staleMs / 4)),
  );
  refresh.unref();
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    clearInterval(refresh);
    process.off('exit', release);
    try {
      if (readLock(path)?.token === mine.token) unlinkSync(path);
    } catch {
      /* already gone */
    }
  };
  // Also on process.exit(): a forced exit must not leave a lock behind.
  process.on('exit', release);
  return { path, release };
}
