/** `ops catalogue-status`: the catalogue by state, what is waiting, the last run of each step, tokens and cost. */
import { catalogueCounts, waitingPreview } from '../db/queries/catalogue-urls.js';
import { listRuns } from '../db/queries/task-logs.js';
import { createOutput, type GlobalFlags } from './context.js';
import { withStorage } from './storage.js';
import { showLiveRuns } from './live.js';
import { ago, colorStatus, formatDuration, formatStats } from './summary.js';

const TASKS = ['daily-tasks', 'airtable-sync', 'crawler-check', 'zero-sessions', 'catalogue'];

export async function catalogueStatusCommand(flags: GlobalFlags): Promise<number> {
  const output = createOutput(flags);
  return withStorage(
    output,
    async ({ db }) => {
      let counts: Awaited<ReturnType<typeof catalogueCounts>>;
      try {
        counts = await catalogueCounts(db);
      } catch (err) {
        if (!/catalogue_urls/.test(String(err))) throw err;
        output.log.error('the catalogue tables do not exist yet: run ops daily-tasks (or ops migrate) first');
        return 1;
      }
      const waiting = await waitingPreview(db, 10);
      const runs = (await Promise.all(TASKS.map(async (task) => (await listRuns(db, { task, limit: 1 }))[0]))).filter((r) => r !== undefined);
      if (flags.json) {
        output.printJson({
          counts,
          waiting,
          last_runs: runs.map((r) => ({
            task: r.task,
            run_id: r.run_id,
            status: r.status,
            started_at: r.started_at,
            duration_ms: r.duration_ms,
            stats: r.stats,
            error: r.error,
            parent_run_id: r.parent_run_id,
          })),
        });
        return 0;
      }
      const c = output.color;
      output.print(c.bold(`URL catalogue: ${counts.total} URLs`));
      output.print(
        `  catalogued ${counts.catalogued} · waiting ${counts.waiting} (${counts.fetch_errors} after a 4xx/5xx fetch) · redirects ${counts.redirects} · other status ${counts.other_status}`,
      );
      output.print(`  Airtable: active ${counts.active} · paused ${counts.paused}`);
      output.print(`  LLM: tokens ${counts.tokens_in} in / ${counts.tokens_out} out · estimated cost $${counts.cost.toFixed(4)}`);
      if (waiting.length) {
        output.print(c.bold(`Waiting${counts.waiting > waiting.length ? ` (first ${waiting.length} of ${counts.waiting})` : ''}:`));
        for (const w of waiting) output.print(`  ${w.url}${w.fetch_status ? c.gray(`  last fetch ${w.fetch_status}, ${w.fetch_attempts} attempt(s)`) : ''}`);
      }
      output.print(c.bold('Last runs:'));
      for (const task of TASKS) {
        const r = runs.find((x) => x.task === task);
        if (!r) output.print(`  ${task.padEnd(14)} ${c.gray('never run')}`);
        else
          output.print(
            `  ${task.padEnd(14)} ${colorStatus(c, r.status.padEnd(11))} ${ago(r.started_at).padEnd(9)} ${formatDuration(r.duration_ms).padStart(7)}  ${formatStats(r.stats)}${r.error ? c.red(`  ${r.error}`) : ''}`,
          );
      }
      return 0;
    },
    { readOnly: true, onBusy: (runtime, err) => showLiveRuns(output, flags.json, runtime, err) },
  );
}
