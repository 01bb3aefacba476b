/**
 * The HTTP surface of `ops serve` (Fastify): health, and the tracking ingest
 * in two dialects, ours and Segment's. Every ingest answer is decided here:
 * 400 unparsable or oversize content, 401 no/bad/revoked key, 413 body over
 * 500 KB, 429 past the key's rate, 2xx only once the events are committed to
 * raw.events, 503 only when that commit (or the key lookup) failed.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from '../core/log.js';
import type { Database } from '../db/schema.js';
import type { Clock } from '../core/clock.js';
import { adminGuard, adminRoutes } from './admin.js';
import { readAuthorization } from './credentials.js';
import { dashboardRoutes } from './dashboard/routes.js';
import { operationsRoutes } from './operations.js';
import type { StartTask } from './task-starter.js';
import { trackerRoutes } from './tracker.js';
import { storable } from '../tasks/track-ingest.js';
import type { RawRow } from '../db/queries/tracking-raw.js';
import type { BackgroundProcessing } from './background-processing.js';
import { acceptBodies, MAX_REQUEST_BYTES } from './http-body.js';
import { fromSegment, nativeEvents, segmentMessages, ShapeError, withCustomer, type Extracted } from './event-shapes.js';
import type { KeyRateLimit } from './rate-limit.js';
import type { RawBuffer } from './raw-buffer.js';
import type { WriteKeys } from './write-keys.js';

export const MAX_EVENT_BYTES = 32 * 1024;
export const MAX_BATCH_EVENTS = 2_500;

export interface AppDeps {
  db: Kysely<Database>;
  adminToken?: string;
  keys: WriteKeys;
  rateLimit: KeyRateLimit;
  buffer: RawBuffer;
  processing?: BackgroundProcessing;
  /** Starts a task run on request (the admin trigger endpoints). */
  startTask?: StartTask;
  corsOrigins: string[];
  log: Logger;
  /** The settings the task overview reads (schedules, <NAME>_ENABLED, OPS_TASKS_DIR): the process's own. */
  env: Record<string, string | undefined>;
  /** OPS_NOW-aware time for the next-due times. */
  now: Clock;
  /** null when ready, else why not. */
  notReady(): Promise<string | null>;
}

