/**
 * The same suite on both databases (as Kysely and pg-boss do it): the embedded
 * one always, Postgres when TEST_DATABASE_URL is set — and in CI it must be.
 * Each test gets a fresh database cloned from a template migrated once by
 * scripts/run-tests.mjs (PGlite: a copied folder; Postgres: CREATE DATABASE …
 * TEMPLATE). A failing test's database is left behind for a look.
 */
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import type { Kysely } from 'kysely';
import { openDatabase, type DatabaseHandle } from '../../src/db/open.js';
import type { Database } from '../../src/db/schema.js';
import { OPS_BIN } from './ops.js';

export type BackendName = 'embedded' | 'postgres';

export interface TestDatabase {
  backend: BackendName;
  /** Variables that point ops at this database. */
  env: Record<string, string>;
  /** Opens it from the test (close before the next ops run on the embedded database). */
  open(): Promise<DatabaseHandle>;
  /** Runs fn on an open handle and closes it. */
  use<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T>;
}

export interface Backend {
  name: BackendName;
  /** Why this backend is skipped here, if it is. */
  skip?: string;
  create(): Promise<TestDatabase>;
}

function embeddedTemplate(): string {
  const given = process.env.OPS_TEST_PGLITE_TEMPLATE;
  if (given && existsSync(given)) return given;
  // Run directly (not through npm test): make a template once per process.
  const dir = mkdtempSync(join(tmpdir(), 'ops-tmpl-'));
  execFileSync(process.execPath, [OPS_BIN, 'migrate'], { env: { ...process.env, DATABASE_URL: '', OPS_DATA_DIR: dir }, stdio: 'ignore' });
  process.env.OPS_TEST_PGLITE_TEMPLATE = dir;
  return dir;
}

function wrap(backend: BackendName, env: Record<string, string>): TestDatabase {
  const open = () => openDatabase({ databaseUrl: env.DATABASE_URL || undefined, dataDir: env.OPS_DATA_DIR ?? '', waitMs: 10_000 });
  return {
    backend,
    env,
    open,
    async use(fn) {
      const handle = await open();
      try {
        return await fn(handle.db);
      } finally {
        await handle.close();
      }
    },
  };
}

const embedded: Backend = {
  name: 'embedded',
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'ops-test-'));
    cpSync(embeddedTemplate(), dir, { recursive: true });
    return wrap('embedded', { DATABASE_URL: '', OPS_DATA_DIR: dir, OPS_OUTPUT_DIR: join(dir, 'output') });
  },
};

function adminUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

const postgres: Backend = {
  name: 'postgres',
  skip: process.env.TEST_DATABASE_URL ? undefined : 'TEST_DATABASE_URL is not set (CI sets it)',
  async create() {
    const base = process.env.TEST_DATABASE_URL!;
    const template = process.env.OPS_TEST_PG_TEMPLATE;
    // The pid of the npm test run: a later run drops it only once this one is over.
    const name = `ops_t_${process.env.OPS_TEST_RUN_PID ?? process.pid}_${randomBytes(5).toString('hex')}`;
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    try {
      await client.query(`create database ${name}${template ? ` template ${template}` : ''}`);
    } finally {
      await client.end();
    }
    const dir = mkdtempSync(join(tmpdir(), 'ops-test-pg-'));
    return wrap('postgres', { DATABASE_URL: adminUrl(base, name), OPS_DATA_DIR: dir, OPS_OUTPUT_DIR: join(dir, 'output') });
  },
};

export const backends: Backend[] = [embedded, postgres];
