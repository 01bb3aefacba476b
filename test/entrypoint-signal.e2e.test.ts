/**
 * The image's entrypoint as a container runs it, without Docker: tini, with
 * the Dockerfile's own ENTRYPOINT arguments, starts ops; a SIGTERM sent to
 * tini (what `docker stop`, an ECS stop or a pod eviction does to PID 1)
 * reaches ops, which records `interrupted` and exits 143, and tini exits with
 * that code. Skipped where tini is not installed (apt-get install tini).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocationSim, type LocationSim } from '../src/sandbox/location-sim.js';
import { backends } from './helpers/db.js';
import { baseEnv } from './helpers/ops.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tini = ['/sbin/tini', '/usr/bin/tini'].find((path) => spawnSync(path, ['--version']).status === 0);
const embedded = backends.find((b) => b.name === 'embedded')!;

/** ["/sbin/tini", "--", "node", <node flags>, "/opt/ops/bin/ops.js"]: tini's own arguments, and the command it starts. */
function entrypoint(): { tiniArgs: string[]; command: string[] } {
  const line = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'));
  assert.ok(line, 'the Dockerfile has an exec-form ENTRYPOINT');
  const args = JSON.parse(line[1]!) as string[];
  assert.match(args[0]!, /\/tini$/);
  const dashes = args.indexOf('--');
  return { tiniArgs: args.slice(1, dashes + 1), command: args.slice(dashes + 1) };
}

describe('the entrypoint under tini', { skip: tini ? undefined : 'tini is not installed here' }, () => {
  let sim: LocationSim;
  before(async () => {
    sim = await startLocationSim({ centers: 25, apiKey: 'k' });
  });
  after(async () => {
    await sim.close();
  });

  test('SIGTERM to tini reaches ops: the run is recorded interrupted, exit 143', async () => {
    const db = await embedded.create();
    sim.setOptions({ latencyMs: 700 });
    const { tiniArgs, command } = entrypoint();
    assert.equal(command[0], 'node');
    // -s: not PID 1 here, so tini registers as a subreaper instead (as it is in the container).
    // The image's node flags, then this checkout's bin in place of /opt/ops/bin/ops.js.
    const args = ['-s', ...tiniArgs, process.execPath, ...command.slice(1, -1), join(root, 'bin', 'ops.js'), 'sync-centers'];
    const env = baseEnv({
      ...db.env,
      LOCATION_SLUG_API_URL: sim.slugApiUrl,
      LOCATION_DATA_API_URL: sim.dataApiUrl,
      LOCATION_API_KEY: 'k',
      LOCATION_CONCURRENCY: '1',
    });
    const child = spawn(tini!, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (!/"msg":"slug list fetched"/.test(stderr)) {
      assert.ok(Date.now() < deadline && child.exitCode === null, `ops did not start its work:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGTERM');
    const code = await exited;
    assert.equal(code, 143, stderr);
    const runs = await db.use((k) => k.selectFrom('task_logs').select(['status', 'error']).where('task', '=', 'sync-centers').execute());
    assert.equal(runs.at(-1)?.status, 'interrupted', JSON.stringify(runs));
    sim.setOptions({ latencyMs: 0 });
  });
});
