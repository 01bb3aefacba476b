/**
 * The runner: everything around a task's `run`. In order: settings validated
 * (exit 78 before any work), storage opened and migrated, the task's lock
 * taken (or the run recorded `skipped`), rows left `running` by a dead process
 * marked `interrupted`, the task_logs row written, the task run with an
 * AbortSignal, the outcome recorded and mapped to an exit code.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { readSettings, type Env, type Setting, type SettingsOf } from './config.js';
import { BusyError, ConfigError, ExitCode, OpsError, UsageError, errorMessage, isAbortError } from './errors.js';
import { armDeadline, DEADLINE_GRACE_MS, deadlineSetting } from './deadline.js';
import type { Clock } from './clock.js';
import type { Output } from './output.js';
import { redact, redactDeep } from './redact.js';
import { runtimeSettings } from './runtime-settings.js';
import { liveStatusWriter } from './live-status.js';
import { join } from 'node:path';
import type { SignalScope } from './signals.js';
import { MAX_RECORDED_FAILURES, type RunEnd, type RunStart, type RunStore, type RunSummary } from './run-record.js';
import { isTaskResult, lockKeysOf, type TaskResult, type ItemFailure, type RuntimeConfig, type Stats, type TaskDefinition } from './task.js';

export interface Prepared<S extends Record<string, Setting<any>>> {
  runtime: RuntimeConfig;
  config: SettingsOf<S>;
  /** The run's overall deadline, in seconds. */
  deadlineSeconds: number;
  /** The environment the settings were read from (for settings named at run time, such as a variable a row names). */
  env: Env;
}

export interface RunnerDeps<DB> {
  output: Output;
  scope: SignalScope;
  clock: Clock;
  /** Opens (once per process) the storage. May throw BusyError when the embedded database is in use. */
  store(runtime: RuntimeConfig): Promise<RunStore<DB>>;
  /** Records a skipped run when storage itself could not be opened because another process holds it. */
  recordSkippedElsewhere?(runtime: RuntimeConfig, run: RunStart & RunEnd): Promise<void>;
  /** Overrides DEADLINE_GRACE_MS (tests). */
  deadlineGraceMs?: number;
  /** The environment settings were read from: a step's are read from it too. */
  env?: Env;
}

/** The summary of a run that ended as it began (skipped before any work, failed before it could start). */
export function instantSummary(runId: string, task: string, status: RunSummary['status'], exitCode: number, at: Date, error: string): RunSummary {
  const when = at.toISOString();
  return {
    run_id: runId,
    task,
    status,
    exit_code: exitCode,
    started_at: when,
    finished_at: when,
    duration_ms: 0,
    stats: {},
    failures: [],
    failure_count: 0,
    error,
    notes: [],
  };
}

export function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Validates runtime and task settings; throws ConfigError naming the variable. */
export function prepare<S extends Record<string, Setting<any>>>(task: TaskDefinition<any, S>, env: Env = process.env): Prepared<S> {
  const runtime = readSettings(runtimeSettings, env);
  const config = readSettings(task.settings, env);
  const { deadlineSeconds } = readSettings({ deadlineSeconds: deadlineSetting(task) }, env);
  task.validate?.(config);
  // A step whose settings are missing is skipped when its turn comes; a malformed one stops everything now.
  for (const step of task.steps ?? []) {
    try {
      prepare(step, env);
    } catch (err) {
      if (!isMissingSetting(err, env)) throw err;
    }
  }
  return { runtime, config, deadlineSeconds, env };
}

/** A ConfigError because a variable is not set at all (as opposed to set wrong). */
function isMissingSetting(err: unknown, env: Env): err is ConfigError {
  return err instanceof ConfigError && (env[err.variable] === undefined || env[err.variable]!.trim() === '');
}

const FINISHED_SEVERITY = { success: 0, partial: 1, failed: 2 } as const;
type FinishedStatus = keyof typeof FINISHED_SEVERITY;

/** A task's own status may make the run worse, never better than its failed items imply. */
export function worstStatus(a: FinishedStatus, b: FinishedStatus): FinishedStatus {
  return FINISHED_SEVERITY[a] >= FINISHED_SEVERITY[b] ? a : b;
}

