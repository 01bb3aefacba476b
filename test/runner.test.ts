/** The runner around a task, on an in-memory store: statuses, failures, locks, stale rows, signals. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prepare, runTask } from '../src/core/runner.js';
import type { RunEnd, RunStart, RunStore } from '../src/core/run-record.js';
import { defineTask } from '../src/core/task.js';
import { settings } from '../src/core/config.js';
import { ConfigError, OpsError, throwIfAborted } from '../src/core/errors.js';
import { Output } from '../src/core/output.js';
import { sleep } from '../src/core/clock.js';
import type { SignalScope } from '../src/core/signals.js';

class MemoryStore implements RunStore<null> {
  db = null;
  kind = 'embedded' as const;
  rows = new Map<string, RunStart & Partial<Omit<RunEnd, 'status'>> & { status: string }>();
  locks = new Set<string>();
  async migrateToLatest() {
    return [];
  }
  async pendingMigrations() {
    return [];
  }
  async acquireLock(key: string) {
    if (this.locks.has(key)) return null;
    this.locks.add(key);
    return async () => void this.locks.delete(key);
  }
  async markStaleRuns(lockKey: string, foundBy: string, now: Date) {
    let n = 0;
    for (const row of this.rows.values()) {
      if (row.lockKey === lockKey && row.status === 'running') {
        Object.assign(row, { status: 'interrupted', finishedAt: now, error: `found by ${foundBy}` });
        n++;
      }
    }
    return n;
  }
  async runningHolder(lockKey: string) {
    const row = [...this.rows.values()].find((r) => r.lockKey === lockKey && r.status === 'running');
    return row && { runId: row.runId, host: row.host, pid: row.pid, startedAt: row.startedAt };
  }
  async startRun(run: RunStart) {
    this.rows.set(run.runId, { ...run, status: 'running' });
  }
  async finishRun(run: RunEnd) {
    Object.assign(this.rows.get(run.runId)!, run);
  }
  async recordFinishedRun(run: RunStart & RunEnd) {
    this.rows.set(run.runId, { ...run });
  }
  async close() {}
}

function scope(): SignalScope & { fire(sig: NodeJS.Signals): void } {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  return {
    signal: controller.signal,
    received: () => received,
    exitCode: () => (received === 'SIGINT' ? 130 : 143),
    dispose() {},
    fire(sig) {
      received = sig;
      controller.abort(sig);
    },
  };
}

const output = new Output({ quiet: true, interactive: false });
const deps = (store: MemoryStore, s = scope()) => ({ output, scope: s, clock: () => new Date(), store: async () => store });
const noSettings = {};

test('success, partial and failed map to task_logs statuses and exit codes', async () => {
  const store = new MemoryStore();
  const ok = defineTask({ name: 'ok', summary: '', settings: noSettings, run: async () => ({ items: 3 }) });
  const partial = defineTask({
    name: 'partial',
    summary: '',
    settings: noSettings,
    run: async (ctx) => {
      ctx.failItem('item-2', 'upstream said 503 three times');
      return { items: 3, failed: ctx.failureCount };
    },
  });
  const failed = defineTask({
    name: 'failed',
    summary: '',
    settings: noSettings,
    run: async () => {
      throw new OpsError('the slug list is down');
    },
  });
  const bug = defineTask({
    name: 'bug',
    summary: '',
    settings: noSettings,
    run: async () => {
      throw new TypeError('x is undefined');
    },
  });
  const a = await runTask(ok, {}, prepare(ok, {}), deps(store));
  assert.equal(a.status, 'success');
  assert.equal(a.exit_code, 0);
  assert.deepEqual(a.stats, { items: 3 });
  assert.equal(store.rows.get(a.run_id)!.status, 'success');

  const b = await runTask(partial, {}, prepare(partial, {}), deps(store));
  assert.equal(b.status, 'partial');
  assert.equal(b.exit_code, 2);
  assert.deepEqual(b.failures, [{ item: 'item-2', reason: 'upstream said 503 three times' }]);
  assert.equal(store.rows.get(b.run_id)!.failureCount, 1);

  const c = await runTask(failed, {}, prepare(failed, {}), deps(store));
  assert.equal(c.status, 'failed');
  assert.equal(c.exit_code, 1);
  assert.equal(c.error, 'the slug list is down');

  const d = await runTask(bug, {}, prepare(bug, {}), deps(store));
  assert.equal(d.status, 'failed');
  assert.match(d.error!, /internal error: x is undefined .*report it with run id/);
});

test('settings are validated before any work', () => {
  const task = defineTask({ name: 'needs', summary: '', settings: { url: settings.url('NEEDED_URL', 'x', { required: true }) }, run: async () => ({}) });
  assert.throws(
    () => prepare(task, {}),
    (e: unknown) => e instanceof ConfigError && e.variable === 'NEEDED_URL',
  );
  assert.throws(
    () => prepare(task, { OPS_LOCK_WAIT_SECONDS: 'soon' }),
    (e: unknown) => e instanceof ConfigError && e.variable === 'OPS_LOCK_WAIT_SECONDS',
  );
});

test('a held lock records the run as skipped with exit 0 and says who holds it', async () => {
  const store = new MemoryStore();
  let release!: () => void;
  const slow = defineTask({ name: 'slow', summary: '', settings: noSettings, run: () => new Promise((r) => (release = () => r({}))) });
  const first = runTask(slow, {}, prepare(slow, {}), deps(store));
  await sleep(20);
  const second = await runTask(slow, {}, prepare(slow, {}), deps(store));
  assert.equal(second.status, 'skipped');
  assert.equal(second.exit_code, 0);
  assert.match(second.error!, /another run holds the lock "slow": \S+ on .* pid \d+/);
  release();
  assert.equal((await first).status, 'success');
});

test('rows left running by a dead process are marked interrupted by the next run', async () => {
  const store = new MemoryStore();
  await store.startRun({ runId: 'dead-1', task: 't', lockKey: 't', startedAt: new Date(), host: 'h', pid: 999999, args: {} });
  const task = defineTask({ name: 't', summary: '', settings: noSettings, run: async () => ({}) });
  const summary = await runTask(task, {}, prepare(task, {}), deps(store));
  assert.equal(store.rows.get('dead-1')!.status, 'interrupted');
  assert.match(store.rows.get('dead-1')!.error!, new RegExp(`found by ${summary.run_id}`));
});

test('a signal aborts the task and the run is recorded interrupted with 143 / 130', async () => {
  for (const [sig, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    const store = new MemoryStore();
    const s = scope();
    const task = defineTask({
      name: 'loop',
      summary: '',
      settings: noSettings,
      run: async (ctx) => {
        for (;;) {
          throwIfAborted(ctx.signal);
          await sleep(10, ctx.signal).catch(() => {});
        }
      },
    });
    setTimeout(() => s.fire(sig), 50);
    const summary = await runTask(task, {}, prepare(task, {}), deps(store, s));
    assert.equal(summary.status, 'interrupted');
    assert.equal(summary.exit_code, code);
    assert.equal(store.rows.get(summary.run_id)!.status, 'interrupted');
  }
});

test('failures are capped on the row but counted exactly', async () => {
  const store = new MemoryStore();
  const task = defineTask({
    name: 'many',
    summary: '',
    settings: noSettings,
    run: async (ctx) => {
      for (let i = 0; i < 250; i++) ctx.failItem(`item-${i}`, 'bad');
      return { failed: ctx.failureCount };
    },
  });
  const summary = await runTask(task, {}, prepare(task, {}), deps(store));
  assert.equal(summary.failure_count, 250);
  assert.equal(summary.failures.length, 200);
});

test('a returned success never hides a failed item: the run is partial', async () => {
  const store = new MemoryStore();
  const task = defineTask({
    name: 'claims-success',
    summary: '',
    settings: noSettings,
    run: async (ctx) => {
      ctx.failItem('no-such-item', 'no active item with this name');
      return { stats: { items: 1 }, status: 'success' as const };
    },
  });
  const summary = await runTask(task, {}, prepare(task, {}), deps(store));
  assert.equal(summary.status, 'partial');
  assert.equal(summary.exit_code, 2);
  assert.equal(store.rows.get(summary.run_id)!.status, 'partial');
  // A worse returned status still wins over the one the failures imply.
  const worse = defineTask({
    name: 'claims-failed',
    summary: '',
    settings: noSettings,
    run: async (ctx) => {
      ctx.failItem('a', 'bad');
      return { stats: {}, status: 'failed' as const, error: 'every item failed' };
    },
  });
  const failed = await runTask(worse, {}, prepare(worse, {}), deps(store));
  assert.equal(failed.status, 'failed');
  assert.equal(failed.exit_code, 1);
});

test("finishRun failing: the outcome goes to the store's pending path and the summary stays true", async () => {
  const kept: Array<RunStart & RunEnd> = [];
  class RefusingStore extends MemoryStore {
    override async finishRun(): Promise<void> {
      throw new Error('connection terminated');
    }
    async keepPendingRun(run: RunStart & RunEnd) {
      kept.push(run);
    }
  }
  const store = new RefusingStore();
  const task = defineTask({
    name: 'half',
    summary: '',
    settings: noSettings,
    run: async (ctx) => {
      ctx.failItem('x', 'bad');
      return { items: 2 };
    },
  });
  const summary = await runTask(task, {}, prepare(task, {}), deps(store));
  assert.equal(summary.status, 'partial');
  assert.equal(summary.exit_code, 2);
  assert.equal(kept.length, 1);
  assert.equal(kept[0].runId, summary.run_id);
  assert.equal(kept[0].status, 'partial');
  assert.equal(kept[0].task, 'half');
  assert.equal(kept[0].failureCount, 1);
});

test('past its deadline the run stops and is recorded failed with the reason, exit 1', async () => {
  const store = new MemoryStore();
  const task = defineTask({
    name: 'slow-task',
    summary: '',
    settings: noSettings,
    run: async (ctx) => {
      for (;;) {
        throwIfAborted(ctx.signal);
        await sleep(20, ctx.signal).catch(() => {});
      }
    },
  });
  const started = Date.now();
  const summary = await runTask(task, {}, prepare(task, { SLOW_TASK_DEADLINE_SECONDS: '1' }), deps(store));
  assert.ok(Date.now() - started >= 1000, 'not before the deadline');
  assert.equal(summary.status, 'failed');
  assert.equal(summary.exit_code, 1);
  assert.match(summary.error!, /passed its deadline of 1 s/);
  assert.equal(store.rows.get(summary.run_id)!.status, 'failed');
});

test('a task that ignores the deadline is abandoned after a short grace: recorded failed, the runner returns', async () => {
  const store = new MemoryStore();
  const task = defineTask({ name: 'deaf', summary: '', settings: noSettings, run: () => new Promise<never>(() => {}) });
  const summary = await runTask(task, {}, prepare(task, { DEAF_DEADLINE_SECONDS: '1' }), { ...deps(store), deadlineGraceMs: 300 });
  assert.equal(summary.status, 'failed');
  assert.match(summary.error!, /passed its deadline of 1 s.*did not stop/);
  assert.equal(store.rows.get(summary.run_id)!.status, 'failed');
  assert.equal(store.locks.size, 0, 'the lock is released');
});

test('the deadline setting: a default each task declares, 1 h otherwise, validated (ConfigError naming it)', () => {
  const declared = defineTask({ name: 'sync-things', summary: '', settings: noSettings, deadlineSeconds: 1800, run: async () => ({}) });
  const silent = defineTask({ name: 'quiet', summary: '', settings: noSettings, run: async () => ({}) });
  assert.equal(prepare(declared, {}).deadlineSeconds, 1800);
  assert.equal(prepare(silent, {}).deadlineSeconds, 3600);
  assert.equal(prepare(declared, { SYNC_THINGS_DEADLINE_SECONDS: '90' }).deadlineSeconds, 90);
  for (const garbage of ['soon', '0', '-5', '1e9']) {
    assert.throws(
      () => prepare(declared, { SYNC_THINGS_DEADLINE_SECONDS: garbage }),
      (e: unknown) => e instanceof ConfigError && e.variable === 'SYNC_THINGS_DEADLINE_SECONDS',
      garbage,
    );
  }
});

test('lock slots: runs take the first free slot, as many at once as there are slots; one more is skipped', async () => {
  const store = new MemoryStore();
  const releases: Array<() => void> = [];
  const shared = defineTask({
    name: 'shared',
    summary: '',
    settings: noSettings,
    lockKey: () => ['shared#1', 'shared#2'],
    run: () => new Promise((r) => releases.push(() => r({}))),
  });
  const first = runTask(shared, {}, prepare(shared, {}), deps(store));
  const second = runTask(shared, {}, prepare(shared, {}), deps(store));
  await sleep(20);
  assert.deepEqual([...store.locks].sort(), ['shared#1', 'shared#2']);
  const third = await runTask(shared, {}, prepare(shared, {}), deps(store));
  assert.equal(third.status, 'skipped');
  assert.match(third.error!, /another run holds the lock "shared#1"/);
  for (const release of releases) release();
  assert.deepEqual([(await first).status, (await second).status], ['success', 'success']);
  const keys = [...store.rows.values()].filter((r) => r.status === 'success').map((r) => r.lockKey);
  assert.deepEqual(keys.sort(), ['shared#1', 'shared#2'], 'each run row names the slot it held');
});
