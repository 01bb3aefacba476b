/**
 * Airtable's REST API, simulated: one base, one table and view of landing
 * pages, read in pages of `pageSize` (at most 100) with `offset`, PATCHed at
 * most 10 records a request. More than 5 requests in any second to the base
 * → 429, and every request for the next `penaltyMs` (30 s, as Airtable) is
 * refused too. It counts the most requests it saw in any one second.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { delay, sendJson, startSimServer } from './http-sim.js';
import type { SimPage } from './catalogue-seed.js';

export interface AirtableSimOptions {
  latencyMs?: number;
  /** Requests per second allowed per base. */
  ratePerSecond?: number;
  /** How long a 429 keeps refusing. */
  penaltyMs?: number;
  /** Records with no URL or a broken one. */
  malformedRecords?: number;
  /** Answer this many next requests 503. */
  failNext?: number;
  apiKey?: string;
  baseId?: string;
  tableId?: string;
  viewId?: string;
}

export interface AirtableSimStats {
  requests: number;
  listRequests: number;
  patchRequests: number;
  patchedRecords: number;
  /** The most requests that arrived within any 1000 ms. */
  maxPerSecond: number;
  rateLimited: number;
  /** Requests that arrived well inside a penalty (more than 50 ms after the 429 that started it): a client that ignored it. */
  arrivedDuringPenalty: number;
  byStatus: Record<string, number>;
}

export interface AirtableSim {
  baseUrl: string;
  baseId: string;
  tableId: string;
  viewId: string;
  setOptions(patch: Partial<AirtableSimOptions>): void;
  /** Records as they are now (PATCHes applied). */
  records(): Array<{ id: string; fields: Record<string, unknown> }>;
  /** Changes a record's fields (a person editing the base). */
  edit(id: string, fields: Record<string, unknown>): void;
  stats(): AirtableSimStats;
  resetStats(): void;
  close(): Promise<void>;
}

const MAX_PAGE = 100;

