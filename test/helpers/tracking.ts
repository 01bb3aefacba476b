/** Shared by the tracking tests: NDJSON files, the invariant, and the business facts as comparable rows. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { TestDatabase } from './db.js';
import { runOps } from './ops.js';

export function ndjson(lines: Array<string | Buffer | Record<string, unknown>>): string {
  const path = join(mkdtempSync(join(tmpdir(), 'ops-trk-')), 'events.ndjson');
  const parts = lines.map((l) => (Buffer.isBuffer(l) ? l : Buffer.from(typeof l === 'string' ? l : JSON.stringify(l))));
  writeFileSync(path, Buffer.concat(parts.flatMap((p) => [p, Buffer.from('\n')])));
  return path;
}

export async function ingest(env: NodeJS.ProcessEnv, lines: Array<string | Buffer | Record<string, unknown>>) {
  const result = await runOps(['track', 'ingest', ndjson(lines), '--json'], env);
  assert.equal(result.code, 0, result.stderr);
  return result.json;
}

export async function processTracking(env: NodeJS.ProcessEnv, args: string[] = []) {
  const result = await runOps(['process-tracking', ...args, '--json'], env);
  assert.equal(result.code, 0, result.stderr);
  return result.json;
}

/** raw = staged + duplicates + quarantined + pending, with every raw row in at most one outcome, counted independently. */
export async function assertInvariant(db: TestDatabase): Promise<Record<string, number>> {
  const counts = await db.use(async (k) => {
    const { rows } = await sql<Record<string, number>>`
      select (select count(*) from raw.events)::int as raw,
        (select count(*) from staging.events)::int as staged,
        (select count(*) from staging.duplicates)::int as duplicates,
        (select count(*) from staging.quarantine where recovered_at is null)::int as quarantined,
        (select count(*) from raw.events r where not exists (select 1 from staging.events s where s.raw_id = r.id)
          and not exists (select 1 from staging.duplicates d where d.raw_id = r.id)
          and not exists (select 1 from staging.quarantine q where q.raw_id = r.id and q.recovered_at is null))::int as pending,
        (select count(*) from raw.events r where
          (select count(*) from staging.events s where s.raw_id = r.id) + (select count(*) from staging.duplicates d where d.raw_id = r.id)
          + (select count(*) from staging.quarantine q where q.raw_id = r.id and q.recovered_at is null) > 1)::int as twice`.execute(k);
    return rows[0];
  });
  assert.equal(counts.twice, 0, 'a raw row has more than one outcome');
  assert.equal(counts.raw, counts.staged + counts.duplicates + counts.quarantined + counts.pending, JSON.stringify(counts));
  return counts;
}

/** Every business fact, in a stable order, as plain values. */
export async function businessFacts(db: TestDatabase) {
  return db.use(async (k) => {
    const rows = async (q: ReturnType<typeof sql>) => JSON.parse(JSON.stringify((await q.execute(k)).rows));
    return {
      sessions: await rows(sql`select * from business.sessions order by customer_id, visitor_key, session_start`),
      pages: await rows(sql`select customer_id, day::text, page, page_views, unique_sessions from business.daily_pages order by customer_id, day, page`),
      conversions: await rows(
        sql`select customer_id, day::text, event_type, conversions, value::float8 as value from business.daily_conversions order by customer_id, day, event_type`,
      ),
    };
  });
}
