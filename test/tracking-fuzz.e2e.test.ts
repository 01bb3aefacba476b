/**
 * Hostile input and hard stops, on both databases: 10k fuzzed lines (missing
 * fields, wrong types, huge strings, SQL and HTML metacharacters, invalid
 * UTF-8, \u0000, unpaired surrogates) keep the invariant and every
 * quarantined row has a listed reason and its original; SIGKILL in the middle
 * of a run, then a rerun, gives the same facts as a run never interrupted.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { QUARANTINE_REASONS } from '../src/db/queries/tracking-rules.js';
import { prng } from '../src/sandbox/seed.js';
import { trackingTraffic } from '../src/sandbox/tracking-traffic.js';
import { backends } from './helpers/db.js';
import { baseEnv, startOps, waitForOutput } from './helpers/ops.js';
import { assertInvariant, businessFacts, ingest, processTracking } from './helpers/tracking.js';

const NOW = '2026-11-21T06:00:00Z';
const NASTY = ["'; drop table raw.events; --", '<script>alert(1)</script>', '"quoted" \\ back', 'emoji 🎉 ünïcødé', '%00%27', 'a\u2028b', ''];
const TIMES = [
  '2026-02-30T00:00:00Z',
  '2026-13-01T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '2026-11-20',
  '2026-11-20T10:00:00',
  '2026-11-20T10:00:00.123456+05:30',
  'now',
];

/** count fuzzed lines, each a Buffer (some not UTF-8), reproducible by seed. */
function fuzzLines(count: number, seed: number): Buffer[] {
  const r = prng(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(r() * list.length)];
  const junk = () => pick<unknown>([42, -1.5e308, true, null, [], ['x'], {}, { a: { b: 1 } }, pick(NASTY), 'x'.repeat(3000 + Math.floor(r() * 20_000))]);
  const base = [...trackingTraffic({ customers: 4, sessions: 400, seed, badRate: 0, botRate: 0.05, redeliveryRate: 0.05 })].map((l) => JSON.parse(l));
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const e: Record<string, unknown> = { ...base[i % base.length] };
    if (i >= base.length) e.event_id = `fz_${i}`;
    const roll = r();
    if (roll < 0.5) {
      out.push(Buffer.from(JSON.stringify(e)));
      continue;
    }
    const keys = Object.keys(e);
    const mutations = 1 + Math.floor(r() * 3);
    for (let m = 0; m < mutations; m++) {
      const k = pick(keys);
      const kind = r();
      if (kind < 0.25) delete e[k];
      else if (kind < 0.5) e[k] = junk();
      else if (kind < 0.65) e[k] = pick(NASTY);
      else if (kind < 0.75) e.occurred_at = pick(TIMES);
      else if (kind < 0.8) e[pick(NASTY) || 'extra'] = 1;
      else if (kind < 0.85) e.properties = { value: junk(), note: pick(NASTY) };
      else e[k] = `${String(e[k]).slice(0, 20)}\u0000${pick(['\ud800', '', 'x'])}`;
    }
    let line = Buffer.from(JSON.stringify(e));
    const wire = r();
    if (wire < 0.04) line = Buffer.concat([line.subarray(0, 20), Buffer.from([0xff, 0xfe, 0xc3]), line.subarray(20)]);
    else if (wire < 0.07) line = line.subarray(0, Math.floor(line.length / 2));
    else if (wire < 0.08) line = Buffer.from(JSON.stringify(pick([1, 'text', [e], null])));
    out.push(line);
  }
  return out;
}

for (const backend of backends) {
  describe(`tracking under hostile input on ${backend.name}`, { skip: backend.skip }, () => {
    test('10k fuzzed events: raw = staged + duplicates + quarantined; every quarantined row has a listed reason, a message and its original', async () => {
      const db = await backend.create();
      const env = baseEnv({ ...db.env, OPS_NOW: NOW });
      const lines = fuzzLines(10_000, 7);
      const loaded = await ingest(env, lines);
      assert.equal(loaded.stats.lines, 10_000);
      assert.equal(loaded.stats.accepted + loaded.stats.kept_as_bytes, 10_000);
      assert.ok(loaded.stats.kept_as_bytes > 300, 'invalid UTF-8 and broken JSON were kept as bytes');
      const run = await processTracking(env);
      assert.equal(run.status, 'success');
      const counts = await assertInvariant(db);
      assert.equal(counts.raw, 10_000);
      assert.equal(counts.pending, 0);
      assert.ok(counts.staged > 3000 && counts.quarantined > 2000 && counts.duplicates > 50, JSON.stringify(counts));
      const problems = await db.use(async (k) => {
        const { rows } = await sql<{
          reason: string;
          message: string;
          has_payload: boolean;
          body: Uint8Array | null;
          processor_version: string;
          raw_id: number;
        }>`
          select raw_id, reason, message, payload is not null as has_payload, body, processor_version from staging.quarantine`.execute(k);
        return rows;
      });
      const reasons = new Set(Object.keys(QUARANTINE_REASONS));
      const sent = new Set(lines.map((l) => l.toString('base64')));
      for (const q of problems) {
        assert.ok(reasons.has(q.reason), q.reason);
        assert.ok(q.message.length > 5 && q.processor_version, JSON.stringify(q));
        assert.ok(q.has_payload !== (q.body !== null), `raw ${q.raw_id} keeps its original`);
        if (q.body) assert.ok(sent.has(Buffer.from(q.body).toString('base64')), `raw ${q.raw_id}: the bytes as received`);
      }
      assert.ok(
        ['invalid_encoding', 'not_json', 'missing_field', 'wrong_type', 'too_large', 'invalid_time'].every((r) => problems.some((q) => q.reason === r)),
      );
      // A value full of metacharacters is data, stored as sent.
      const nasty = await db.use(
        async (k) => (await sql<{ n: number }>`select count(*)::int as n from staging.events where session_id = ${NASTY[0]}`.execute(k)).rows[0].n,
      );
      assert.ok(nasty > 0);
    });

    test('SIGKILL in the middle of a run, then a rerun: the same facts as a run never interrupted', async () => {
      const lines = [...trackingTraffic({ customers: 3, sessions: 120, seed: 11, lateRate: 0.2 })];
      const killed = await backend.create();
      const env = baseEnv({ ...killed.env, OPS_NOW: NOW, TRACKING_CHUNK_ROWS: '100', TRACKING_CHUNK_PAUSE_MS: '300' });
      await ingest(env, lines);
      const running = startOps(['process-tracking'], env);
      await waitForOutput(running, /"msg":"progress"/);
      running.child.kill('SIGKILL');
      await running.done;
      const watermark = await killed.use(async (k) =>
        Number((await sql<{ w: number }>`select watermark_id as w from staging.pipeline_state`.execute(k)).rows[0].w),
      );
      assert.ok(watermark > 0 && watermark < lines.length, `killed mid-run (watermark ${watermark} of ${lines.length})`);
      await processTracking({ ...env, TRACKING_CHUNK_PAUSE_MS: '0' });
      await assertInvariant(killed);

      const whole = await backend.create();
      const wholeEnv = baseEnv({ ...whole.env, OPS_NOW: NOW });
      await ingest(wholeEnv, lines);
      await processTracking(wholeEnv);
      assert.deepEqual(await businessFacts(killed), await businessFacts(whole));
    });
  });
}
