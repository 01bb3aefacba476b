/** One batch run (run-batch): its totals and every center's outcome. */
import type { getBatchRun, listRunCenters } from '../../db/queries/batch-runs.js';
import { formatDuration } from './charts.js';
import { html, type Html } from './html.js';
import { page, statusBadge, time } from './layout.js';

type Batch = NonNullable<Awaited<ReturnType<typeof getBatchRun>>>;
type Center = Awaited<ReturnType<typeof listRunCenters>>[number];

const money = (n: number) => `$${Number(n).toFixed(4)}`;

export function batchPage(batch: Batch, centers: Center[]): string {
  const duration = batch.completed_at ? new Date(batch.completed_at).getTime() - new Date(batch.started_at).getTime() : null;
  const facts: Array<[string, Html | string]> = [
    ['Outcome', statusBadge(batch.status)],
    ['Run', html`<a href="/runs/${encodeURIComponent(batch.run_id)}">${batch.run_id}</a>`],
    ['Trigger', batch.trigger + (batch.resumed_from ? ` (resumes ${batch.resumed_from})` : '')],
    ['Started', time(batch.started_at)],
    ['Completed', time(batch.completed_at)],
    ['Duration', duration === null ? '–' : formatDuration(duration)],
    ['Centers', `${batch.processed_centers} of ${batch.total_centers} processed · ${batch.successful_centers} succeeded · ${batch.failed_centers} failed`],
    ['Events', `${batch.events_found} found · ${batch.events_dropped} dropped`],
    ['Model', `${batch.provider} ${batch.model} (prompt ${batch.prompt_version})`],
    ['Tokens', `${batch.tokens_in} in · ${batch.tokens_out} out · ${money(batch.estimated_cost)}`],
    ['Output', batch.output_dir ?? '–'],
  ];
  const rows = centers.map(
    (c) => html`<tr data-center="${c.center_id}"><td>${c.slug}<div class="muted">${c.center_id}</div></td><td>${statusBadge(c.status)}</td>
<td class="num">${c.events_found}</td><td class="num">${c.events_dropped}</td><td class="num">${c.attempts}</td>
<td class="num">${c.tokens_in + c.tokens_out}</td><td class="num">${money(c.estimated_cost)}</td>
<td class="wrap">${c.error ?? ''}${c.drop_reasons.length > 0 ? html`<div class="muted">dropped: ${c.drop_reasons.map((d) => `${d.name ?? `#${d.index}`} (${d.reason})`).join('; ')}</div>` : ''}</td>
<td class="wrap muted">${c.csv_path ?? ''}</td></tr>`,
  );
  return page(
    `Batch ${batch.run_id}`,
    null,
    html`<h1>Batch <code>${batch.run_id}</code></h1>
<section class="card"><dl class="stats" id="batch-facts">${facts.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>
${batch.error_message ? html`<pre>${batch.error_message}</pre>` : ''}</section>
<section class="card"><h2>Centers <span class="muted">(${centers.length})</span></h2>${
      centers.length > 0
        ? html`<table id="centers"><thead><tr><th>Center</th><th>Outcome</th><th class="num">Events</th><th class="num">Dropped</th><th class="num">Attempts</th><th class="num">Tokens</th><th class="num">Cost</th><th>Error</th><th>CSV</th></tr></thead><tbody>${rows}</tbody></table>`
        : html`<p class="empty">No centers recorded.</p>`
    }</section>`,
  );
}
