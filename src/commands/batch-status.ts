/** `ops batch-status RUN_ID | --latest`: a batch run, counters and center by center. */
import { ExitCode } from '../core/errors.js';
import { getBatchRun, latestBatchRun, listRunCenters } from '../db/queries/batch-runs.js';
import { createOutput, type GlobalFlags } from './context.js';
import { withStorage } from './storage.js';
import { showLiveRuns } from './live.js';
import { colorStatus, formatDuration } from './summary.js';

export async function batchStatusCommand(flags: GlobalFlags, options: { runId?: string; latest: boolean }): Promise<number> {
  const output = createOutput(flags);
  return withStorage(
    output,
    async ({ db }) => {
      const run = options.runId ? await getBatchRun(db, options.runId) : await latestBatchRun(db);
      if (!run) {
        // An unknown run id is a bad argument (64); no run at all yet is not.
        output.log.error(options.runId ? `no batch run "${options.runId}" (see ops logs --task run-batch)` : 'no batch run yet: ops run-batch starts one');
        return options.runId ? ExitCode.usage : ExitCode.failed;
      }
      const centers = await listRunCenters(db, run.run_id);
      if (flags.json) {
        output.printJson({ ...run, centers });
        return ExitCode.ok;
      }
      const c = output.color;
      const end = run.completed_at ? new Date(run.completed_at) : new Date();
      output.print(
        `${c.bold(`batch ${run.run_id}`)} ${colorStatus(c, run.status)} · ${run.trigger}${run.resumed_from ? ` of ${run.resumed_from}` : ''} · ${formatDuration(end.getTime() - new Date(run.started_at).getTime())}${run.completed_at ? '' : ' so far'}`,
      );
      output.print(`  centers ${run.processed_centers}/${run.total_centers} processed · ${run.successful_centers} succeeded · ${run.failed_centers} failed`);
      output.print(`  events ${run.events_found} found · ${run.events_dropped} dropped as invalid`);
      output.print(
        `  ${run.provider} ${run.model} · prompt ${run.prompt_version} · tokens ${run.tokens_in} in / ${run.tokens_out} out · estimated $${Number(run.estimated_cost).toFixed(4)}`,
      );
      if (run.output_dir) output.print(`  CSV files: ${run.output_dir}`);
      if (run.error_message) output.print(`  ${c.red(run.error_message)}`);
      for (const center of centers) {
        const detail =
          center.status === 'success'
            ? `${center.events_found} events${center.events_dropped ? `, ${center.events_dropped} dropped` : ''}`
            : (center.error ?? '');
        output.print(`    ${colorStatus(c, center.status.padEnd(8))} ${center.slug.padEnd(24)} ${detail}`);
      }
      return ExitCode.ok;
    },
    {
      readOnly: true,
      onBusy: (runtime, err) => showLiveRuns(output, flags.json, runtime, err, (s) => s.task === 'run-batch' && (!options.runId || s.run_id === options.runId)),
    },
  );
}
