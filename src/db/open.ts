/**
 * Opens storage: Kysely over `pg` when DATABASE_URL is set, over the embedded
 * PGlite under OPS_DATA_DIR when it is not. Same migrations and queries on
 * both. Each backend brings the lock that fits it: a session advisory lock on
 * a dedicated connection (Postgres frees it when the process dies), or, on the
 * embedded database, the folder lock that already keeps every other process out.
 */
import { existsSync } from 'node:fs';
import type { EventEmitter } from 'node:events';
import { join, resolve } from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import { ConfigError, OpsError } from '../core/errors.js';
import { sleep } from '../core/clock.js';
import { redact } from '../core/redact.js';
import { connectionError } from './connection-error.js';
import { withCopy } from './copy.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import { markDatabaseKind } from './kind.js';
import { PGliteDialect } from './pglite-dialect.js';
import type { Database } from './schema.js';

export type Release = () => Promise<void>;

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: 'postgres' | 'embedded';
  /** Where the data lives, safe to print. */
  location: string;
  /**
   * Takes a named lock, waiting up to waitMs; null when another run keeps it.
   * `onLost` is called if the lock goes away while held (its connection died).
   */
  acquireLock(key: string, waitMs: number, signal?: AbortSignal, onLost?: (reason: string) => void): Promise<Release | null>;
  /** Whether some process holds the named lock now; only looks (never takes it, so it cannot make a starting run skip). */
  lockHeld(key: string): Promise<boolean>;
  /** Aborts (with an OpsError saying why) when a connection in use by a query is lost; Postgres only. */
  connectionLost?: AbortSignal;
  /** Runs fn on a connection of its own, opened for it and closed after (Postgres): the pool may still hold dead ones. */
  withFreshConnection?<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenOptions {
  databaseUrl?: string;
  dataDir: string;
  /** How long to wait for the embedded database's folder lock. */
  waitMs: number;
  signal?: AbortSignal;
  /** Longest a single statement may run (Postgres). */
  statementTimeoutMs?: number;
  /** When the embedded database's lock, unreadable or of another host, is taken over. */
  staleMs?: number;
  /** false: an embedded database that does not exist yet is a ConfigError, never created (read-only commands). */
  create?: boolean;
}

// Our advisory locks live under one class id, so they never collide with an application's.
const LOCK_NAMESPACE = 0x6f7073; // "ops"
const LOCK_POLL_MS = 200;
const CLOSE_WAIT_MS = 5_000;
// SQLSTATEs of a server ending the session: admin_shutdown, crash_shutdown, cannot_connect_now, connection exceptions.
const SERVER_ENDED_CONNECTION = /^(57P0[1-3]|08\d\d\d)$/;

export async function openDatabase(options: OpenOptions): Promise<DatabaseHandle> {
  const handle = options.databaseUrl ? await openPostgres(options.databaseUrl, options) : await openEmbedded(options);
  // So that queries given only db (or a transaction of it) know what it runs on (commitsMayDeferFlush, COPY).
  markDatabaseKind(handle.db, handle.kind);
  return handle;
}

