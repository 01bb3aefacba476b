/**
 * Read-only admin endpoints behind OPS_ADMIN_TOKEN (Bearer): every task's
 * last run, next due time and what runs now, the runs with filters
 * (task, status, from, to, limit), one run. Unset token:
 * they answer 401 and say they are off.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { listRuns } from '../db/queries/task-logs.js';
import type { Database } from '../db/schema.js';
import { taskOverview } from '../tasks/overview.js';
import { readAuthorization, tokenCheck } from './credentials.js';

const STATUSES = ['running', 'success', 'partial', 'failed', 'skipped', 'interrupted'];

export type AdminGuard = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** A preHandler: 401 unless the request carries the admin token (Bearer). */
export function adminGuard(adminToken: string | undefined): AdminGuard {
  const matches = tokenCheck(adminToken);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!matches) return reply.code(401).send({ success: false, error: 'the admin endpoints are off: set OPS_ADMIN_TOKEN' });
    const c = readAuthorization(request.headers.authorization);
    if (c?.scheme !== 'bearer' || !matches(c.token)) return reply.code(401).send({ success: false, error: 'admin token required (Bearer)' });
  };
}

/** A time filter of /api/v1/runs: a date (YYYY-MM-DD, UTC) or an ISO 8601 date-time. */
function instant(text: string | undefined): Date | undefined | 'bad' {
  if (!text) return undefined;
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  return Number.isNaN(d.getTime()) ? 'bad' : d;
}

export function adminRoutes(
  app: FastifyInstance,
  deps: { db: Kysely<Database>; guard: AdminGuard; env: Record<string, string | undefined>; now: Clock },
): void {
  const { db, guard } = deps;
  // Every task: its newest run (flat, as before), its last success, when a scheduler next starts it, and the runs going on now.
  // /cron/status: the old center service's path.
  const status = async () => {
    const overview = await taskOverview(db, deps.env, deps.now());
    const tasks = overview.tasks.map(({ last_run, ...t }) => ({ ...t, ...(last_run ?? { run_id: null, status: null, started_at: null }) }));
    const running = overview.tasks.flatMap((t) => t.running.map((r) => ({ task: t.task, ...r })));
    return { tasks, running, schedule_error: overview.schedule_error, task_errors: overview.task_errors };
  };
  for (const path of ['/api/v1/status', '/cron/status']) app.get(path, { preHandler: guard }, status);

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/v1/runs', { preHandler: guard }, async (request, reply) => {
    const { task, status } = request.query;
    const from = instant(request.query.from);
    const to = instant(request.query.to);
    if (from === 'bad' || to === 'bad') return reply.code(400).send({ success: false, error: 'from, to: a date (YYYY-MM-DD) or an ISO 8601 date-time' });
    const limit = request.query.limit === undefined ? 20 : Number(request.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) return reply.code(400).send({ success: false, error: 'limit: an integer from 1 to 500' });
    if (status !== undefined && !STATUSES.includes(status)) return reply.code(400).send({ success: false, error: `status: one of ${STATUSES.join(', ')}` });
    return { runs: await listRuns(db, { task: task || undefined, status, from, to, limit }) };
  });

  app.get<{ Params: { id: string } }>('/api/v1/runs/:id', { preHandler: guard }, async (request, reply) => {
    const [run] = await listRuns(db, { runId: request.params.id, limit: 1 });
    if (!run) return reply.code(404).send({ success: false, error: `no run ${request.params.id}` });
    return run;
  });
}
