/**
 * POST /api/v1/tasks/:name/run on Postgres starts `ops NAME` as its own process
 * and waits for it to say it started. A child whose database stops answering
 * (a TCP peer that accepts and never replies, as a Postgres that hangs) must
 * not hold the request: past OPS_SERVE_START_TIMEOUT_SECONDS the answer is 504
 * with the child's pid, and the child is left running.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { backends } from './helpers/db.js';
import { baseEnv } from './helpers/ops.js';
import { processAlive as alive, serve } from './helpers/serve.js';

const ADMIN = 'start-timeout-admin-token';

/** A TCP front of Postgres: forwards while `hang` is off; once on, new connections are accepted and never answered. */
async function gate(target: URL): Promise<{ port: number; hang: boolean; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  };
  const state = { hang: false };
  const server: Server = createServer((client) => {
    track(client);
    if (state.hang) return;
    const upstream = connect(Number(target.port || 5432), target.hostname);
    track(upstream);
    client.pipe(upstream).pipe(client);
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return Object.assign(state, {
    port,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

const postgres = backends.find((b) => b.name === 'postgres')!;

describe('ops serve: a started run that does not report in time', { skip: postgres.skip }, () => {
  test('504 with the pid after OPS_SERVE_START_TIMEOUT_SECONDS; the child is left running', async () => {
    const db = await postgres.create();
    const target = new URL(db.env.DATABASE_URL!);
    const front = await gate(target);
    const viaGate = new URL(target);
    viaGate.hostname = '127.0.0.1';
    viaGate.port = String(front.port);
    const env = baseEnv({
      ...db.env,
      DATABASE_URL: viaGate.toString(),
      OPS_ADMIN_TOKEN: ADMIN,
      OPS_TRACK_PROCESSING: 'false',
      OPS_LOCK_WAIT_SECONDS: '1',
      OPS_SERVE_START_TIMEOUT_SECONDS: '1',
    });
    const server = await serve(env);
    let pid: number | undefined;
    try {
      // A bound not above the lock wait would turn 409s into 504s: the server says so at start.
      assert.match(server.running.stderrSoFar(), /OPS_SERVE_START_TIMEOUT_SECONDS is not above OPS_LOCK_WAIT_SECONDS/);
      // The server holds its connections already; the child's new ones now hang before Postgres says a word.
      front.hang = true;
      const asked = Date.now();
      const r = await fetch(`${server.url}/api/v1/tasks/process-tracking/run`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
      const waited = Date.now() - asked;
      const body = (await r.json()) as any;
      pid = body.pid;
      assert.equal(r.status, 504, JSON.stringify(body));
      assert.equal(body.success, false);
      assert.equal(body.task, 'process-tracking');
      assert.ok(Number.isInteger(body.pid) && body.pid > 0, JSON.stringify(body));
      assert.match(body.error, /^ops process-tracking \(pid \d+\) was started but did not report within 1 s whether it holds its lock; it goes on running$/);
      // The bound answered, not the child's own connection timeout (10 s, which would be a 422).
      assert.ok(waited >= 1000 && waited < 8000, `answered after ${waited} ms`);
      assert.ok(alive(body.pid), 'the child is running after the 504');
      if (existsSync(`/proc/${body.pid}/cmdline`)) {
        assert.deepEqual(readFileSync(`/proc/${body.pid}/cmdline`, 'utf8').split('\0').slice(-2), ['process-tracking', '']);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.ok(alive(body.pid), 'the child is still running half a second later: nothing killed it');
      // No run reported: no task_logs row was written by it.
      const rows = await db.use((k) => k.selectFrom('task_logs').select('run_id').where('task', '=', 'process-tracking').execute());
      assert.deepEqual(rows, []);
    } finally {
      if (pid && alive(pid)) process.kill(-pid, 'SIGKILL'); // its own process group (detached)
      front.hang = false;
      const stopped = await server.stop();
      await front.close();
      assert.equal(stopped.code, 0, stopped.stderr);
    }
  });
});
