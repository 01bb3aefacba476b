/** The runner's steps (ctx.runStep): a run of its own per step, linked to the parent; missing settings skip a step, malformed ones stop all. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prepare, runTask } from '../src/core/runner.js';
import type { RunEnd, RunStart, RunStore } from '../src/core/run-record.js';
import { defineTask, type TaskDefinition } from '../src/core/task.js';
import { settings } from '../src/core/config.js';
import { ConfigError, OpsError } from '../src/core/errors.js';
import { Output } from '../src/core/output.js';
import type { SignalScope } from '../src/core/signals.js';

type Row = RunStart & Partial<Omit<RunEnd, 'status'>> & { status: string };

function memoryStore(): RunStore<null> & { rows: Map<string, Row>; staleCalls: string[] } {
  const rows = new Map<string, Row>();
  const locks = new Set<string>();
  const staleCalls: string[] = [];
  return {
    db: null,
    kind: 'embedded',
    rows,
    staleCalls,
    migrateToLatest: async () => [],
    pendingMigrations: async () => [],
    async acquireLock(key) {
      if (locks.has(key)) return null;
      locks.add(key);
      return async () => void locks.delete(key);
    },
    async markStaleRuns(lockKey) {
      staleCalls.push(lockKey);
      return 0;
    },
    runningHolder: async () => undefined,
    async startRun(run) {
      rows.set(run.runId, { ...run, status: 'running' });
    },
    async finishRun(run) {
      Object.assign(rows.get(run.runId)!, run);
    },
    async recordFinishedRun(run) {
      rows.set(run.runId, { ...run });
    },
    close: async () => {},
  };
}

const scope: SignalScope = { signal: new AbortController().signal, received: () => undefined, exitCode: () => 143, dispose() {} };
const output = new Output({ quiet: true, interactive: false });

const step = (name: string, run: TaskDefinition['run'], extra: Partial<TaskDefinition> = {}) => defineTask({ name, summary: '', settings: {}, run, ...extra });
const throws = step('throws', async () => {
  throw new OpsError('upstream down');
});
const works = step('works', async () => ({ done: 1 }));
const needsKey = step('needs-key', async () => ({}), { settings: { key: settings.secret('STEP_KEY', 'a key', { required: true }) } });

function parentOf(steps: TaskDefinition[]) {
  return defineTask({
    name: 'parent',
    summary: '',
    settings: {},
    steps,
    async run(ctx) {
      const results = [];
      for (const s of steps) results.push(await ctx.runStep(s, {}));
      const failed = results.filter((r) => r.status !== 'success');
      for (const f of failed) ctx.failItem(f.task, f.error ?? f.status);
      return { stats: { steps: results.map((r) => `${r.task}:${r.status}`) }, status: failed.length === results.length ? ('failed' as const) : undefined };
    },
  });
}

test('each step is a run of its own linked to the parent; a step that throws does not stop the next; the parent is partial', async () => {
  const store = memoryStore();
  const parent = parentOf([throws, works]);
  const env = {};
  const summary = await runTask(parent, {}, prepare(parent, env), { output, scope, clock: () => new Date(), store: async () => store, env });
  assert.equal(summary.status, 'partial');
  assert.equal(summary.exit_code, 2);
  assert.deepEqual(summary.stats.steps, ['throws:failed', 'works:success']);
  const rows = [...store.rows.values()];
  const parentRow = rows.find((r) => r.task === 'parent')!;
  assert.equal(parentRow.parentRunId, undefined);
  for (const name of ['throws', 'works']) assert.equal(rows.find((r) => r.task === name)?.parentRunId, parentRow.runId, name);
  assert.equal(rows.find((r) => r.task === 'throws')?.error, 'upstream down');
  // On the embedded database only the parent looks for stale rows: a step would take its parent's running row for a dead one.
  assert.deepEqual(store.staleCalls, ['parent']);
});

test('a step whose setting is missing is recorded skipped with the reason; the others run', async () => {
  const store = memoryStore();
  const parent = parentOf([needsKey, works]);
  const env = {};
  const summary = await runTask(parent, {}, prepare(parent, env), { output, scope, clock: () => new Date(), store: async () => store, env });
  assert.equal(summary.status, 'partial');
  const skipped = [...store.rows.values()].find((r) => r.task === 'needs-key')!;
  assert.equal(skipped.status, 'skipped');
  assert.match(skipped.error ?? '', /not configured, skipped: STEP_KEY is not set/);
  assert.equal(skipped.parentRunId, summary.run_id);
  assert.equal([...store.rows.values()].find((r) => r.task === 'works')?.status, 'success');
});

test('every step failing fails the parent; a malformed step setting stops everything before any work', async () => {
  const store = memoryStore();
  const parent = parentOf([throws]);
  const summary = await runTask(parent, {}, prepare(parent, {}), { output, scope, clock: () => new Date(), store: async () => store, env: {} });
  assert.equal(summary.status, 'failed');
  const strict = parentOf([step('strict', async () => ({}), { settings: { n: settings.int('STEP_N', 'a number', { min: 1, max: 5 }) } })]);
  assert.throws(
    () => prepare(strict, { STEP_N: 'many' }),
    (err: unknown) => err instanceof ConfigError && err.variable === 'STEP_N',
  );
  assert.doesNotThrow(() => prepare(strict, {}));
});
