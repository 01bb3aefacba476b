/** daily-tasks end to end on both databases: steps linked to the parent, a failing step does not stop the next, missing settings skip a step, a rerun does no duplicate work. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { backends, type TestDatabase } from './helpers/db.js';
import { baseEnv, runOps } from './helpers/ops.js';

async function withSandbox(fn: (sandbox: Sandbox) => Promise<void>): Promise<void> {
  const sandbox = await startSandbox({ centers: 1, catalogue: { pages: 30, scrapingbee: { brokenPages: false } } });
  try {
    await fn(sandbox);
  } finally {
    await sandbox.close();
  }
}

const stepsOf = (db: TestDatabase, parent: string) =>
  db.use((k) => k.selectFrom('task_logs').select(['task', 'status', 'error']).where('parent_run_id', '=', parent).orderBy('started_at').execute());

for (const backend of backends) {
  describe(`daily-tasks on ${backend.name}`, { skip: backend.skip }, () => {
    test('four steps, each its own task_logs row linked to the parent; a rerun fetches no page and makes no LLM call', () =>
      withSandbox(async (sandbox) => {
        const db = await backend.create();
        const env = baseEnv({ ...sandbox.env, ...db.env });
        const first = await runOps(['daily-tasks', '--auto-update', '--json'], env);
        assert.equal(first.code, 0, first.stderr);
        assert.equal(first.json.status, 'success');
        const steps = await stepsOf(db, first.json.run_id);
        assert.deepEqual(
          steps.map((s) => `${s.task}:${s.status}`),
          ['airtable-sync:success', 'crawler-check:success', 'zero-sessions:success', 'catalogue:success'],
        );
        const llm = sandbox.llm.stats().requests;
        assert.ok(llm > 0);
        sandbox.catalogue.scrapingbee.resetStats();
        sandbox.catalogue.airtable.resetStats();
        const second = await runOps(['daily-tasks', '--auto-update', '--json'], env);
        assert.equal(second.code, 0, second.stderr);
        assert.equal(sandbox.llm.stats().requests, llm, 'no LLM call for what is catalogued');
        assert.equal(sandbox.catalogue.scrapingbee.stats().requests, 0, 'no page fetched again');
        assert.equal(sandbox.catalogue.airtable.stats().patchRequests, 0, 'nothing paused twice');
      }));

    test('a step that fails is recorded and the next still runs: the parent is partial (exit 2)', () =>
      withSandbox(async (sandbox) => {
        const db = await backend.create();
        sandbox.catalogue.crawler.setOptions({ graphqlError: 'the crawler index is rebuilding' });
        const result = await runOps(['daily-tasks', '--auto-update', '--json'], baseEnv({ ...sandbox.env, ...db.env }));
        assert.equal(result.code, 2, result.stderr);
        assert.equal(result.json.status, 'partial');
        const steps = await stepsOf(db, result.json.run_id);
        assert.deepEqual(
          steps.map((s) => `${s.task}:${s.status}`),
          ['airtable-sync:success', 'crawler-check:failed', 'zero-sessions:success', 'catalogue:success'],
        );
        assert.match(steps[1].error ?? '', /the crawler index is rebuilding/);
        assert.match(result.json.failures[0].reason, /the crawler index is rebuilding/);
      }));

    test('a step whose settings are missing is reported and skipped; the others run; a malformed one stops all (78)', () =>
      withSandbox(async (sandbox) => {
        const db = await backend.create();
        const env = baseEnv({ ...sandbox.env, ...db.env, SCRAPINGBEE_API_KEY: '' });
        const result = await runOps(['daily-tasks', '--json'], env);
        assert.equal(result.code, 2, result.stderr);
        const steps = await stepsOf(db, result.json.run_id);
        assert.deepEqual(
          steps.map((s) => `${s.task}:${s.status}`),
          ['airtable-sync:success', 'crawler-check:success', 'zero-sessions:success', 'catalogue:skipped'],
        );
        assert.match(steps[3].error ?? '', /not configured, skipped: SCRAPINGBEE_API_KEY is not set/);
        // No terminal and no --auto-update: zero-sessions changed nothing in Airtable.
        assert.equal(sandbox.catalogue.airtable.stats().patchRequests, 0);
        const bad = await runOps(['daily-tasks'], { ...env, CRAWLER_PAGE_SIZE: 'lots' });
        assert.equal(bad.code, 78);
        assert.equal(bad.logs.find((l) => l.level === 'error')?.variable, 'CRAWLER_PAGE_SIZE');
      }));
  });
}
