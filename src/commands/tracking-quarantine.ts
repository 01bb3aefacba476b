/** `ops tracking-quarantine`: quarantined tracking events with their reasons; --replay validates them again. */
import { ExitCode } from '../core/errors.js';
import { listQuarantine } from '../db/queries/tracking-status.js';
import { createOutput, type GlobalFlags } from './context.js';
import { runTasks } from './run-tasks.js';
import { withStorage } from './storage.js';
import { withTrackingSchema } from './tracking-status.js';

export interface QuarantineOptions {
  reason?: string;
  limit?: number;
  replay: boolean;
}

export async function trackingQuarantineCommand(flags: GlobalFlags, options: QuarantineOptions): Promise<number> {
  if (options.replay) {
    const { trackingReplay } = await import('../tasks/tracking-replay.js');
    return runTasks([{ task: trackingReplay, options: { reason: options.reason, limit: options.limit } }], flags);
  }
  const output = createOutput(flags);
  return withStorage(
    output,
    async ({ db }) =>
      withTrackingSchema(output, async () => {
        const rows = await listQuarantine(db, { reason: options.reason, limit: options.limit ?? 20 });
        if (flags.json) {
          output.printJson(rows.map((r) => ({ ...r, body: r.body ? Buffer.from(r.body).toString('base64') : null })));
          return ExitCode.ok;
        }
        if (rows.length === 0) output.print('Nothing in quarantine.');
        const c = output.color;
        for (const r of rows) {
          output.print(`${c.bold(`raw ${r.raw_id}`)} ${c.red(r.reason)} ${r.message}`);
          const original = r.body ? `${r.body.length} bytes (not JSON; --json gives them in base64)` : JSON.stringify(r.payload);
          output.print(
            c.gray(`  ${r.customer_id ?? '?'} / ${r.event_id ?? '?'} · received ${new Date(r.received_at).toISOString()} · ops ${r.processor_version}`),
          );
          output.print(`  ${original.length > 300 ? `${original.slice(0, 300)}…` : original}`);
        }
        return ExitCode.ok;
      }),
    { readOnly: true },
  );
}
