/** Starts the real `ops serve` on a free port and stops it the way a scheduler would (SIGTERM). */
import assert from 'node:assert/strict';
import { runOps, startOps, waitForOutput, type OpsResult, type Running } from './ops.js';

export interface Served {
  url: string;
  running: Running;
  /** SIGTERM, then the finished process. */
  stop(): Promise<OpsResult>;
}

export async function serve(env: NodeJS.ProcessEnv, args: string[] = []): Promise<Served> {
  const running = startOps(['serve', '--port', '0', ...args], env, { timeoutMs: 300_000 });
  await waitForOutput(running, /"msg":"listening"/, 120_000);
  const line = running
    .stderrSoFar()
    .split('\n')
    .find((l) => l.includes('"msg":"listening"'))!;
  const url = JSON.parse(line).url as string;
  return {
    url,
    running,
    async stop() {
      running.child.kill('SIGTERM');
      return running.done;
    },
  };
}

export async function createToken(env: NodeJS.ProcessEnv, customer = 'one_spa'): Promise<{ id: number; key: string }> {
  const result = await runOps(['tokens', 'create', '--customer', customer, '--json'], env);
  assert.equal(result.code, 0, result.stderr);
  return { id: result.json.id, key: result.json.write_key };
}

export const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; headers: Headers }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, json, headers: response.headers };
}

/** Whether a process of this pid still runs (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
