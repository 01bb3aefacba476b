/**
 * The real binary against hostile conditions: a location API whose body
 * trickles in must not hold the run, and a DATABASE_URL that does not parse
 * must not be printed with its password. And a run long enough to make more
 * than ten LLM calls on one signal prints no Node warning.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocationSim, type LocationSim } from '../src/sandbox/location-sim.js';
import { backends } from './helpers/db.js';
import { baseEnv, runOps } from './helpers/ops.js';

for (const backend of backends) {
  describe(`a trickling location API on ${backend.name}`, { skip: backend.skip }, () => {
    let sim: LocationSim;
    before(async () => {
      sim = await startLocationSim({ centers: 4 });
    });
    after(async () => {
      await sim.close();
    });

    test('LOCATION_TIMEOUT_SECONDS=2 bounds a center whose body drips: the run ends, that center failed', async () => {
      const slow = sim.centers[1].slug;
      sim.setOptions({ trickleSlugs: [slow], trickleIntervalMs: 1000 });
      const db = await backend.create();
      const env = baseEnv({
        ...db.env,
        LOCATION_SLUG_API_URL: sim.slugApiUrl,
        LOCATION_DATA_API_URL: sim.dataApiUrl,
        LOCATION_TIMEOUT_SECONDS: '2',
        LOCATION_ATTEMPTS: '2',
      });
      const result = await runOps(['sync-centers', '--json'], env, { timeoutMs: 60_000 });
      // Two attempts of 2 s and a short backoff; the trickle alone would take minutes.
      assert.ok(result.ms < 15_000, `took ${result.ms}ms`);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.json.status, 'partial');
      assert.equal(result.json.stats.failed, 1);
      assert.equal(result.json.failures.length, 1);
      assert.equal(result.json.failures[0].item, slow);
      assert.match(result.json.failures[0].reason, /timed out/);
      assert.equal(sim.stats().perSlug[slow], 2, 'the timeout was retried');
    });
  });
}

test('a DATABASE_URL whose password has an unencoded "/" is a config error that does not show the password', async () => {
  const result = await runOps(['status'], baseEnv({ DATABASE_URL: 'postgres://ops:pa/ss@db/x' }));
  assert.equal(result.code, 78, result.stderr);
  assert.match(result.stderr, /DATABASE_URL/);
  assert.ok(!result.stderr.includes('pa/ss') && !result.stdout.includes('pa/ss'), result.stderr);
  assert.ok(!/ss@db/.test(result.stderr), result.stderr);
});

test('ops demo with more than ten centers prints no Node warning (no listener piles up on the run signal)', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'ops-demo-warn-'));
  // runOps fails the test on any "(node:PID) …Warning" line on stderr.
  const result = await runOps(['demo', '--centers', '14'], baseEnv(), { cwd });
  assert.equal(result.code, 0, result.stderr);
  assert.doesNotMatch(result.stderr, /MaxListenersExceededWarning/);
});
