/**
 * daily-tasks: airtable-sync → crawler-check → zero-sessions → catalogue, in
 * order, each a run of its own linked to this one. A step that fails is
 * recorded and the next one still runs; a step whose settings are missing is
 * recorded skipped. This run is success when every step succeeded, failed when
 * none did, partial otherwise (exit 2).
 */
import { InterruptedError } from '../core/errors.js';
import { defineTask } from '../core/task.js';
import { airtableSync } from './airtable-sync.js';
import { catalogue } from './catalogue.js';
import { crawlerCheck } from './crawler-check.js';
import { zeroSessions } from './zero-sessions.js';

export interface DailyTasksOptions {
  /** Passed to zero-sessions: pause without asking. */
  autoUpdate?: boolean;
  days?: number;
  /** Passed to catalogue. */
  count?: number;
  dryRun?: boolean;
  confirm?: (question: string, signal?: AbortSignal) => Promise<boolean>;
}

const ICON: Record<string, string> = { success: '✔', partial: '▲', failed: '✖', skipped: '○', interrupted: '■' };

export const dailyTasks = defineTask({
  name: 'daily-tasks',
  summary: 'airtable-sync, crawler-check, zero-sessions and catalogue, in order; a failing step does not stop the next',
  // The deployed daily run writes to Airtable without asking (issue 16).
  schedule: { cron: '0 2 * * *', args: ['--auto-update'] },
  settings: {},
  steps: [airtableSync, crawlerCheck, zeroSessions, catalogue],
  deadlineSeconds: 5 * 3600,
  async run(ctx, options: DailyTasksOptions) {
    const dryRun = Boolean(options.dryRun);
    const plan = [
      { task: airtableSync, options: { dryRun } },
      { task: crawlerCheck, options: { dryRun } },
      { task: zeroSessions, options: { dryRun, autoUpdate: Boolean(options.autoUpdate), days: options.days, confirm: options.confirm } },
      { task: catalogue, options: { dryRun, count: options.count } },
    ];
    const steps: Record<string, { status: string; run_id: string; exit_code: number }> = {};
    let succeeded = 0;
    for (const step of plan) {
      if (ctx.signal.aborted) break;
      const summary = await ctx.runStep(step.task, step.options);
      steps[summary.task] = { status: summary.status, run_id: summary.run_id, exit_code: summary.exit_code };
      ctx.note(`${ICON[summary.status] ?? '?'} ${summary.task} ${summary.status} · run ${summary.run_id}${summary.error ? ` · ${summary.error}` : ''}`);
      if (summary.status === 'interrupted') throw new InterruptedError();
      if (summary.status === 'success') succeeded += 1;
      else ctx.failItem(summary.task, summary.error ?? `${summary.status}: ${summary.failure_count} item(s) failed (ops logs --run ${summary.run_id})`);
    }
    const stats = {
      steps: plan.length,
      succeeded,
      not_succeeded: plan.length - succeeded,
      ...Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, v.status])),
    };
    if (succeeded === 0) return { stats, status: 'failed' as const, error: 'no step succeeded' };
    return stats;
  },
});
