/**
 * The location APIs, simulated: the slug list (three shapes, paged or not)
 * and one center's details per slug, with fault knobs. Faults are decided by
 * a seeded draw per (slug, attempt), so a configuration always fails the same
 * requests.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { delay, sendJson, startSimServer, trickle } from './http-sim.js';
import { draw, seededCenters, type SimCenter } from './seed.js';

export interface LocationSimOptions {
  centers?: number;
  seed?: number;
  latencyMs?: number;
  /** Share of detail requests answered 503. */
  errorRate?: number;
  /** Share of detail requests answered 429 with Retry-After. */
  rateLimitRate?: number;
  retryAfterSeconds?: number;
  /** Share of detail requests that never answer (held until the client gives up). */
  timeoutRate?: number;
  /** Share of detail requests whose body trickles in (headers at once, then a byte every trickleIntervalMs). */
  trickleRate?: number;
  /** These slugs' detail requests always trickle. */
  trickleSlugs?: string[];
  trickleIntervalMs?: number;
  /** Share of detail records that are malformed (no center_id, or not JSON at all). */
  malformedRate?: number;
  /** Every slug's first N detail requests answer 503. */
  failFirst?: number;
  slugFormat?: 'array' | 'slugs' | 'data';
  /** Page the slug list: `next` links (array/slugs) or page/total_pages (data). */
  slugPageSize?: number;
  /** Record under "data", at the top level, or alternating with variant field names. */
  detailShape?: 'wrapped' | 'top' | 'mixed';
  /** Listed slugs with no record (the detail answers 404): hostile names go here. */
  extraSlugs?: string[];
  /** Slugs left out of the list (a center gone from the API). */
  removeSlugs?: string[];
  /** Required as X-API-Key or Authorization: Bearer when set. */
  apiKey?: string;
}

export interface LocationSimStats {
  slugRequests: number;
  detailRequests: number;
  byStatus: Record<string, number>;
  perSlug: Record<string, number>;
}

export interface LocationSim {
  baseUrl: string;
  slugApiUrl: string;
  dataApiUrl: string;
  readonly centers: SimCenter[];
  setOptions(patch: Partial<LocationSimOptions>): void;
  stats(): LocationSimStats;
  close(): Promise<void>;
}

const DEFAULTS: Required<Omit<LocationSimOptions, 'apiKey' | 'slugPageSize'>> = {
  centers: 25,
  seed: 42,
  latencyMs: 0,
  errorRate: 0,
  rateLimitRate: 0,
  retryAfterSeconds: 1,
  timeoutRate: 0,
  trickleRate: 0,
  trickleSlugs: [],
  trickleIntervalMs: 1000,
  malformedRate: 0,
  failFirst: 0,
  slugFormat: 'slugs',
  detailShape: 'mixed',
  extraSlugs: [],
  removeSlugs: [],
};

/** The record as the API would send it, in the shape and field names chosen for this center. */
function detailBody(center: SimCenter, index: number, shape: LocationSimOptions['detailShape']): unknown {
  if (shape === 'wrapped') return { data: center };
  if (shape === 'top') return center;
  // mixed: alternate wrappers and the variant names upstreams.md allows.
  const { center_id, center_name, zip_code, country, radius, ...rest } = center;
  const variant = index % 4;
  const record: Record<string, unknown> = { ...rest };
  record[variant === 1 ? 'id' : 'center_id'] = center_id;
  record[variant === 2 ? 'name' : 'center_name'] = center_name;
  record[variant === 1 ? 'zip' : variant === 3 ? 'postal_code' : 'zip_code'] = zip_code;
  if (variant !== 3) {
    record.country = country;
    record.radius = radius;
  }
  return index % 2 === 0 ? { data: record } : record;
}