type Mode = { dialect: 'native'; trigger: 'now' | 'debounced' } | { dialect: 'segment'; single?: string };

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The write key of an Authorization header: Basic (the key as user name, Segment's way; else its password) or Bearer. */
function headerKey(value: string | undefined): string | undefined {
  const c = readAuthorization(value);
  if (!c) return undefined;
  if (c.scheme === 'bearer') return c.token;
  return c.user || c.password;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: MAX_REQUEST_BYTES, return503OnClosing: true });
  acceptBodies(app);
  if (deps.corsOrigins.length > 0) {
    const { default: cors } = await import('@fastify/cors');
    await app.register(cors, {
      origin: deps.corsOrigins.includes('*') ? '*' : deps.corsOrigins,
      methods: ['GET', 'POST'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Content-Encoding'],
      maxAge: 86_400,
    });
  }

  app.setErrorHandler((err: Error & { statusCode?: number; headers?: Record<string, string> }, _request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) deps.log.error('request failed', { status, reason: err.message });
    if (err instanceof HttpError) reply.headers(err.headers);
    void reply.code(status).send({ success: false, error: status >= 500 ? 'the events could not be stored; send them again' : err.message });
  });
  // While closing, every answer ends its connection, so that no keep-alive client holds the stop open.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.setNotFoundHandler((request, reply) => void reply.code(404).send({ success: false, error: `no route ${request.method} ${request.url.split('?')[0]}` }));

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const why = await deps.notReady();
    if (why) return reply.code(503).send({ status: 'not ready', reason: why });
    return { status: 'ready' };
  });

  const ingest = (mode: Mode) => async (request: FastifyRequest, reply: FastifyReply) => {
    const receivedAt = new Date();
    let extracted: Extracted;
    try {
      extracted = mode.dialect === 'native' ? nativeEvents(request.body) : segmentMessages(request.body, mode.single);
    } catch (err) {
      if (err instanceof ShapeError) throw new HttpError(400, err.message);
      throw err;
    }
    const key = headerKey(request.headers.authorization) ?? extracted.writeKey;
    if (!key) throw new HttpError(401, 'no write key: send it as the Basic auth user name, as a Bearer token, or as writeKey in the body');
    let owner: Awaited<ReturnType<WriteKeys['resolve']>>;
    try {
      owner = await deps.keys.resolve(key);
    } catch (err) {
      throw Object.assign(err as Error, { statusCode: 503 });
    }
    if (!owner) throw new HttpError(401, 'unknown or revoked write key');
    const { events } = extracted;
    if (events.length > MAX_BATCH_EVENTS) throw new HttpError(400, `${events.length} events in one request: at most ${MAX_BATCH_EVENTS}`);
    const source = `serve:token:${owner.tokenId}`;
    const rows: RawRow[] = events.map((event, i) => {
      const mapped = withCustomer(mode.dialect === 'segment' ? fromSegment(event, receivedAt, mode.single) : event, owner.customerId);
      const json = JSON.stringify(mapped) ?? 'null';
      if (json.length > MAX_EVENT_BYTES / 4 && Buffer.byteLength(json) > MAX_EVENT_BYTES)
        throw new HttpError(400, `event ${i} is ${Buffer.byteLength(json)} bytes: at most ${MAX_EVENT_BYTES}`);
      return { line: storable(mapped) ? { json } : { bytes: Buffer.from(json) }, receivedAt, source };
    });
    const wait = deps.rateLimit.take(owner.tokenId, rows.length);
    if (wait > 0) throw new HttpError(429, `past this write key's rate (OPS_INGEST_RATE_PER_KEY): retry in ${wait} s`, { 'retry-after': String(wait) });
    try {
      await deps.buffer.add(rows);
    } catch (err) {
      throw Object.assign(err as Error, { statusCode: 503 });
    }
    if (rows.length > 0) deps.processing?.poke(mode.dialect === 'native' && mode.trigger === 'now');
    return reply.code(200).send({ success: true, accepted: rows.length });
  };

  app.post('/api/v1/track', ingest({ dialect: 'native', trigger: 'now' }));
  app.post('/api/v1/track/batch', ingest({ dialect: 'native', trigger: 'debounced' }));
  app.post('/api/v1/track/async', ingest({ dialect: 'native', trigger: 'debounced' }));
  for (const path of ['/api/v1/batch', '/api/v1/b']) app.post(path, ingest({ dialect: 'segment' }));
  for (const single of ['t', 'p', 'i', 's', 'g', 'a']) app.post(`/api/v1/${single}`, ingest({ dialect: 'segment', single }));

  trackerRoutes(app);

  const guard = adminGuard(deps.adminToken);
  adminRoutes(app, { db: deps.db, guard, env: deps.env, now: deps.now });
  dashboardRoutes(app, { db: deps.db, adminToken: deps.adminToken, env: deps.env, now: deps.now });
  operationsRoutes(app, { db: deps.db, guard, startTask: deps.startTask });

  // analytics.js asks its settings first (cdnURL = this server + /api): where to send, and that everything is enabled.
  app.get('/api/v1/projects/:writeKey/settings', async (request: FastifyRequest<{ Params: { writeKey: string } }>, reply) => {
    const owner = await deps.keys.resolve(request.params.writeKey);
    if (!owner) throw new HttpError(401, 'unknown or revoked write key');
    const proto = String(request.headers['x-forwarded-proto'] ?? request.protocol);
    return reply.send({
      integrations: { 'Segment.io': { apiKey: request.params.writeKey, apiHost: `${request.host}/api/v1`, protocol: proto } },
      plan: { track: { __default: { enabled: true } }, identify: { __default: { enabled: true } }, group: { __default: { enabled: true } } },
      analyticsNextEnabled: true,
      middlewareSettings: {},
      enabledMiddleware: {},
      metrics: { sampleRate: 0 },
      remotePlugins: [],
    });
  });
  return app;
}
