/**
 * `ops run-due --plan`: every event task's jobs as the next run-due would see
 * them — due now, misfired, retried, held, done, or due later and when. Reads
 * only: no execute is called, the ledger is not written.
 */
import { clockStartingAt } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { planDue } from '../tasks/run-due.js';
import type { PlannedJob } from '../tasks/event-jobs/plan.js';
import { createOutput, type GlobalFlags } from './context.js';
import { withStorage } from './storage.js';

const WHAT: Record<PlannedJob['decision'], string> = {
  run: 'due: runs now',
  retry: 'due: retried now',
  misfire: 'misfired: recorded, not run',
  'give-up': 'failed for good: recorded',
  held: 'running in another process',
  finished: 'finished',
  later: 'later',
};

export async function runDuePlanCommand(flags: GlobalFlags): Promise<number> {
  const output = createOutput(flags);
  return withStorage(
    output,
    async ({ db }, runtime) => {
      const now = clockStartingAt(runtime.now);
      const problems: string[] = [];
      const base = {
        task: 'run-due',
        runId: 'plan',
        db,
        config: {},
        runtime,
        env: process.env,
        log: output.log as Logger,
        signal: new AbortController().signal,
        dryRun: true,
        now,
        failItem: (item: string, reason: string) => void problems.push(`${item}: ${reason}`),
        note: () => {},
      };
      const { plans, loadErrors } = await planDue(base, db);
      problems.push(...loadErrors);
      for (const p of plans) if (p.error) problems.push(`${p.task.name}: ${p.error}`);
      const jobs = plans.flatMap((p) => p.jobs);
      if (flags.json) {
        output.printJson({
          now: now().toISOString(),
          environment: runtime.env,
          tasks: plans.map((p) => ({ task: p.task.name, source: p.source, error: p.error ?? null })),
          jobs: jobs.map((j) => ({
            key: j.key,
            task: j.task,
            item_id: j.itemId,
            due_at: j.dueAt.toISOString(),
            decision: j.decision,
            status: j.status ?? null,
            attempts: j.attempts ?? 0,
            last_error: j.lastError ?? null,
          })),
          problems,
        });
        return problems.length > 0 ? 2 : 0;
      }
      const c = output.color;
      const due = jobs.filter((j) => ['run', 'retry', 'misfire', 'give-up'].includes(j.decision));
      output.print(c.bold(`At ${now().toISOString()} (${runtime.env}): ${due.length} job(s) due, ${jobs.length} known, ${plans.length} event task(s).`));
      for (const j of jobs) {
        const what = WHAT[j.decision];
        const mark =
          j.decision === 'run' || j.decision === 'retry' ? c.green(what) : j.decision === 'later' || j.decision === 'finished' ? c.gray(what) : c.yellow(what);
        const extra = [j.status ? `ledger: ${j.status}` : '', j.attempts ? `attempts ${j.attempts}` : '', j.lastError ? `last error: ${j.lastError}` : '']
          .filter(Boolean)
          .join(', ');
        output.print(`  ${j.key.padEnd(40)} due ${j.dueAt.toISOString()}  ${mark}${extra ? c.gray(`  (${extra})`) : ''}`);
      }
      for (const p of problems) output.print(c.red(`  ${p}`));
      return problems.length > 0 ? 2 : 0;
    },
    { readOnly: true },
  );
}