function exitCodeOf(status: RunSummary['status'], scope: SignalScope): number {
  switch (status) {
    case 'success':
    case 'skipped':
      return ExitCode.ok;
    case 'partial':
      return ExitCode.partial;
    case 'interrupted':
      return scope.exitCode();
    default:
      return ExitCode.failed;
  }
}

/** finishRun, or when the database will not take it, the store's pending path: the outcome is never lost silently. */
async function recordOutcome(store: RunStore<unknown>, start: RunStart, end: RunEnd, log: Output['log']): Promise<void> {
  try {
    await store.finishRun(end);
    return;
  } catch (err) {
    log.error('could not record the outcome in task_logs', { reason: redact(errorMessage(err)) });
  }
  if (!store.keepPendingRun) return;
  try {
    await store.keepPendingRun({ ...start, ...end });
    log.warn('the outcome is kept as a pending run: the next ops process records it in task_logs');
  } catch (err) {
    log.error('could not keep the outcome as a pending run either', { reason: redact(errorMessage(err)) });
  }
}

export async function runTask<DB, S extends Record<string, Setting<any>>, O>(
  task: TaskDefinition<DB, S, O>,
  options: O & { dryRun?: boolean },
  prepared: Prepared<S>,
  deps: RunnerDeps<DB>,
  parentRunId?: string,
): Promise<RunSummary> {
  const { output, scope, clock } = deps;
  let startedAt = clock();
  const runId = newRunId(startedAt);
  const lockKeys = lockKeysOf(task, options);
  let lockKey = lockKeys[0]!;
  const log = output.log.child({ task: task.name, run_id: runId });
  const start: RunStart = {
    runId,
    task: task.name,
    lockKey,
    startedAt,
    host: hostname(),
    pid: process.pid,
    args: redactDeep({ ...(options as Record<string, unknown>) }),
    ...(parentRunId ? { parentRunId } : {}),
  };
  const failures: ItemFailure[] = [];
  let failureCount = 0;
  const notes: string[] = [];
  // A bad argument found only once the task looks at the data (an unknown run id) is still a usage error.
  let usageError = false;
  const summarize = (end: RunEnd): RunSummary => ({
    run_id: runId,
    task: task.name,
    status: end.status,
    exit_code: usageError && end.status === 'failed' ? ExitCode.usage : exitCodeOf(end.status, scope),
    started_at: startedAt.toISOString(),
    finished_at: end.finishedAt.toISOString(),
    duration_ms: end.durationMs,
    stats: end.stats,
    failures: end.failures,
    failure_count: end.failureCount,
    error: end.error,
    notes,
  });
  const ended = (status: RunEnd['status'], stats: Stats, error?: string): RunEnd => {
    const finishedAt = clock();
    return {
      runId,
      status,
      finishedAt,
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      stats,
      error: error && redact(error),
      failures: redactDeep(failures),
      failureCount,
    };
  };

  let store: RunStore<DB>;
  try {
    store = await deps.store(prepared.runtime);
  } catch (err) {
    if (err instanceof BusyError) {
      const end = ended('skipped', {}, err.message);
      log.info('skipped: another ops process is using the embedded database', { reason: err.message });
      await deps
        .recordSkippedElsewhere?.(prepared.runtime, { ...start, ...end })
        .catch((e) => log.warn('could not record the skipped run', { reason: errorMessage(e) }));
      return summarize(end);
    }
    throw err;
  }

  // Losing the lock mid-run (its connection died) would let a second run overlap this one: stop.
  const lockLost = new AbortController();
  const onLockLost = (reason: string) => {
    log.error('lost the run lock: stopping so that no two runs overlap', { reason });
    lockLost.abort(new OpsError(`lost the run lock (${reason}): stopped so that no two runs overlap`));
  };
  // Slots: the first free one, without waiting; when every slot is taken, wait for the first as usual.
  let release: Awaited<ReturnType<typeof store.acquireLock>> = null;
  for (const key of lockKeys.length > 1 ? lockKeys : []) {
    release = await store.acquireLock(key, 0, scope.signal, onLockLost);
    if (release) {
      lockKey = start.lockKey = key;
      break;
    }
  }
  release ??= await store.acquireLock(lockKey, prepared.runtime.lockWaitSeconds * 1000, scope.signal, onLockLost);
  const connectionLost = store.connectionLost;
  if (!release) {
    const holder = await store.runningHolder(lockKey);
    const reason = holder
      ? `another run holds the lock "${lockKey}": ${holder.runId} on ${holder.host ?? '?'} pid ${holder.pid ?? '?'} since ${holder.startedAt.toISOString()}`
      : `another run holds the lock "${lockKey}"`;
    const end = ended('skipped', {}, reason);
    // One statement: a `running` row, even for an instant, could be taken for a dead run's.
    await store.recordFinishedRun({ ...start, ...end });
    log.info('skipped', { reason });
    return summarize(end);
  }

  // The deadline counts from here: the lock is held, the work begins.
  const graceMs = deps.deadlineGraceMs ?? DEADLINE_GRACE_MS;
  const deadline = armDeadline(prepared.deadlineSeconds, graceMs, log);
  const signal = AbortSignal.any([scope.signal, lockLost.signal, deadline.signal, ...(connectionLost ? [connectionLost] : [])]);
  // Why the run was stopped from outside the task, if it was; a lost connection explains a lost lock, so it comes first.
  const stoppedBy = (): { status: 'interrupted' | 'failed'; error: string } | undefined => {
    if (scope.signal.aborted) return { status: 'interrupted', error: `interrupted by ${scope.received() ?? 'signal'}` };
    if (deadline.signal.aborted) return { status: 'failed', error: errorMessage(deadline.signal.reason) };
    if (connectionLost?.aborted) return { status: 'failed', error: errorMessage(connectionLost.reason) };
    if (lockLost.signal.aborted) return { status: 'failed', error: errorMessage(lockLost.signal.reason) };
    return undefined;
  };
  try {
    // The run's clock starts once it holds its lock (opening the database is not its time).
    startedAt = start.startedAt = clock();
    // On the embedded database every `running` row but this process's is stale: a step leaves that to its parent.
    const stale = parentRunId && store.kind === 'embedded' ? 0 : await store.markStaleRuns(lockKey, runId, clock());
    if (stale > 0) log.warn('marked runs left running by a process that died as interrupted', { count: stale });
    await store.startRun(start);
    log.info('started', { dry_run: Boolean(options.dryRun) });
    const shown = await output.progress(task.name, log);
    // The embedded database keeps other processes out: they read progress from a file instead.
    const live = store.kind === 'embedded' ? liveStatusWriter(join(prepared.runtime.dataDir, 'live'), { runId, task: task.name, startedAt }) : undefined;
    const progress = {
      update: (state: Parameters<typeof shown.update>[0]) => {
        shown.update(state);
        live?.update(state);
      },
      stop: () => {
        shown.stop();
        live?.clear();
      },
    };
    let end: RunEnd;
    try {
      const ctx: Parameters<typeof task.run>[0] = {
        task: task.name,
        runId,
        db: store.db,
        config: prepared.config,
        runtime: prepared.runtime,
        env: prepared.env,
        log,
        progress,
        signal,
        dryRun: Boolean(options.dryRun),
        now: clock,
        failures,
        get failureCount() {
          return failureCount;
        },
        failItem(item, reason) {
          failureCount += 1;
          if (failures.length < MAX_RECORDED_FAILURES) failures.push({ item: redact(item), reason: redact(reason) });
          log.warn('item failed', { item, reason });
        },
        note: (line) => void notes.push(line),
        runStep: (step, stepOptions) => runStep(step, stepOptions, deps, store, runId),
      };
      const running = runWithHooks(task, ctx, options, log);
      // Whichever comes first: the task's own end, or its abandonment past the grace.
      const result = await new Promise<Awaited<typeof running> | 'abandoned'>((resolve, reject) => {
        running.then(resolve, reject);
        void deadline.abandoned.then(resolve);
      });
      if (result === 'abandoned') {
        running.catch(() => {}); // whatever it ends with now, the outcome is recorded
        end = ended('failed', {}, `passed its deadline of ${prepared.deadlineSeconds} s and did not stop within ${graceMs / 1000} s: abandoned`);
      } else {
        const { stats, status, error } = isTaskResult(result) ? result : { stats: result, status: undefined, error: undefined };
        const stop = stoppedBy();
        if (stop) end = ended(stop.status, stats, stop.error);
        else end = ended(worstStatus(status ?? 'success', failureCount > 0 ? 'partial' : 'success'), stats, error);
      }
    } catch (err) {
      const stop = stoppedBy();
      if (stop) {
        end = ended(stop.status, {}, stop.error);
      } else if (isAbortError(err)) {
        end = ended('interrupted', {}, `interrupted by ${scope.received() ?? 'signal'}`);
      } else {
        usageError = err instanceof UsageError;
        const internal = !(err instanceof OpsError);
        const message = internal ? `internal error: ${errorMessage(err)} (a bug: report it with run id ${runId})` : errorMessage(err);
        if (internal && err instanceof Error) log.debug('stack', { stack: err.stack });
        end = ended('failed', {}, message);
      }
    } finally {
      deadline.clear();
      progress.stop();
    }
    await recordOutcome(store, start, end, log);
    const level = end.status === 'success' ? 'info' : end.status === 'partial' || end.status === 'interrupted' ? 'warn' : 'error';
    log[level]('finished', { status: end.status, duration_ms: end.durationMs, stats: end.stats, failures: end.failureCount, error: end.error });
    return summarize(end);
  } finally {
    deadline.clear();
    await release();
  }
}

