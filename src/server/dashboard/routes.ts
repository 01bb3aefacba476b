/**
 * The read-only web dashboard of `ops serve`: `/` (tasks, tracking figures,
 * charts, latest runs), `/runs` (filters by task, outcome and date),
 * `/runs/:id`, `/batches/:id`. Server-rendered HTML; behind the admin token
 * like every endpoint but ingest and health, given as the password of HTTP
 * Basic auth (the browser asks for it; any user name) or as a Bearer token.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import { getBatchRun, listRunCenters } from '../../db/queries/batch-runs.js';
import { listRuns, loggedTaskNames, runDurations } from '../../db/queries/task-logs.js';
import { eventsPerDay } from '../../db/queries/tracking-status.js';
import type { Database } from '../../db/schema.js';
import { taskOverview } from '../../tasks/overview.js';
import { trackingSummary } from '../../tasks/tracking/status-summary.js';
import { readAuthorization, tokenCheck } from '../credentials.js';
import { batchPage } from './batch-page.js';
import { html } from './html.js';
import { DASHBOARD_SCRIPT, page } from './layout.js';
import { overviewPage } from './overview-page.js';
import { RUN_STATUSES, runDetailPage, runsPage, type RunDetail, type RunFilters } from './runs-page.js';

export interface DashboardDeps {
  db: Kysely<Database>;
  adminToken?: string;
  env: Record<string, string | undefined>;
  now: Clock;
}

/** Days the charts cover. */
const CHART_DAYS = 30;

// The page's own script only; styles inline (the stylesheet and the legend's colours); no frames, no forms elsewhere.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function sendPage(reply: FastifyReply, status: number, markup: string): FastifyReply {
  return reply.code(status).headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(markup);
}

/** The admin token from Basic auth's password (or user name, when no password is given) or a Bearer header. */
function presentedToken(header: string | undefined): string | undefined {
  const c = readAuthorization(header);
  if (!c) return undefined;
  if (c.scheme === 'bearer') return c.token;
  return c.password === undefined ? c.user : c.password || c.user;
}

function dashboardGuard(adminToken: string | undefined) {
  const matches = tokenCheck(adminToken);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!matches)
      return sendPage(
        reply,
        401,
        page('Off', null, html`<h1>The dashboard is off</h1><p>Set <code>OPS_ADMIN_TOKEN</code> and restart <code>ops serve</code>.</p>`),
      );
    const token = presentedToken(request.headers.authorization);
    if (!matches(token)) {
      reply.header('www-authenticate', 'Basic realm="ops dashboard", charset="UTF-8"');
      return sendPage(
        reply,
        401,
        page('Sign in', null, html`<h1>Admin token required</h1><p>Give the admin token (<code>OPS_ADMIN_TOKEN</code>) as the password; any user name.</p>`),
      );
    }
  };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The filters of /runs from the query string, or what is wrong with them. */
export function parseRunFilters(q: Record<string, string | undefined>): { filters: RunFilters; problem: string | null; from?: Date; to?: Date } {
  const filters: RunFilters = { task: q.task || undefined, status: q.status || undefined, from: q.from || undefined, to: q.to || undefined, limit: 50 };
  const problems: string[] = [];
  if (q.limit) {
    const n = Number(q.limit);
    if (Number.isInteger(n) && n >= 1 && n <= 500) filters.limit = n;
    else problems.push('Show: a whole number from 1 to 500.');
  }
  if (filters.status && !RUN_STATUSES.includes(filters.status)) problems.push(`Outcome: one of ${RUN_STATUSES.join(', ')}.`);
  const day = (label: string, text: string | undefined, plusDays: number) => {
    if (!text) return undefined;
    const d = new Date(`${text}T00:00:00Z`);
    if (!DAY.test(text) || Number.isNaN(d.getTime())) {
      problems.push(`${label}: a date as YYYY-MM-DD.`);
      return undefined;
    }
    return new Date(d.getTime() + plusDays * 86_400_000);
  };
  const from = day('From', filters.from, 0);
  const to = day('To', filters.to, 1);
  if (from && to && from >= to) problems.push('From must come before To.');
  return { filters, problem: problems.length > 0 ? problems.join(' ') : null, from, to };
}

export function dashboardRoutes(app: FastifyInstance, deps: DashboardDeps): void {
  const { db } = deps;
  const guard = dashboardGuard(deps.adminToken);

  app.get('/dashboard.js', async (_request, reply) =>
    reply
      .headers({ 'x-content-type-options': 'nosniff', 'cache-control': 'public, max-age=300' })
      .type('application/javascript; charset=utf-8')
      .send(DASHBOARD_SCRIPT),
  );

  app.get('/', { preHandler: guard }, async (_request, reply) => {
    const now = deps.now();
    const fromDay = new Date(now.getTime() - (CHART_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
    const [overview, tracking, days, durations, recentRuns] = await Promise.all([
      taskOverview(db, deps.env, now),
      trackingSummary(db, now.getTime()).then(
        (t) => ({ t, error: null }),
        (err) => ({ t: null, error: `The tracking figures could not be read: ${errorMessage(err)}` }),
      ),
      eventsPerDay(db, fromDay).then(
        (d) => ({ d, error: null }),
        (err) => ({ d: [], error: `Events per day could not be read: ${errorMessage(err)}` }),
      ),
      runDurations(db, new Date(`${fromDay}T00:00:00Z`), 1_000),
      listRuns(db, { limit: 10 }),
    ]);
    return sendPage(
      reply,
      200,
      overviewPage({
        now,
        overview,
        tracking: tracking.t,
        trackingError: tracking.error,
        eventsPerDay: days.d,
        eventsError: days.error,
        durations,
        recentRuns,
        days: CHART_DAYS,
      }),
    );
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/runs', { preHandler: guard }, async (request, reply) => {
    const { filters, problem, from, to } = parseRunFilters(request.query);
    const tasks = await loggedTaskNames(db);
    if (problem) return sendPage(reply, 400, runsPage([], filters, tasks, problem));
    const runs = await listRuns(db, { task: filters.task, status: filters.status, from, to, limit: filters.limit });
    return sendPage(reply, 200, runsPage(runs, filters, tasks, null));
  });

  app.get<{ Params: { id: string } }>('/runs/:id', { preHandler: guard }, async (request, reply) => {
    const [run] = await listRuns(db, { runId: request.params.id, limit: 1 });
    if (!run) return sendPage(reply, 404, page('Not found', null, html`<h1>No run ${request.params.id}</h1><p><a href="/runs">All runs</a></p>`));
    const [children, batch] = await Promise.all([listRuns(db, { parentRunId: run.run_id, limit: 100 }), getBatchRun(db, run.run_id)]);
    return sendPage(reply, 200, runDetailPage(run as RunDetail, { children: children.reverse(), batchId: batch ? batch.run_id : null }));
  });

  app.get<{ Params: { id: string } }>('/batches/:id', { preHandler: guard }, async (request, reply) => {
    const batch = await getBatchRun(db, request.params.id);
    if (!batch)
      return sendPage(
        reply,
        404,
        page('Not found', null, html`<h1>No batch run ${request.params.id}</h1><p><a href="/runs?task=run-batch">Batch runs</a></p>`),
      );
    return sendPage(reply, 200, batchPage(batch, await listRunCenters(db, batch.run_id)));
  });
}
