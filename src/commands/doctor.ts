/**
 * `ops doctor`: settings, database, migrations, stale runs and each configured
 * upstream. Exits 1 when anything is wrong, so it can gate a deployment.
 */
import { readSettings } from '../core/config.js';
import { ConfigError, ExitCode, errorMessage } from '../core/errors.js';
import { runtimeSettings } from '../core/runtime-settings.js';
import type { RuntimeConfig } from '../core/task.js';
import { taskLoaders } from '../tasks/registry.js';
import { createOutput, type GlobalFlags } from './context.js';

type Verdict = 'ok' | 'warn' | 'fail' | 'skip';

interface Check {
  check: string;
  verdict: Verdict;
  detail: string;
}

async function timed<T>(ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer within ${ms}ms`)), ms);
  try {
    return await fn(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

export async function doctorCommand(flags: GlobalFlags): Promise<number> {
  const output = createOutput(flags);
  const checks: Check[] = [];
  const add = (check: string, verdict: Verdict, detail: string) => checks.push({ check, verdict, detail });

  let runtime: RuntimeConfig | undefined;
  try {
    runtime = readSettings(runtimeSettings);
    add('settings: runtime', 'ok', runtime.databaseUrl ? 'DATABASE_URL set (Postgres)' : `embedded database in ${runtime.dataDir}`);
  } catch (err) {
    add('settings: runtime', 'fail', errorMessage(err));
  }

  const upstreams: Array<{ name: string; run: (signal: AbortSignal) => Promise<string> }> = [];
  for (const [name, load] of Object.entries(taskLoaders)) {
    const task = await load();
    try {
      const config = readSettings(task.settings);
      task.validate?.(config);
      add(`settings: ${name}`, 'ok', 'complete');
      for (const c of task.checks?.(config) ?? []) if (!upstreams.some((u) => u.name === c.name)) upstreams.push(c);
    } catch (err) {
      // A task nobody configured is not an error; a malformed setting is.
      const missing = err instanceof ConfigError && /is not set/.test(err.message);
      add(`settings: ${name}`, missing ? 'skip' : 'fail', missing ? `not configured (${(err as ConfigError).variable} is not set)` : errorMessage(err));
    }
  }

  if (runtime) {
    const { openDatabase } = await import('../db/open.js');
    const { openOptionsFrom } = await import('../db/index.js');
    const { pendingMigrations } = await import('../db/migrations.js');
    const { findStaleRuns } = await import('../db/stale-runs.js');
    const { BusyError } = await import('../core/errors.js');
    const { describeBusy, readBusyHistory } = await import('../db/busy-history.js');
    try {
      // Like the other read-only commands, doctor never creates a database.
      const handle = await openDatabase(openOptionsFrom(runtime, { create: false }));
      try {
        add('database', 'ok', `${handle.kind} at ${handle.location}`);
        if (handle.kind === 'embedded' && runtime.env === 'production') {
          add(
            'embedded database',
            'warn',
            'the embedded database is used under OPS_ENV=production: it holds one process at a time and peaks near 930 MB of memory on first use; set DATABASE_URL to a Postgres database',
          );
        }
        if (handle.kind === 'embedded') {
          const history = readBusyHistory(runtime.dataDir);
          if (history.skipped > 0) add('skipped while busy', 'warn', `${describeBusy(history)}; the next task run records them in task_logs`);
        }
        const pending = await pendingMigrations(handle.db);
        add(
          'migrations',
          pending.length ? 'warn' : 'ok',
          pending.length ? `${pending.length} pending: ${pending.join(', ')} (ops migrate, or the next task run, applies them)` : 'up to date',
        );
        if (!pending.includes('0005_race_events')) {
          const { checkPartners } = await import('./doctor-partners.js');
          for (const c of await checkPartners(handle.db, timed)) add(c.check, c.verdict, c.detail);
        }
        if (!pending.length || !pending.includes('0001_task_logs')) {
          const stale = await findStaleRuns(handle);
          add(
            'stale runs',
            stale.length ? 'warn' : 'ok',
            stale.length
              ? `${stale.length} run(s) left "running" by a dead process (marked interrupted by the next run of their task): ${stale.map((s) => `${s.task} ${s.run_id}`).join(', ')}`
              : 'none',
          );
        }
      } finally {
        await handle.close();
      }
    } catch (err) {
      if (err instanceof BusyError) {
        // Busy is normal while a run works; busy for longer than OPS_BUSY_FAIL_SECONDS is a jam.
        const history = readBusyHistory(runtime.dataDir);
        const jammed = history.since !== undefined && Date.now() - history.since.getTime() > runtime.busyFailSeconds * 1000;
        add('database busy', jammed ? 'fail' : 'warn', `${errorMessage(err)}${history.skipped ? `; ${describeBusy(history)}` : ''}`);
      } else add('database', 'fail', errorMessage(err));
    }
  }

  for (const upstream of upstreams) {
    try {
      add(`upstream: ${upstream.name}`, 'ok', await timed(8000, upstream.run));
    } catch (err) {
      add(`upstream: ${upstream.name}`, 'fail', errorMessage(err));
    }
  }

  const failed = checks.some((c) => c.verdict === 'fail');
  if (flags.json) output.printJson({ ok: !failed, checks });
  else {
    const c = output.color;
    const mark: Record<Verdict, string> = { ok: c.green('ok  '), warn: c.yellow('warn'), fail: c.red('FAIL'), skip: c.gray('skip') };
    for (const check of checks) output.print(`${mark[check.verdict]}  ${check.check.padEnd(28)} ${check.detail}`);
    output.print(failed ? c.red('\nSomething is wrong: see FAIL above.') : c.green('\nAll good.'));
  }
  return failed ? ExitCode.failed : ExitCode.ok;
}
