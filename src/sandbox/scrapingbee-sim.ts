/**
 * ScrapingBee's API, simulated over the seeded pages: 200 with HTML, 301/302
 * followed (Spb-initial-status-code, Spb-resolved-url), 404 and 500 passed
 * through, slow pages, and the API's own 401 for a wrong key. It counts the
 * fetches of every URL.
 */
import type { ServerResponse } from 'node:http';
import { delay, sendJson, startSimServer } from './http-sim.js';
import type { SimPage } from './catalogue-seed.js';

export interface ScrapingBeeSimOptions {
  latencyMs?: number;
  /** How long a slow page takes. */
  slowMs?: number;
  /** false: the pages seeded to answer 404/500 answer 200 (a world without broken pages). */
  brokenPages?: boolean;
  /** false: the pages seeded to redirect answer 200 at their own URL. */
  redirects?: boolean;
  apiKey?: string;
}

export interface ScrapingBeeSim {
  apiUrl: string;
  setOptions(patch: Partial<ScrapingBeeSimOptions>): void;
  stats(): { requests: number; perUrl: Record<string, number>; maxConcurrent: number };
  resetStats(): void;
  close(): Promise<void>;
}

function html(res: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
  res.end(body);
}

function pageHtml(p: SimPage): string {
  return `<!doctype html><html><head><title>${p.title} | Example Spa</title>
<meta name="description" content="Book ${p.title.toLowerCase()} at Example Spa."></head>
<body><nav>Home · Services · Gift cards</nav><h1>${p.title}</h1>
<p>Kind: ${p.kind}. City: ${p.city}. Our ${p.title.toLowerCase()} is loved by locals.</p>
<script>var tracking = true;</script><footer>© Example Spa</footer></body></html>`;
}

export async function startScrapingBeeSim(pages: SimPage[], initial: ScrapingBeeSimOptions & { host?: string; port?: number } = {}): Promise<ScrapingBeeSim> {
  let options: ScrapingBeeSimOptions = { latencyMs: 0, slowMs: 1500, brokenPages: true, redirects: true, ...initial };
  const byUrl = new Map(pages.map((p) => [p.url, p]));
  let counters = { requests: 0, perUrl: {} as Record<string, number>, maxConcurrent: 0 };
  let inFlight = 0;

  const server = await startSimServer(
    async (req, res) => {
      counters.requests += 1;
      inFlight += 1;
      counters.maxConcurrent = Math.max(counters.maxConcurrent, inFlight);
      try {
        const query = new URL(req.url ?? '/', 'http://sim').searchParams;
        await delay(options.latencyMs ?? 0);
        if (options.apiKey && query.get('api_key') !== options.apiKey) return sendJson(res, 401, { message: 'Invalid API key' });
        const target = query.get('url') ?? '';
        if (!target) return sendJson(res, 400, { message: 'url is required' });
        counters.perUrl[target] = (counters.perUrl[target] ?? 0) + 1;
        const page = byUrl.get(target);
        if (!page) return html(res, 404, '<html><body>Not Found</body></html>', { 'spb-initial-status-code': '404', 'spb-resolved-url': target });
        if (page.slow) await delay(options.slowMs ?? 0);
        if ((page.fetch === 404 || page.fetch === 500) && options.brokenPages)
          return html(res, page.fetch, `<html><body>Error ${page.fetch}</body></html>`, {
            'spb-initial-status-code': String(page.fetch),
            'spb-resolved-url': target,
          });
        if ((page.fetch === 301 || page.fetch === 302) && options.redirects) {
          const moved = `${target}-moved`;
          return html(res, 200, `<html><head><title>Moved</title></head><body><h1>Now at ${moved}</h1></body></html>`, {
            'spb-initial-status-code': String(page.fetch),
            'spb-resolved-url': moved,
          });
        }
        return html(res, 200, pageHtml(page), { 'spb-initial-status-code': '200', 'spb-resolved-url': target });
      } finally {
        inFlight -= 1;
      }
    },
    { setOptions: (p) => sim.setOptions(p as Partial<ScrapingBeeSimOptions>), stats: () => sim.stats() },
    initial,
  );

  const sim: ScrapingBeeSim = {
    apiUrl: `${server.baseUrl}/api/v1/`,
    setOptions(p) {
      options = { ...options, ...p };
    },
    stats: () => structuredClone(counters),
    resetStats() {
      counters = { requests: 0, perUrl: {}, maxConcurrent: 0 };
    },
    close: () => server.close(),
  };
  return sim;
}
