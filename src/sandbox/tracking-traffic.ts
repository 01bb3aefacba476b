/**
 * Realistic, seeded site-tracking traffic as NDJSON lines: for N customers,
 * visitor sessions of page views (campaign parameters on some landings),
 * clicks, form submissions and conversions with a value; bots; redeliveries
 * (the same event sent twice); late events (for an earlier day, sent now);
 * clock-skewed clients (sent_at given); and a share of bad events of every
 * kind the pipeline must quarantine. The same seed gives the same lines.
 */
import { prng } from './seed.js';

export interface TrafficOptions {
  customers?: number;
  /** Sessions per customer. */
  sessions?: number;
  /** The day the traffic happens on (UTC midnight of it is used). */
  day?: string;
  seed?: number;
  botRate?: number;
  redeliveryRate?: number;
  lateRate?: number;
  badRate?: number;
  /** Share of sessions whose client clock is off (they send sent_at). */
  skewRate?: number;
}

const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0',
];
const BOTS = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)',
];
const PAGES = [
  '/',
  '/services',
  '/services/massage',
  '/services/facial',
  '/pricing',
  '/about',
  '/contact',
  '/book',
  '/blog',
  '/blog/spring-offers',
  '/gift-cards',
];
const CAMPAIGNS = [
  '?utm_source=google&utm_medium=cpc&utm_campaign=spring&gclid=',
  '?utm_source=facebook&utm_medium=social&utm_campaign=spring&fbclid=',
  '?utm_source=newsletter&utm_medium=email&utm_campaign=november',
];
const REFERRERS = ['https://www.google.com/', 'https://www.facebook.com/', 'https://duckduckgo.com/', ''];

/** The kinds of bad event the generator makes (each maps to one quarantine reason). */
const BAD: Array<(e: Record<string, any>, r: () => number) => unknown> = [
  (e) => ({ ...e, event_id: undefined }), // missing_field
  (e) => ({ ...e, occurred_at: 'yesterday' }), // invalid_time
  (e) => ({ ...e, occurred_at: 1767225600 }), // wrong_type
  (e) => ({ ...e, properties: { value: 'ninety' } }), // wrong_type properties.value
  (e) => ({ ...e, colour: 'blue' }), // unknown_field
  (e) => ({ ...e, page_url: 'javascript:alert(1)' }), // invalid_url
  (e) => ({ ...e, user_agent: 'x'.repeat(5000) }), // too_large
  (e) => ({ ...e, occurred_at: '2031-01-01T00:00:00Z' }), // future_time
  () => [1, 2, 3], // not_object
  (e) => `${JSON.stringify(e).slice(0, -5)}`, // not_json (a truncated line)
];

const iso = (ms: number) => new Date(ms).toISOString();

export function* trackingTraffic(options: TrafficOptions = {}): Generator<string> {
  const o = {
    customers: 3,
    sessions: 50,
    day: '2026-11-20',
    seed: 1,
    botRate: 0.05,
    redeliveryRate: 0.02,
    lateRate: 0.02,
    badRate: 0.01,
    skewRate: 0,
    ...options,
  };
  const r = prng(o.seed);
  const dayStart = Date.parse(`${o.day}T00:00:00Z`);
  const pick = <T>(list: readonly T[]) => list[Math.floor(r() * list.length)];
  const id = () => Math.floor(r() * 2 ** 48).toString(36);
  for (let c = 0; c < o.customers; c++) {
    const customer = `cust_${c + 1}`;
    const origin = `https://www.site-${c + 1}.example`;
    for (let s = 0; s < o.sessions; s++) {
      const bot = r() < o.botRate;
      const late = r() < o.lateRate;
      const skewMs = r() < o.skewRate ? Math.round((r() - 0.5) * 4 * 3600_000) : 0;
      const session = `sess_${id()}`;
      const anon = `anon_${id()}`;
      const ua = bot ? pick(BOTS) : pick(BROWSERS);
      let t = dayStart - (late ? 86_400_000 : 0) + Math.floor(r() * 86_000_000);
      const views = 1 + Math.floor(r() ** 2 * 7);
      const campaign = r() < 0.3 ? pick(CAMPAIGNS) : '';
      const referrer = pick(REFERRERS);
      for (let v = 0; v < views; v++) {
        const path = v === 0 ? pick(PAGES) : pick(PAGES);
        const query = v === 0 && campaign ? campaign + (campaign.endsWith('=') ? id() : '') : '';
        const base = { customer_id: customer, session_id: session, anonymous_id: anon, user_agent: ua };
        const events: Array<Record<string, any>> = [
          {
            ...base,
            event_id: `evt_${id()}`,
            event_type: 'page_view',
            occurred_at: iso(t),
            page_url: `${origin}${path}${query}`,
            referrer: v === 0 ? referrer : `${origin}/`,
          },
        ];
        if (r() < 0.3)
          events.push({
            ...base,
            event_id: `evt_${id()}`,
            event_type: 'click',
            occurred_at: iso(t + 5_000),
            page_url: `${origin}${path}`,
            properties: { target: 'cta' },
          });
        if (path === '/contact' && r() < 0.5)
          events.push({ ...base, event_id: `evt_${id()}`, event_type: 'form_submit', occurred_at: iso(t + 20_000), page_url: `${origin}${path}` });
        if (path === '/book' && r() < 0.6) {
          events.push({
            ...base,
            event_id: `evt_${id()}`,
            event_type: 'appointment_booked',
            occurred_at: iso(t + 30_000),
            page_url: `${origin}${path}`,
            properties: { service_type: 'massage', value: 60 + Math.floor(r() * 12) * 10 },
          });
        }
        for (const e of events) {
          if (skewMs !== 0) {
            // A client clock off by skewMs: both times it writes are off; the pipeline corrects by sent_at.
            e.occurred_at = iso(Date.parse(e.occurred_at) + skewMs);
            e.sent_at = iso(Date.parse(e.occurred_at) + 2_000);
          }
          const bad = r() < o.badRate;
          const line = bad ? pick(BAD)(e, r) : e;
          yield typeof line === 'string' ? line : JSON.stringify(line);
          if (!bad && r() < o.redeliveryRate) yield JSON.stringify(e);
        }
        t += 10_000 + Math.floor(r() * 240_000);
      }
    }
  }
}
