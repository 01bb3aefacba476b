/**
 * The crawler's GraphQL endpoint, simulated: `updatedUrls(since, first,
 * after)` over the seeded pages the crawler saw change, cursor-paged, with
 * knobs for latency, an `errors` answer in a 200, and a broken node.
 */
import { delay, sendJson, startSimServer } from './http-sim.js';
import type { SimPage } from './catalogue-seed.js';

export interface CrawlerSimOptions {
  latencyMs?: number;
  /** Answer 200 with {"errors": [{"message": …}], "data": null}. */
  graphqlError?: string;
  /** Add a node without a url. */
  brokenNode?: boolean;
  apiKey?: string;
}

export interface CrawlerSim {
  endpoint: string;
  setOptions(patch: Partial<CrawlerSimOptions>): void;
  /** The crawler sees a page change now, with this status. */
  touch(url: string, statusCode: number): void;
  stats(): { requests: number; sinceAsked: string[] };
  resetStats(): void;
  close(): Promise<void>;
}

const HOUR = 3_600_000;

export async function startCrawlerSim(pages: SimPage[], initial: CrawlerSimOptions & { host?: string; port?: number } = {}): Promise<CrawlerSim> {
  let options: CrawlerSimOptions = { latencyMs: 0, ...initial };
  const started = Date.now();
  const nodes = pages
    .filter((p) => p.crawlerUpdatedHoursAgo !== undefined)
    .map((p) => ({
      url: p.url,
      statusCode: p.fetch === 301 || p.fetch === 302 ? p.fetch : 200,
      updatedAt: new Date(started - p.crawlerUpdatedHoursAgo! * HOUR).toISOString(),
    }));
  let counters = { requests: 0, sinceAsked: [] as string[] };

  const server = await startSimServer(
    async (req, res, raw) => {
      counters.requests += 1;
      await delay(options.latencyMs ?? 0);
      if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) return sendJson(res, 401, { errors: [{ message: 'Unauthorized' }] });
      if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/graphql') return sendJson(res, 404, { errors: [{ message: 'Not found' }] });
      let body: { query?: string; variables?: { since?: string; first?: number; after?: string | null } };
      try {
        body = JSON.parse(raw);
      } catch {
        return sendJson(res, 400, { errors: [{ message: 'Body is not JSON' }] });
      }
      if (options.graphqlError) return sendJson(res, 200, { errors: [{ message: options.graphqlError, path: ['updatedUrls'] }], data: null });
      if (!body.query?.includes('updatedUrls')) return sendJson(res, 200, { errors: [{ message: 'Cannot query this field' }] });
      const since = Date.parse(body.variables?.since ?? '');
      if (Number.isNaN(since)) return sendJson(res, 200, { errors: [{ message: 'Variable "$since" of required type "DateTime!" was not provided.' }] });
      counters.sinceAsked.push(body.variables!.since!);
      const first = Math.min(100, Math.max(1, body.variables?.first ?? 50));
      const matching = nodes.filter((n) => Date.parse(n.updatedAt) >= since).sort((a, b) => a.url.localeCompare(b.url));
      const start = body.variables?.after ? Number(Buffer.from(body.variables.after, 'base64').toString().replace('cursor:', '')) : 0;
      const slice: Array<Record<string, unknown>> = matching.slice(start, start + first);
      if (options.brokenNode && start === 0) slice.push({ url: null, statusCode: 200, updatedAt: new Date().toISOString() });
      const more = start + first < matching.length;
      return sendJson(res, 200, {
        data: {
          updatedUrls: {
            nodes: slice,
            pageInfo: { hasNextPage: more, endCursor: more ? Buffer.from(`cursor:${start + first}`).toString('base64') : null },
          },
        },
      });
    },
    { setOptions: (p) => sim.setOptions(p as Partial<CrawlerSimOptions>), stats: () => sim.stats() },
    initial,
  );

  const sim: CrawlerSim = {
    endpoint: `${server.baseUrl}/graphql`,
    setOptions(p) {
      options = { ...options, ...p };
    },
    touch(url, statusCode) {
      const node = { url, statusCode, updatedAt: new Date().toISOString() };
      const i = nodes.findIndex((n) => n.url === url);
      if (i >= 0) nodes[i] = node;
      else nodes.push(node);
    },
    stats: () => structuredClone(counters),
    resetStats() {
      counters = { requests: 0, sinceAsked: [] };
    },
    close: () => server.close(),
  };
  return sim;
}
