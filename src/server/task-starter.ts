/**
 * Starts a task run on request (POST /api/v1/tasks/:name/run,
 * /api/v1/track/process) and answers once the run holds its lock: its run id,
 * or the lock's holder when the runner skipped it. The run then goes on alone.
 * Postgres: the run is its own `ops <name>` process (its own lock, task_logs row
 * and process group: a server stop or crash leaves it running). Embedded: this
 * server holds the database, so the run goes through the runner inside it, one
 * triggered run at a time.
 */
import { spawn } from 'node:child_process';
import { clockStartingAt } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Output } from '../core/output.js';
import { prepare, runTask } from '../core/runner.js';
import type { RunStore } from '../core/run-record.js';
import type { SignalScope } from '../core/signals.js';
import type { TaskDefinition } from '../core/task.js';
import { parseTaskFlags } from '../core/task-flags.js';
import { allTasks, taskLoaders } from '../tasks/registry.js';

/** A run that started, or why it did not: another run holds its lock. */
export type Started = { runId: string; task: string } | { holder: string };
export type StartTask = (name: string) => Promise<Started>;

/** The run could not start at all (a bad setting, a task that needs arguments): a person must fix something. */
export class StartFailed extends Error {}

/**
 * The run's process was started but did not say in time whether it holds its
 * lock (e.g. its database does not answer). It is left running: it may still
 * start, and its outcome lands in task_logs as usual.
 */
export class StartUnconfirmed extends Error {
  constructor(
    readonly task: string,
    readonly pid: number,
    readonly waitedMs: number,
  ) {
    super(`ops ${task} (pid ${pid}) was started but did not report within ${waitedMs / 1000} s whether it holds its lock; it goes on running`);
  }
}

/** Tasks that cannot run from a request, and what to use instead. */
const NEEDS_INPUT: Record<string, string> = {
  'track-ingest': 'it reads NDJSON from a file or stdin: use ops track ingest, or the ingest endpoints',
};

/**
 * Whether a request may start `name`: every built-in task but those that need
 * input, the sync-and-run command (sync-centers, then run-batch), and the
 * tasks of OPS_TASKS_DIR (with their options' defaults).
 */
export async function triggerable(
  name: string,
  env: Record<string, string | undefined> = process.env,
): Promise<{ ok: true } | { ok: false; status: 404 | 422; why: string }> {
  if (Object.hasOwn(NEEDS_INPUT, name)) return { ok: false, status: 422, why: `${name} cannot be started here: ${NEEDS_INPUT[name]}` };
  if (name === 'sync-and-run' || Object.hasOwn(taskLoaders, name)) return { ok: true };
  if (env.OPS_TASKS_DIR?.trim() && (await allTasks(env)).tasks.some((t) => t.task.name === name)) return { ok: true };
  return { ok: false, status: 404, why: `no task ${name} (see ops tasks)` };
}

interface LogRecord {
  msg?: string;
  run_id?: string;
  task?: string;
  reason?: string;
  level?: string;
}

/**
 * Postgres: `ops <name>` as a child; its JSON log lines say when it started (or
 * was skipped). Past `reportWithinMs` without either, StartUnconfirmed: the
 * request is answered, the child is not killed.
 */
export function processStarter(reportWithinMs: number): StartTask {
  return (name) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [process.argv[1]!, name], { stdio: ['ignore', 'ignore', 'pipe'], env: process.env, detached: true });
      child.unref();
      let settled = false;
      let pending = '';
      let lastError = '';
      const timer = setTimeout(() => {
        if (settled || child.pid === undefined) return; // no pid: spawn failed, its 'error' settles
        settled = true;
        reject(new StartUnconfirmed(name, child.pid, reportWithinMs));
      }, reportWithinMs);
      const settle = (value: Started) => {
        settled = true;
        clearTimeout(timer);
        resolve(value);
      };
      child.stderr.on('data', (chunk: Buffer) => {
        process.stderr.write(chunk);
        if (settled) return;
        pending += chunk.toString('utf8');
        for (let nl = pending.indexOf('\n'); nl !== -1 && !settled; nl = pending.indexOf('\n')) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          let record: LogRecord;
          try {
            record = JSON.parse(line) as LogRecord;
          } catch {
            continue;
          }
          if (record.msg === 'started' && record.run_id) settle({ runId: record.run_id, task: record.task ?? name });
          else if (record.msg === 'skipped' && record.reason) settle({ holder: record.reason });
          else if (record.level === 'error' && record.msg) lastError = record.msg;
        }
      });
      // Once settled, the child's stderr still drains (and is forwarded) until it exits.
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new StartFailed(why));
      };
      child.on('error', (err) => fail(err.message));
      child.on('exit', (code) => fail(`ops ${name} exited with ${code} before it started${lastError ? `: ${lastError}` : ''}`));
    });
}

