/** The human summary of a run, printed after it ends. */
import type { ChalkInstance } from 'chalk';
import prettyMilliseconds from 'pretty-ms';
import type { RunSummary } from '../core/run-record.js';

const ICON: Record<RunSummary['status'], string> = { success: '✔', partial: '▲', failed: '✖', skipped: '○', interrupted: '■' };

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  // Two units at most ("1m 59s", "2h 1m"), tenths of a second only under a minute.
  return prettyMilliseconds(ms, { unitCount: 2, secondsDecimalDigits: ms < 60_000 ? 1 : 0 });
}

/** "5m ago" for a past instant; "never" for none. */
export function ago(date: Date | null | undefined, now = Date.now()): string {
  if (!date) return 'never';
  const s = Math.round((now - new Date(date).getTime()) / 1000);
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86_400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86_400)}d ago`;
}

/** "fetched 25 · inserted 3 · updated 1" from a stats object (numbers first, nested objects left out). */
export function formatStats(stats: Record<string, unknown> | null | undefined): string {
  if (!stats) return '';
  return Object.entries(stats)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean')
    .map(([k, v]) => `${k.replace(/_/g, ' ')} ${v}`)
    .join(' · ');
}

export function colorStatus(c: ChalkInstance, status: string, text = status): string {
  const paint =
    status === 'success'
      ? c.green
      : status === 'partial' || status === 'interrupted'
        ? c.yellow
        : status === 'skipped'
          ? c.gray
          : status === 'running'
            ? c.cyan
            : c.red;
  return paint(text);
}

export function formatSummary(summary: RunSummary, c: ChalkInstance): string {
  const lines = [
    `${colorStatus(c, summary.status, `${ICON[summary.status]} ${summary.task}`)} ${colorStatus(c, summary.status)} in ${formatDuration(summary.duration_ms)} ${c.gray(`run ${summary.run_id} · exit ${summary.exit_code}`)}`,
  ];
  const stats = formatStats(summary.stats);
  if (stats) lines.push(`  ${stats}`);
  if (summary.error) lines.push(`  ${c.red(summary.error)}`);
  if (summary.failure_count > 0) {
    lines.push(`  ${summary.failure_count} failed item(s):`);
    for (const f of summary.failures.slice(0, 10)) lines.push(`    - ${f.item}: ${f.reason}`);
    if (summary.failure_count > 10) lines.push(c.gray(`    … ${summary.failure_count - 10} more: ops logs --task ${summary.task} --json`));
  }
  for (const note of summary.notes) lines.push(`  ${note}`);
  return lines.join('\n');
}