export async function startAirtableSim(pages: SimPage[], initial: AirtableSimOptions & { host?: string; port?: number } = {}): Promise<AirtableSim> {
  let options = { latencyMs: 0, ratePerSecond: 5, penaltyMs: 30_000, malformedRecords: 0, failNext: 0, ...initial };
  const baseId = options.baseId ?? 'appSandbox0001';
  const tableId = options.tableId ?? 'tblLandingPages';
  const viewId = options.viewId ?? 'viwDaily';
  const records = new Map<string, Record<string, unknown>>();
  const created = new Map<string, string>();
  pages.forEach((p, i) => {
    records.set(p.recordId, { URL: p.airtableUrl, page_status: p.pageStatus, Campaign: `${p.kind} · ${p.city}` });
    created.set(p.recordId, new Date(Date.UTC(2026, 0, 2, 10, 0, i)).toISOString());
  });
  const fresh = (): AirtableSimStats => ({
    requests: 0,
    listRequests: 0,
    patchRequests: 0,
    patchedRecords: 0,
    maxPerSecond: 0,
    rateLimited: 0,
    arrivedDuringPenalty: 0,
    byStatus: {},
  });
  let counters = fresh();
  let arrivals: number[] = [];
  let refusingUntil = 0;
  let penaltyStartedAt = 0;

  const reply = (res: ServerResponse, status: number, body: unknown) => {
    counters.byStatus[status] = (counters.byStatus[status] ?? 0) + 1;
    sendJson(res, status, body);
  };
  const error = (res: ServerResponse, status: number, type: string, message: string) => reply(res, status, { error: { type, message } });

  function malformed(): Array<{ id: string; createdTime: string; fields: Record<string, unknown> }> {
    return Array.from({ length: options.malformedRecords }, (_, i) => ({
      id: `recBroken${i}`,
      createdTime: '2026-01-03T00:00:00.000Z',
      fields: i % 2 === 0 ? { page_status: 'Active' } : { URL: 'not a url at all', page_status: 'Active' },
    }));
  }

  function list(req: IncomingMessage, res: ServerResponse) {
    const query = new URL(req.url ?? '/', 'http://sim').searchParams;
    if (query.get('view') !== viewId) return error(res, 422, 'VIEW_NAME_NOT_FOUND', `Could not find view ${query.get('view')}`);
    const size = Math.min(MAX_PAGE, Number(query.get('pageSize') ?? MAX_PAGE) || MAX_PAGE);
    const all = [...[...records.entries()].map(([id, fields]) => ({ id, createdTime: created.get(id)!, fields: { ...fields } })), ...malformed()];
    const offset = query.get('offset');
    const start = offset ? Number(/^itr(\d+)\//.exec(offset)?.[1] ?? Number.NaN) : 0;
    if (Number.isNaN(start)) return error(res, 422, 'LIST_RECORDS_ITERATOR_NOT_AVAILABLE', 'The offset is not valid');
    const slice = all.slice(start, start + size);
    const next = start + size < all.length ? `itr${start + size}/${slice.at(-1)?.id ?? ''}` : undefined;
    counters.listRequests += 1;
    return reply(res, 200, next ? { records: slice, offset: next } : { records: slice });
  }

  function patch(res: ServerResponse, raw: string) {
    let body: { records?: Array<{ id?: string; fields?: Record<string, unknown> }> };
    try {
      body = JSON.parse(raw);
    } catch {
      return error(res, 422, 'INVALID_REQUEST_UNKNOWN', 'Invalid request: parameter validation failed');
    }
    const list = body.records;
    if (!Array.isArray(list) || list.length === 0 || list.length > 10)
      return error(res, 422, 'INVALID_RECORDS', 'You must provide an array of up to 10 record objects');
    for (const r of list) if (!r.id || !records.has(r.id)) return error(res, 404, 'NOT_FOUND', `Record ${r.id} not found`);
    counters.patchRequests += 1;
    counters.patchedRecords += list.length;
    const updated = list.map((r) => {
      const fields = { ...records.get(r.id!)!, ...(r.fields ?? {}) };
      records.set(r.id!, fields);
      return { id: r.id!, createdTime: created.get(r.id!)!, fields };
    });
    return reply(res, 200, { records: updated });
  }

  const server = await startSimServer(
    async (req, res, raw) => {
      const now = Date.now();
      counters.requests += 1;
      arrivals = arrivals.filter((t) => now - t < 1000);
      arrivals.push(now);
      counters.maxPerSecond = Math.max(counters.maxPerSecond, arrivals.length);
      await delay(options.latencyMs);
      if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`)
        return error(res, 401, 'AUTHENTICATION_REQUIRED', 'Authentication required');
      if (now < refusingUntil && now > penaltyStartedAt + 50) counters.arrivedDuringPenalty += 1;
      if (now < refusingUntil || arrivals.length > options.ratePerSecond) {
        if (now >= refusingUntil) {
          refusingUntil = now + options.penaltyMs;
          penaltyStartedAt = now;
        }
        counters.rateLimited += 1;
        return error(res, 429, 'RATE_LIMIT_REACHED', 'Rate limit exceeded. Please try again later');
      }
      if (options.failNext > 0) {
        options.failNext -= 1;
        return error(res, 503, 'SERVICE_UNAVAILABLE', 'Service temporarily unavailable');
      }
      const path = (req.url ?? '/').split('?')[0];
      if (path !== `/v0/${baseId}/${tableId}`) return error(res, 404, 'NOT_FOUND', `Could not find table ${path}`);
      if (req.method === 'GET') return list(req, res);
      if (req.method === 'PATCH') return patch(res, raw);
      return error(res, 404, 'NOT_FOUND', `Unsupported ${req.method}`);
    },
    { setOptions: (p) => sim.setOptions(p as Partial<AirtableSimOptions>), stats: () => sim.stats() },
    initial,
  );

  const sim: AirtableSim = {
    baseUrl: server.baseUrl,
    baseId,
    tableId,
    viewId,
    setOptions(p) {
      options = { ...options, ...p };
      if (p.penaltyMs !== undefined || p.ratePerSecond !== undefined) refusingUntil = 0;
    },
    records: () => [...records.entries()].map(([id, fields]) => ({ id, fields: { ...fields } })),
    edit(id, fields) {
      records.set(id, { ...(records.get(id) ?? {}), ...fields });
      if (!created.has(id)) created.set(id, new Date().toISOString());
    },
    stats: () => structuredClone(counters),
    resetStats() {
      counters = fresh();
      arrivals = [];
      refusingUntil = 0;
    },
    close: () => server.close(),
  };
  return sim;
}
