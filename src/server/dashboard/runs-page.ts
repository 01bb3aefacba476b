/** The runs with their filters, and one run in full. */
import { formatDuration } from './charts.js';
import { html, query, type Html } from './html.js';
import { page, statusBadge, time } from './layout.js';

export interface RunRow {
  run_id: string;
  task: string;
  status: string;
  started_at: Date | string;
  finished_at: Date | string | null;
  duration_ms: number | null;
  failure_count: number;
  error: string | null;
}

export interface RunDetail extends RunRow {
  lock_key: string;
  stats: Record<string, unknown>;
  failures: Array<{ item: string; reason: string }>;
  host: string | null;
  pid: number | null;
  args: Record<string, unknown>;
  parent_run_id: string | null;
}

export const RUN_STATUSES = ['running', 'success', 'partial', 'failed', 'skipped', 'interrupted'];

export interface RunFilters {
  task?: string;
  status?: string;
  from?: string;
  to?: string;
  limit: number;
}

const runLink = (id: string) => `/runs/${encodeURIComponent(id)}`;
const clip = (text: string, n: number) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

export function runsTable(runs: RunRow[]): Html {
  if (runs.length === 0) return html`<p class="empty">No runs match.</p>`;
  const rows = runs.map(
    (r) => html`<tr data-run="${r.run_id}"><td>${time(r.started_at)}</td><td>${r.task}</td><td>${statusBadge(r.status)}</td>
<td class="num">${r.duration_ms != null ? formatDuration(r.duration_ms) : ''}</td><td class="num">${r.failure_count || ''}</td>
<td class="wrap">${r.error ? clip(r.error, 160) : ''}</td><td><a href="${runLink(r.run_id)}">details</a></td></tr>`,
  );
  return html`<table id="runs"><thead><tr><th>Started</th><th>Task</th><th>Outcome</th><th class="num">Duration</th><th class="num">Failures</th><th>Error</th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function runsPage(runs: RunRow[], filters: RunFilters, tasks: string[], problem: string | null): string {
  const option = (value: string, selected: string | undefined, label = value) =>
    value === selected ? html`<option value="${value}" selected>${label}</option>` : html`<option value="${value}">${label}</option>`;
  const form = html`<form class="filters" method="get" action="/runs">
<label>Task<select name="task">${option('', filters.task, 'every task')}${tasks.map((t) => option(t, filters.task))}</select></label>
<label>Outcome<select name="status">${option('', filters.status, 'any')}${RUN_STATUSES.map((s) => option(s, filters.status))}</select></label>
<label>From (UTC)<input type="date" name="from" value="${filters.from ?? ''}"></label>
<label>To (UTC, inclusive)<input type="date" name="to" value="${filters.to ?? ''}"></label>
<label>Show<input type="number" name="limit" min="1" max="500" value="${filters.limit}"></label>
<button type="submit">Filter</button> <a href="/runs">clear</a></form>`;
  const shown =
    runs.length === filters.limit
      ? html`<p class="muted">The newest ${runs.length}; <a href="/runs${query({ ...filters, limit: Math.min(500, filters.limit * 2) })}">show more</a>.</p>`
      : html`<p class="muted">${runs.length} run${runs.length === 1 ? '' : 's'}.</p>`;
  return page(
    'Runs',
    'runs',
    html`<h1>Runs</h1><section class="card">${form}${problem ? html`<p class="error">${problem}</p>` : ''}${runsTable(runs)}${problem ? '' : shown}</section>`,
  );
}

function value(v: unknown): Html | string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'object') return html`<pre>${JSON.stringify(v, null, 2)}</pre>`;
  return String(v);
}

export interface RunRelations {
  children: RunRow[];
  /** The batch this run recorded (run-batch), if any. */
  batchId: string | null;
}

export function runDetailPage(run: RunDetail, rel: RunRelations): string {
  const facts: Array<[string, Html | string]> = [
    ['Task', html`<a href="/runs?task=${encodeURIComponent(run.task)}">${run.task}</a>`],
    ['Outcome', statusBadge(run.status)],
    ['Started', time(run.started_at)],
    ['Finished', time(run.finished_at)],
    ['Duration', run.duration_ms != null ? formatDuration(run.duration_ms) : '–'],
    ['Host / pid', `${run.host ?? '?'} / ${run.pid ?? '?'}`],
    ['Lock', run.lock_key],
  ];
  if (run.parent_run_id) facts.push(['Part of', html`<a href="${runLink(run.parent_run_id)}">${run.parent_run_id}</a>`]);
  if (rel.batchId) facts.push(['Batch', html`<a href="/batches/${encodeURIComponent(rel.batchId)}">centers of batch ${rel.batchId}</a>`]);
  const stats = Object.entries(run.stats ?? {});
  const args = Object.entries(run.args ?? {});
  const failures = run.failures ?? [];
  return page(
    `Run ${run.run_id}`,
    null,
    html`<h1>Run <code>${run.run_id}</code></h1>
<section class="card"><dl class="stats" id="run-facts">${facts.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl></section>
${run.error ? html`<section class="card"><h2>Error</h2><pre id="run-error">${run.error}</pre></section>` : ''}
<section class="card"><h2>Stats</h2>${stats.length > 0 ? html`<dl class="stats" id="run-stats">${stats.map(([k, v]) => html`<dt>${k}</dt><dd>${value(v)}</dd>`)}</dl>` : html`<p class="empty">No stats recorded.</p>`}</section>
<section class="card"><h2>Failures <span class="muted">(${run.failure_count})</span></h2>${
      failures.length > 0
        ? html`<table id="run-failures"><thead><tr><th>Item</th><th>Reason</th></tr></thead><tbody>${failures.map(
            (f) => html`<tr><td>${f.item}</td><td class="wrap">${f.reason}</td></tr>`,
          )}</tbody></table>${failures.length < run.failure_count ? html`<p class="muted">The first ${failures.length} of ${run.failure_count} are kept.</p>` : ''}`
        : html`<p class="empty">No failed items.</p>`
    }</section>
${args.length > 0 ? html`<section class="card"><h2>Arguments</h2><dl class="stats">${args.map(([k, v]) => html`<dt>${k}</dt><dd>${value(v)}</dd>`)}</dl></section>` : ''}
${rel.children.length > 0 ? html`<section class="card"><h2>Steps</h2>${runsTable(rel.children)}</section>` : ''}`,
  );
}
