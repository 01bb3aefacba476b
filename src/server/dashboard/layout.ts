/**
 * The dashboard's frame: one stylesheet inline, one small script served
 * beside it (/dashboard.js, the only script the page's CSP allows). Every page
 * is whole without the script: it only submits the filters when a choice
 * changes and shows times in the reader's own time zone.
 */
import { html, trusted, type Html } from './html.js';

const STYLE = `
:root { color-scheme: light; --fg:#111827; --muted:#6b7280; --line:#e5e7eb; --bg:#f9fafb; --accent:#2563eb; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:var(--bg); }
header { background:#111827; color:#fff; padding:10px 24px; display:flex; gap:24px; align-items:center; }
header a { color:#d1d5db; text-decoration:none; } header a[aria-current] { color:#fff; font-weight:600; }
header .brand { font-weight:700; color:#fff; }
main { padding:16px 24px 48px; max-width:1280px; }
h1 { font-size:20px; margin:8px 0 16px; } h2 { font-size:16px; margin:24px 0 8px; } section.card > h2:first-child { margin-top:4px; }
section.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px 16px; margin-bottom:16px; overflow-x:auto; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:6px 10px; border-bottom:1px solid var(--line); vertical-align:top; white-space:nowrap; }
td.wrap { white-space:normal; max-width:480px; overflow-wrap:anywhere; }
th { font-weight:600; color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.03em; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
a { color:var(--accent); }
.status { display:inline-block; padding:1px 8px; border-radius:999px; font-size:12px; font-weight:600; background:#e5e7eb; }
.status.success, .status.completed { background:#dcfce7; color:#166534; } .status.failed { background:#fee2e2; color:#991b1b; }
.status.partial { background:#fef3c7; color:#92400e; } .status.running { background:#dbeafe; color:#1e40af; }
.status.interrupted { background:#fce7f3; color:#9d174d; } .status.skipped { background:#f3f4f6; color:#374151; }
.muted { color:var(--muted); } .empty { color:var(--muted); font-style:italic; }
.figures { display:grid; grid-template-columns:repeat(auto-fill, minmax(150px, 1fr)); gap:8px; margin:0; }
.figures div { border:1px solid var(--line); border-radius:6px; padding:8px 10px; }
.figures dt { color:var(--muted); font-size:12px; } .figures dd { margin:0; font-size:18px; font-weight:600; font-variant-numeric:tabular-nums; }
form.filters { display:flex; flex-wrap:wrap; gap:12px; align-items:end; margin-bottom:12px; }
form.filters label { display:flex; flex-direction:column; font-size:12px; color:var(--muted); gap:2px; }
form.filters select, form.filters input { font:inherit; padding:4px 6px; }
pre { background:#f3f4f6; padding:10px; border-radius:6px; white-space:pre-wrap; overflow-wrap:anywhere; }
.notice { background:#fef3c7; border:1px solid #fcd34d; padding:8px 12px; border-radius:6px; }
.error { background:#fee2e2; border:1px solid #fca5a5; padding:8px 12px; border-radius:6px; }
svg.chart { width:100%; max-width:720px; height:auto; }
svg.chart text { font-size:11px; fill:var(--muted); }
svg.chart .axis { stroke:#9ca3af; } svg.chart .grid { stroke:var(--line); stroke-dasharray:3 3; }
svg.chart .bar { fill:var(--accent); } svg.chart .bar:hover, svg.chart circle:hover { opacity:.7; }
.legend { display:flex; flex-wrap:wrap; gap:12px; font-size:12px; color:var(--muted); }
.legend i { display:inline-block; width:10px; height:10px; border-radius:50%; margin-right:4px; }
dl.stats { display:grid; grid-template-columns:max-content 1fr; gap:4px 16px; margin:0; }
dl.stats dt { color:var(--muted); } dl.stats dd { margin:0; overflow-wrap:anywhere; }
`;

/** The page's only script: progressive enhancement, nothing depends on it. */
export const DASHBOARD_SCRIPT = `(function () {
  document.querySelectorAll('form.filters select').forEach(function (el) {
    el.addEventListener('change', function () { el.form.submit(); });
  });
  var fmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  document.querySelectorAll('time[datetime]').forEach(function (el) {
    var d = new Date(el.getAttribute('datetime'));
    if (!isNaN(d)) { el.title = el.getAttribute('datetime'); el.textContent = fmt.format(d); }
  });
})();
`;

export type Section = 'overview' | 'runs';

export function page(title: string, current: Section | null, body: Html): string {
  const nav = (section: Section, href: string, label: string) =>
    current === section ? html`<a href="${href}" aria-current="page">${label}</a>` : html`<a href="${href}">${label}</a>`;
  return `<!doctype html>${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ops</title><link rel="icon" href="data:,"><style>${trusted(STYLE)}</style></head>
<body><header><span class="brand">ops</span>${nav('overview', '/', 'Overview')}${nav('runs', '/runs', 'Runs')}</header>
<main>${body}</main><script src="/dashboard.js" defer></script></body></html>`}`;
}

/** A time for people: UTC in the markup (and without JavaScript), the reader's zone with it. */
export function time(at: Date | string | null | undefined): Html {
  if (!at) return html`<span class="muted">–</span>`;
  const d = new Date(at);
  const iso = d.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 19).replace('T', ' ')} UTC</time>`;
}

export function ago(at: Date, now: Date): string {
  const s = Math.round((now.getTime() - at.getTime()) / 1000);
  const abs = Math.abs(s);
  const text =
    abs < 60 ? `${abs} s` : abs < 3600 ? `${Math.round(abs / 60)} min` : abs < 172_800 ? `${Math.round(abs / 3600)} h` : `${Math.round(abs / 86_400)} d`;
  return s >= 0 ? `${text} ago` : `in ${text}`;
}

export const statusBadge = (status: string) => html`<span class="status ${status}">${status}</span>`;
