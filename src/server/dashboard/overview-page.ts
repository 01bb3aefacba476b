/** The dashboard's front page: every task, the tracking pipeline, and two charts. */
import type { EventsDay } from '../../db/queries/tracking-status.js';
import type { Overview } from '../../tasks/overview.js';
import type { TrackingSummary } from '../../tasks/tracking/status-summary.js';
import { barChart, formatDuration, timeChart } from './charts.js';
import { html, type Html } from './html.js';
import { ago, page, statusBadge, time } from './layout.js';
import { runsTable, type RunRow } from './runs-page.js';

export interface OverviewData {
  now: Date;
  overview: Overview;
  tracking: TrackingSummary | null;
  /** Why the tracking figures are missing, when they are. */
  trackingError: string | null;
  eventsPerDay: EventsDay[];
  /** Why the events per day are missing, when they are (never shown as "no events"). */
  eventsError: string | null;
  durations: Array<{ task: string; run_id: string; status: string; started_at: Date; duration_ms: number | null }>;
  recentRuns: RunRow[];
  days: number;
}

function tasksTable(data: OverviewData): Html {
  const { now } = data;
  const rows = data.overview.tasks.map((t) => {
    const last = t.last_run;
    const running = t.running.map((r) => html`<a href="/runs/${encodeURIComponent(r.run_id)}">${statusBadge('running')}</a> `);
    return html`<tr data-task="${t.task}">
<td class="wrap"><a href="/runs?task=${encodeURIComponent(t.task)}">${t.task}</a><div class="muted">${t.summary}</div></td>
<td>${t.enabled ? 'yes' : html`<span class="muted">no</span>`}</td>
<td>${last ? html`<a href="/runs/${encodeURIComponent(last.run_id)}">${statusBadge(last.status)}</a>` : html`<span class="muted">never run</span>`}</td>
<td>${last ? html`${time(last.started_at)}<div class="muted">${ago(last.started_at, now)}</div>` : ''}</td>
<td class="num">${last?.duration_ms != null ? formatDuration(last.duration_ms) : ''}</td>
<td>${t.next_due ? html`${time(t.next_due.at)}<div class="muted">${ago(t.next_due.at, now)} · ${t.next_due.by === t.task ? '' : `by ${t.next_due.by} · `}${t.next_due.cron}${t.next_due.time_zone === 'UTC' ? '' : ` ${t.next_due.time_zone}`}</div>` : html`<span class="muted">not scheduled</span>`}</td>
<td>${running.length > 0 ? running : html`<span class="muted">–</span>`}</td>
</tr>`;
  });
  return html`<table id="tasks"><thead><tr><th>Task</th><th>Enabled</th><th>Last run</th><th>Started</th><th class="num">Duration</th><th>Next due</th><th>Running now</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function trackingFigures(t: TrackingSummary): Html {
  const figure = (label: string, value: string | number, id: string) =>
    html`<div><dt>${label}</dt><dd id="${id}">${typeof value === 'number' ? value.toLocaleString('en') : value}</dd></div>`;
  const reasons = Object.entries(t.quarantined_by_reason);
  return html`<dl class="figures">
${figure('Raw', t.raw, 'fig-raw')}${figure('Staged', t.staged, 'fig-staged')}${figure('Quarantined', t.quarantined, 'fig-quarantined')}
${figure('Duplicates', t.duplicates, 'fig-duplicates')}${figure('Bots', t.bots, 'fig-bots')}${figure('Pending', t.pending, 'fig-pending')}
${figure('In business facts', t.in_business, 'fig-business')}${figure('Lag', t.lag_seconds === 0 ? 'none' : formatDuration(t.lag_seconds * 1000), 'fig-lag')}
${figure('Completion', `${(t.completion_rate * 100).toFixed(2)} %`, 'fig-completion')}
</dl>
<p class="muted">Latest arrival ${time(t.latest_received_at)} · latest event time ${time(t.latest_event_time)}${t.recovered > 0 ? ` · ${t.recovered} recovered from quarantine` : ''}</p>
${
  reasons.length > 0
    ? html`<table id="quarantine-reasons"><thead><tr><th>Quarantined by reason</th><th class="num">Events</th></tr></thead><tbody>${reasons.map(
        ([reason, n]) => html`<tr><td>${reason}</td><td class="num">${n.toLocaleString('en')}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">Nothing in quarantine.</p>`
}`;
}

export function overviewPage(data: OverviewData): string {
  const { overview } = data;
  const problems = [
    overview.schedule_error ? html`<p class="error">Schedules: ${overview.schedule_error}</p>` : '',
    ...overview.task_errors.map((e) => html`<p class="error">Task module ${e.file}: ${e.error}</p>`),
  ];
  const days = data.eventsPerDay.map((d) => ({
    label: d.day.slice(5),
    value: d.events,
    title: `${d.day}: ${d.events.toLocaleString('en')} events, ${d.page_views.toLocaleString('en')} page views, ${d.sessions.toLocaleString('en')} sessions`,
  }));
  const points = data.durations
    .filter((r) => r.duration_ms !== null)
    .map((r) => ({
      series: r.task,
      at: new Date(r.started_at),
      value: r.duration_ms!,
      title: `${r.task} ${r.status}, ${formatDuration(r.duration_ms!)}, ${new Date(r.started_at).toISOString()}`,
      href: `/runs/${encodeURIComponent(r.run_id)}`,
    }));
  return page(
    'Overview',
    'overview',
    html`<h1>Overview</h1>${problems}
<section class="card"><h2>Tasks</h2>${tasksTable(data)}</section>
<section class="card"><h2>Tracking pipeline</h2>${data.tracking ? trackingFigures(data.tracking) : html`<p class="empty">${data.trackingError ?? 'No figures.'}</p>`}
<h2>Events per day <span class="muted">(business facts, last ${data.days} days)</span></h2>${data.eventsError ? html`<p class="error">${data.eventsError}</p>` : barChart('Events per day', days, 'events')}</section>
<section class="card"><h2>Run durations <span class="muted">(last ${data.days} days)</span></h2>${timeChart('Run durations over time', points, formatDuration, 'finished runs')}</section>
<section class="card"><h2>Latest runs</h2>${runsTable(data.recentRuns)}<p><a href="/runs">All runs, with filters →</a></p></section>`,
  );
}