/** What `ops <name>` runs: one task, or sync-and-run's two with the options its command gives them. */
async function callsOf(name: string): Promise<Array<{ task: TaskDefinition<any, any, any>; options: Record<string, unknown> }>> {
  if (name !== 'sync-and-run' && Object.hasOwn(taskLoaders, name)) return [{ task: await taskLoaders[name]!(), options: {} }];
  if (name !== 'sync-and-run') {
    const entry = (await allTasks(process.env)).tasks.find((t) => t.task.name === name);
    if (!entry) throw new Error(`no task ${name}`);
    return [{ task: entry.task, options: parseTaskFlags(entry.task, []) }];
  }
  const [syncCenters, runBatch] = await Promise.all([taskLoaders['sync-centers']!(), taskLoaders['run-batch']!()]);
  return [
    { task: syncCenters, options: { deactivateMissing: false, dryRun: false } },
    { task: runBatch, options: { dryRun: false, trigger: 'sync-and-run' } },
  ];
}

/**
 * Embedded: through the runner in this process, one triggered run at a time
 * (the next is refused with the holder). The server's SIGTERM interrupts the
 * run (recorded as interrupted); `idle()` waits for it before the database closes.
 */
export function inProcessStarter(store: RunStore<any>, output: Output, scope: SignalScope): StartTask & { idle(): Promise<void> } {
  let current: { runId?: string; task: string; done?: Promise<void> } | undefined;
  const start = async (name: string): Promise<Started> => {
    if (current)
      return { holder: `${current.task} run ${current.runId ?? '(starting)'}: on the embedded database the server runs one triggered task at a time` };
    let calls: Awaited<ReturnType<typeof callsOf>>;
    try {
      calls = await callsOf(name);
    } catch (err) {
      throw new StartFailed(errorMessage(err));
    }
    // Every task's settings before any of them starts, as the command does: a bad one is a StartFailed.
    let prepared: ReturnType<typeof prepare>[];
    try {
      prepared = calls.map((c) => prepare(c.task));
    } catch (err) {
      throw new StartFailed(errorMessage(err));
    }
    const claim: { runId?: string; task: string; done?: Promise<void> } = { task: name };
    current = claim;
    return new Promise<Started>((resolve, reject) => {
      let settled = false;
      const watching: RunStore<any> = {
        ...store,
        startRun: async (run) => {
          await store.startRun(run);
          claim.runId ??= run.runId;
          if (!settled) {
            settled = true;
            resolve({ runId: run.runId, task: run.task });
          }
        },
      };
      claim.done = (async () => {
        for (const [i, call] of calls.entries()) {
          const summary = await runTask(call.task, call.options, prepared[i]!, {
            output,
            scope,
            clock: clockStartingAt(prepared[i]!.runtime.now),
            store: async () => watching,
          });
          if (!settled && summary.status === 'skipped') {
            settled = true;
            resolve({ holder: summary.error ?? 'another run holds the lock' });
            return;
          }
        }
      })()
        .catch((err) => {
          output.log.warn('a triggered run failed', { task: name, reason: errorMessage(err) });
          if (!settled) {
            settled = true;
            reject(new StartFailed(errorMessage(err)));
          }
        })
        .finally(() => {
          if (current === claim) current = undefined;
        });
    });
  };
  return Object.assign(start, { idle: async () => void (await current?.done) });
}
