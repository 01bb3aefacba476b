/**
 * Charts drawn on the server as inline SVG: they show with JavaScript off and
 * need no front-end library. Each mark carries a <title>, the browser's own
 * tooltip, with its exact figure.
 */
import { html, type Html } from './html.js';

const WIDTH = 720;
const HEIGHT = 220;
const PAD = { left: 56, right: 12, top: 12, bottom: 36 };
const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d'];

export const compact = (n: number) => new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 }).format(n);

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** A round upper bound for an axis (1, 2 or 5 × 10^k). */
function niceMax(max: number): number {
  if (max <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((m) => m * step).find((v) => v >= max)!;
}

function frame(label: string, yMax: string, yMid: string, body: Html, xLabels: Html): Html {
  const plotBottom = HEIGHT - PAD.bottom;
  const mid = PAD.top + (plotBottom - PAD.top) / 2;
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${label}" xmlns="http://www.w3.org/2000/svg">
<line x1="${PAD.left}" y1="${plotBottom}" x2="${WIDTH - PAD.right}" y2="${plotBottom}" class="axis"/>
<line x1="${PAD.left}" y1="${PAD.top}" x2="${WIDTH - PAD.right}" y2="${PAD.top}" class="grid"/>
<line x1="${PAD.left}" y1="${mid}" x2="${WIDTH - PAD.right}" y2="${mid}" class="grid"/>
<text x="${PAD.left - 6}" y="${PAD.top + 4}" text-anchor="end">${yMax}</text>
<text x="${PAD.left - 6}" y="${mid + 4}" text-anchor="end">${yMid}</text>
<text x="${PAD.left - 6}" y="${plotBottom + 4}" text-anchor="end">0</text>
${body}${xLabels}</svg>`;
}

export interface Bar {
  label: string;
  value: number;
  /** The tooltip; the label and value when absent. */
  title?: string;
}

/** One bar per item (a day, say), labels under every few bars so they never overlap. */
export function barChart(label: string, bars: Bar[], noun: string): Html {
  if (bars.length === 0) return html`<p class="empty">No ${noun} yet.</p>`;
  const max = niceMax(Math.max(...bars.map((b) => b.value)));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / bars.length;
  const every = Math.ceil(bars.length / 10);
  const body = bars.map((b, i) => {
    const h = (b.value / max) * plotH;
    const x = PAD.left + i * slot + slot * 0.1;
    return html`<rect class="bar" x="${x.toFixed(1)}" y="${(PAD.top + plotH - h).toFixed(1)}" width="${(slot * 0.8).toFixed(1)}" height="${h.toFixed(1)}"><title>${b.title ?? `${b.label}: ${b.value.toLocaleString('en')} ${noun}`}</title></rect>`;
  });
  const labels = bars.map((b, i) =>
    i % every === 0
      ? html`<text x="${(PAD.left + i * slot + slot / 2).toFixed(1)}" y="${HEIGHT - PAD.bottom + 16}" text-anchor="middle">${b.label}</text>`
      : '',
  );
  return frame(label, compact(max), compact(max / 2), html`${body}`, html`${labels}`);
}

export interface Point {
  series: string;
  at: Date;
  value: number;
  title: string;
  /** A link the point opens (a run's detail). */
  href?: string;
}

/** Points over time, one colour per series, with a legend; y from 0 to a round maximum. */
export function timeChart(label: string, points: Point[], formatY: (v: number) => string, noun: string): Html {
  if (points.length === 0) return html`<p class="empty">No ${noun} yet.</p>`;
  const series = [...new Set(points.map((p) => p.series))].sort();
  const colour = new Map(series.map((s, i) => [s, PALETTE[i % PALETTE.length]!]));
  const t0 = Math.min(...points.map((p) => p.at.getTime()));
  const t1 = Math.max(...points.map((p) => p.at.getTime()));
  const span = Math.max(1, t1 - t0);
  const max = niceMax(Math.max(...points.map((p) => p.value)));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const marks = points.map((p) => {
    const x = PAD.left + ((p.at.getTime() - t0) / span) * plotW;
    const y = PAD.top + plotH - (p.value / max) * plotH;
    const dot = html`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3.5" fill="${colour.get(p.series)!}"><title>${p.title}</title></circle>`;
    return p.href ? html`<a href="${p.href}">${dot}</a>` : dot;
  });
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  const xLabels = html`<text x="${PAD.left}" y="${HEIGHT - PAD.bottom + 16}">${day(t0)}</text><text x="${WIDTH - PAD.right}" y="${HEIGHT - PAD.bottom + 16}" text-anchor="end">${day(t1)}</text>`;
  const legend = series.map((s) => html`<span class="key"><i style="background:${colour.get(s)!}"></i>${s}</span>`);
  return html`${frame(label, formatY(max), formatY(max / 2), html`${marks}`, xLabels)}<div class="legend">${legend}</div>`;
}
