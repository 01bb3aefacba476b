/**
 * The seeds' operational endpoints, behind the admin token: a batch run center
 * by center (the old /events/status/:id), the tracking pipeline's figures, and
 * starting runs (the old /cron/* triggers and the manual process-tracking).
 * They answer with the data the matching commands print with --json.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import { getBatchRun, listRunCenters } from '../db/queries/batch-runs.js';
import type { Database } from '../db/schema.js';
import { recentTrackingRuns, trackingSummary } from '../tasks/tracking/status-summary.js';
import type { AdminGuard } from './admin.js';
import { StartFailed, StartUnconfirmed, triggerable, type StartTask } from './task-starter.js';

const CRON_ALIASES = ['sync-centers', 'run-batch', 'sync-and-run'];

export interface OperationsDeps {
  db: Kysely<Database>;
  guard: AdminGuard;
  /** Absent: the server cannot start runs (never the case in `ops serve`). */
  startTask?: StartTask;
}

export function operationsRoutes(app: FastifyInstance, deps: OperationsDeps): void {
  const { db, guard } = deps;
  const batch = async (id: string, reply: FastifyReply) => {
    const run = await getBatchRun(db, id);
    if (!run) return reply.code(404).send({ success: false, error: `no batch run ${id}` });
    return { ...run, centers: await listRunCenters(db, run.run_id) };
  };
  for (const path of ['/api/v1/batches/:id', '/events/status/:id'])
    app.get<{ Params: { id: string } }>(path, { preHandler: guard }, async (request, reply) => batch(request.params.id, reply));

  app.get('/api/v1/track/status', { preHandler: guard }, async () => ({ ...(await trackingSummary(db)), last_runs: await recentTrackingRuns(db, 5) }));
  app.get<{ Querystring: { limit?: string } }>('/api/v1/track/dashboard', { preHandler: guard }, async (request, reply) => {
    const limit = request.query.limit === undefined ? 20 : Number(request.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return reply.code(400).send({ success: false, error: 'limit: an integer from 1 to 100' });
    return { figures: await trackingSummary(db), runs: await recentTrackingRuns(db, limit) };
  });

  const start = async (name: string, reply: FastifyReply) => {
    const allowed = await triggerable(name);
    if (!allowed.ok) return reply.code(allowed.status).send({ success: false, error: allowed.why });
    if (!deps.startTask) return reply.code(503).send({ success: false, error: 'this server does not start runs' });
    try {
      const started = await deps.startTask(name);
      if ('holder' in started) return reply.code(409).send({ success: false, error: 'another run holds the lock', holder: started.holder });
      return reply.code(202).send({ success: true, task: started.task, run_id: started.runId });
    } catch (err) {
      if (err instanceof StartFailed) return reply.code(422).send({ success: false, error: `the run could not start: ${err.message}` });
      if (err instanceof StartUnconfirmed) return reply.code(504).send({ success: false, error: err.message, task: err.task, pid: err.pid });
      throw err;
    }
  };
  app.post('/api/v1/track/process', { preHandler: guard }, async (_request, reply) => start('process-tracking', reply));
  app.post<{ Params: { name: string } }>('/api/v1/tasks/:name/run', { preHandler: guard }, async (request, reply) => start(request.params.name, reply));
  for (const name of CRON_ALIASES) app.post(`/cron/${name}`, { preHandler: guard }, async (_request, reply) => start(name, reply));
}