/**
 * setup → run → teardown. Teardown runs whatever run's end (a failure, an
 * interruption) once setup has begun; its own failure fails a run that had
 * succeeded, and is logged when the run had already failed.
 */
async function runWithHooks<DB, S extends Record<string, Setting<any>>, O>(
  task: TaskDefinition<DB, S, O>,
  ctx: Parameters<TaskDefinition<DB, S, O>['run']>[0],
  options: O,
  log: Output['log'],
): Promise<Stats | TaskResult> {
  if (!task.setup && !task.teardown) return task.run(ctx, options);
  let result: Stats | TaskResult;
  try {
    await task.setup?.(ctx, options);
    result = await task.run(ctx, options);
  } catch (err) {
    try {
      await task.teardown?.(ctx, options);
    } catch (teardownErr) {
      log.error('teardown failed', { reason: redact(errorMessage(teardownErr)) });
    }
    throw err;
  }
  try {
    await task.teardown?.(ctx, options);
  } catch (err) {
    throw new OpsError(`teardown failed: ${errorMessage(err)}`);
  }
  return result;
}

/**
 * One step of a run (daily-tasks' four): a run of its own (lock, task_logs
 * row linked by parent_run_id, outcome), through the same runner. A step whose
 * settings are missing is recorded `skipped` with the reason and not run.
 */
async function runStep<DB>(
  step: TaskDefinition<DB, any, any>,
  options: Record<string, unknown>,
  deps: RunnerDeps<DB>,
  store: RunStore<DB>,
  parentRunId: string,
): Promise<RunSummary> {
  const env = deps.env ?? process.env;
  let prepared: Prepared<any>;
  try {
    prepared = prepare(step, env);
  } catch (err) {
    if (!isMissingSetting(err, env)) throw err;
    const at = deps.clock();
    const runId = newRunId(at);
    const error = `not configured, skipped: ${redact(err.message)}`;
    const run = { runId, task: step.name, lockKey: lockKeysOf(step, options)[0]!, startedAt: at, host: hostname(), pid: process.pid, args: {}, parentRunId };
    await store.recordFinishedRun({ ...run, status: 'skipped', finishedAt: at, durationMs: 0, stats: {}, error, failures: [], failureCount: 0 });
    deps.output.log.warn('step skipped: not configured', { task: step.name, run_id: runId, parent_run_id: parentRunId, reason: error });
    return instantSummary(runId, step.name, 'skipped', ExitCode.ok, at, error);
  }
  return runTask(step, options, prepared, { ...deps, store: async () => store }, parentRunId);
}