export async function startLocationSim(initial: LocationSimOptions & { port?: number; host?: string } = {}): Promise<LocationSim> {
  let options = { ...DEFAULTS, ...initial };
  let centers = seededCenters(options.centers, options.seed);
  const counters: LocationSimStats = { slugRequests: 0, detailRequests: 0, byStatus: {}, perSlug: {} };
  const count = (status: number) => (counters.byStatus[status] = (counters.byStatus[status] ?? 0) + 1);
  const reply = (res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>) => {
    count(status);
    sendJson(res, status, body, headers);
  };

  const authorised = (req: IncomingMessage) =>
    !options.apiKey || req.headers['x-api-key'] === options.apiKey || req.headers.authorization === `Bearer ${options.apiKey}`;

  const listed = () => [...centers.map((c) => c.slug).filter((s) => !options.removeSlugs.includes(s)), ...options.extraSlugs];

  function slugList(res: ServerResponse, url: URL, base: string) {
    counters.slugRequests += 1;
    const all = listed();
    // A bare array cannot carry `next` or `page`, so paging it would silently
    // hide slugs from every client: the array shape is always one page.
    const size = options.slugFormat === 'array' ? undefined : options.slugPageSize;
    const page = Math.max(1, Number.parseInt(url.searchParams.get('page') ?? '1', 10) || 1);
    const slice = size ? all.slice((page - 1) * size, page * size) : all;
    const totalPages = size ? Math.max(1, Math.ceil(all.length / size)) : 1;
    const next = size && page < totalPages ? `${base}/locations/slugs?page=${page + 1}` : undefined;
    if (options.slugFormat === 'array') return reply(res, 200, slice);
    if (options.slugFormat === 'data') {
      return reply(res, 200, { data: slice.map((slug) => ({ slug })), ...(size ? { page, total_pages: totalPages } : {}) });
    }
    return reply(res, 200, { slugs: slice, ...(next ? { next } : {}) });
  }

  async function detail(res: ServerResponse, rawSlug: string) {
    counters.detailRequests += 1;
    let slug: string;
    try {
      slug = decodeURIComponent(rawSlug);
    } catch {
      return reply(res, 400, { error: 'bad slug encoding' });
    }
    const attempt = (counters.perSlug[slug] ?? 0) + 1;
    counters.perSlug[slug] = attempt;
    const index = centers.findIndex((c) => c.slug === slug);
    if (index < 0) return reply(res, 404, { error: 'not found' });
    const seed = options.seed;
    if (attempt <= options.failFirst) return reply(res, 503, { error: 'service unavailable' });
    if (draw(seed, 'timeout', slug, attempt) < options.timeoutRate) return; // never answer
    if (options.trickleSlugs.includes(slug) || draw(seed, 'trickle', slug, attempt) < options.trickleRate) {
      count(200);
      return trickle(res, 200, detailBody(centers[index], index, options.detailShape), options.trickleIntervalMs);
    }
    if (draw(seed, '429', slug, attempt) < options.rateLimitRate)
      return reply(res, 429, { error: 'too many requests' }, { 'retry-after': String(options.retryAfterSeconds) });
    if (draw(seed, '5xx', slug, attempt) < options.errorRate) return reply(res, 503, { error: 'service unavailable' });
    // Malformed is a property of the record, not of the attempt: retries do not fix it.
    if (draw(seed, 'malformed', slug) < options.malformedRate) {
      if (index % 2 === 0) return reply(res, 200, '<html>upstream proxy error</html>', { 'content-type': 'text/html' });
      const { center_id: _dropped, ...rest } = centers[index];
      return reply(res, 200, { data: rest });
    }
    return reply(res, 200, detailBody(centers[index], index, options.detailShape));
  }

  const server = await startSimServer(
    async (req, res) => {
      await delay(options.latencyMs);
      if (!authorised(req)) return reply(res, 401, { error: 'invalid API key' });
      const url = new URL(req.url ?? '/', 'http://sim');
      if (req.method === 'GET' && url.pathname === '/locations/slugs') return slugList(res, url, server.baseUrl);
      // Match the raw path: URL parsing would resolve an encoded "%2E%2E"
      // segment as "..", and the slug must be looked up exactly as sent.
      const rawPath = (req.url ?? '/').split('?')[0];
      const match = /^\/location\/data\/slug\/(.+)$/.exec(rawPath);
      if (req.method === 'GET' && match) return detail(res, match[1]);
      return reply(res, 404, { error: 'no such route' });
    },
    {
      setOptions: (patch) => sim.setOptions(patch as Partial<LocationSimOptions>),
      stats: () => sim.stats(),
    },
    initial,
  );

  const sim: LocationSim = {
    baseUrl: server.baseUrl,
    slugApiUrl: `${server.baseUrl}/locations/slugs`,
    dataApiUrl: `${server.baseUrl}/location/data`,
    get centers() {
      return centers;
    },
    setOptions(patch) {
      const reseed = (patch.centers !== undefined && patch.centers !== options.centers) || (patch.seed !== undefined && patch.seed !== options.seed);
      options = { ...options, ...patch };
      if (reseed) centers = seededCenters(options.centers, options.seed);
      // New faults apply from the first attempt again.
      counters.perSlug = {};
    },
    stats: () => structuredClone(counters),
    close: () => server.close(),
  };
  return sim;
}