async function openPostgres(url: string, options: OpenOptions): Promise<DatabaseHandle> {
  const { default: pg } = await import('pg');
  const copyFrom = async () => (await import('pg-copy-streams')).from;
  // int8 and numeric as numbers, as on the embedded database (our values fit).
  const types = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === 20 || oid === 1700) return (value: string) => (value === null ? null : Number(value));
      return pg.types.getTypeParser(oid, format);
    },
  };
  const statementTimeout = options.statementTimeoutMs ?? 60_000;
  const config = {
    connectionString: url,
    types,
    statement_timeout: statementTimeout,
    lock_timeout: 10_000,
    application_name: 'ops',
    connectionTimeoutMillis: 10_000,
  };
  const pool = new pg.Pool({ ...config, max: 10 });
  pool.on('error', () => {}); // an idle client's error surfaces on its next query
  // pg-pool listens for errors only on idle clients: a client checked out by a
  // query (or a transaction) whose connection dies would emit an unhandled
  // 'error' and crash the process. Every client gets a listener for its whole
  // life; losing one that is in use means the run lost its database connection.
  const connectionLost = new AbortController();
  const inUse = new Set<object>();
  let closing = false;
  pool.on('acquire', (client) => inUse.add(client));
  pool.on('release', (_err: unknown, client: object) => inUse.delete(client));
  const lose = (client: object, err: { message: string }) => {
    if (closing || !inUse.has(client) || connectionLost.signal.aborted) return;
    connectionLost.abort(new OpsError(`lost the database connection (${redact(err.message)})`));
  };
  pool.on('connect', (client) => {
    withCopy(client, copyFrom);
    client.on('error', (err) => lose(client, err));
    // The server's "terminating connection" reaches the running query first and
    // the socket's end only later: say the connection is lost before that query's
    // rejection reaches the runner.
    (client as unknown as { connection: EventEmitter }).connection.on('errorMessage', (msg: { code?: string; message: string }) => {
      if (msg.code && SERVER_ENDED_CONNECTION.test(msg.code)) lose(client, msg);
    });
  });
  try {
    await pool.query('select 1');
  } catch (err) {
    await pool.end().catch(() => {});
    throw connectionError(url, err);
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });

  async function acquireLock(key: string, waitMs: number, signal?: AbortSignal, onLost?: (reason: string) => void): Promise<Release | null> {
    // A dedicated connection: the lock lives exactly as long as it does.
    const client = new pg.Client({ ...config, statement_timeout: 0 });
    let releasing = false;
    let held = false;
    const lost = (reason: string) => {
      if (held && !releasing) onLost?.(reason);
      held = false;
    };
    client.on('error', (err) => lost(`the lock's connection failed: ${redact(err.message)}`));
    client.on('end', () => lost("the lock's connection closed"));
    await client.connect();
    const deadline = Date.now() + waitMs;
    try {
      for (;;) {
        const { rows } = await client.query('select pg_try_advisory_lock($1::int, hashtext($2)) as ok', [LOCK_NAMESPACE, key]);
        if (rows[0].ok) {
          held = true;
          break;
        }
        if (Date.now() >= deadline) {
          releasing = true;
          await client.end();
          return null;
        }
        await sleep(LOCK_POLL_MS, signal);
      }
    } catch (err) {
      releasing = true;
      await client.end().catch(() => {});
      throw err;
    }
    return async () => {
      releasing = true;
      await client.query('select pg_advisory_unlock($1::int, hashtext($2))', [LOCK_NAMESPACE, key]).catch(() => {});
      await client.end().catch(() => {});
    };
  }

  // An advisory lock taken with two int4 keys shows in pg_locks as classid / objid (the int4 read as an oid);
  // pg_locks lists every database of the server, advisory locks belong to one.
  async function lockHeld(key: string): Promise<boolean> {
    const { rows } = await pool.query(
      `select exists (select 1 from pg_locks where locktype = 'advisory' and granted and objsubid = 2
         and database = (select oid from pg_database where datname = current_database())
         and classid = $1::int::oid and objid = hashtext($2)::oid) as held`,
      [LOCK_NAMESPACE, key],
    );
    return Boolean(rows[0]?.held);
  }

  return {
    db,
    kind: 'postgres',
    location: redact(url),
    acquireLock,
    lockHeld,
    connectionLost: connectionLost.signal,
    async withFreshConnection(fn) {
      const freshPool = new pg.Pool({ ...config, max: 1 });
      freshPool.on('error', () => {});
      freshPool.on('connect', (client) => client.on('error', () => {})); // its failure reaches fn's query
      const fresh = new Kysely<Database>({ dialect: new PostgresDialect({ pool: freshPool }) });
      try {
        return await fn(fresh);
      } finally {
        await fresh.destroy().catch(() => {});
      }
    },
    close: async () => {
      closing = true;
      // pool.end() waits for every checked-out client: a query abandoned past a deadline must not keep the process alive.
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS).unref()));
      await Promise.race([db.destroy(), gaveUp]).finally(() => clearTimeout(timer));
    },
  };
}

async function openEmbedded(options: OpenOptions): Promise<DatabaseHandle> {
  const dir = resolve(options.dataDir);
  // Before opening: a second process on the same folder would lose committed rows.
  const folderLock = await acquireDataDirLock(dir, options.waitMs, options.signal, { staleMs: options.staleMs, create: options.create });
  if (options.create === false && !existsSync(join(dir, 'pglite'))) {
    folderLock.release();
    throw new ConfigError('OPS_DATA_DIR', `no embedded database at ${dir}: OPS_DATA_DIR names a folder without one (a task run or "ops migrate" creates it)`);
  }
  let db: Kysely<Database>;
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const pglite = await PGlite.create(join(dir, 'pglite'));
    db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  } catch (err) {
    folderLock.release();
    throw new OpsError(`cannot open the embedded database in ${dir}: ${(err as Error).message}`);
  }
  // The folder lock already excludes other processes; within this one, runs are
  // kept apart by name.
  const held = new Set<string>();
  async function acquireLock(key: string, waitMs: number, signal?: AbortSignal): Promise<Release | null> {
    const deadline = Date.now() + waitMs;
    while (held.has(key)) {
      if (Date.now() >= deadline) return null;
      await sleep(LOCK_POLL_MS, signal);
    }
    held.add(key);
    return async () => void held.delete(key);
  }
  return {
    db,
    kind: 'embedded',
    location: dir,
    acquireLock,
    // This process holds the folder: no other process can be running a task on it.
    lockHeld: async (key) => held.has(key),
    close: async () => {
      try {
        await db.destroy();
      } finally {
        folderLock.release();
      }
    },
  };
}
