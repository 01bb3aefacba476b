/**
 * Read-only admin endpoints behind OPS_ADMIN_TOKEN (Bearer): every task's
 * last run and what runs now, the runs with filters, one run. Unset token:
 * they answer 401 and say they are off.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { latestPerTask, listRuns } from '../db/queries/task-logs.js';
import type { Database } from '../db/schema.js';

const digest = (s: string) => createHash('sha256').update(s).digest();
const STATUSES = ['running', 'success', 'partial', 'failed', 'skipped', 'interrupted'];

export type AdminGuard = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** A preHandler: 401 unless the request carries the admin token (Bearer). */
export function adminGuard(adminToken: string | undefined): AdminGuard {
  const expected = adminToken ? digest(adminToken) : undefined;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!expected) return reply.code(401).send({ success: false, error: 'the admin endpoints are off: set OPS_ADMIN_TOKEN' });
    const [scheme, token = ''] = (request.headers.authorization ?? '').split(/\s+/, 2);
    if (!/^bearer$/i.test(scheme) || !timingSafeEqual(digest(token), expected))
      return reply.code(401).send({ success: false, error: 'admin token required (Bearer)' });
  };
}

export function adminRoutes(app: FastifyInstance, db: Kysely<Database>, guard: AdminGuard): void {
  app.get('/api/v1/status', { preHandler: guard }, async () => {
    const [tasks, running] = await Promise.all([latestPerTask(db), listRuns(db, { status: 'running', limit: 100 })]);
    return { tasks, running: running.map((r) => ({ task: r.task, run_id: r.run_id, started_at: r.started_at, host: r.host, pid: r.pid })) };
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/v1/runs', { preHandler: guard }, async (request, reply) => {
    const { task, status } = request.query;
    const limit = request.query.limit === undefined ? 20 : Number(request.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) return reply.code(400).send({ success: false, error: 'limit: an integer from 1 to 500' });
    if (status !== undefined && !STATUSES.includes(status)) return reply.code(400).send({ success: false, error: `status: one of ${STATUSES.join(', ')}` });
    return { runs: await listRuns(db, { task: task || undefined, status, limit }) };
  });

  app.get<{ Params: { id: string } }>('/api/v1/runs/:id', { preHandler: guard }, async (request, reply) => {
    const [run] = await listRuns(db, { runId: request.params.id, limit: 1 });
    if (!run) return reply.code(404).send({ success: false, error: `no run ${request.params.id}` });
    return run;
  });
}
