// Shared by the benchmarks: run a command N times, take the median.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const OPS = fileURLToPath(new URL('../../bin/ops.js', import.meta.url));

export function timeCommand(args, env = process.env) {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ms, status: result.status, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function medianOf(runs, args, env) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const r = timeCommand(args, env);
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 500)}`);
    times.push(r.ms);
  }
  return median(times);
}

/** Like timeCommand, without blocking this process (needed when it hosts the simulators). */
export function timeCommandAsync(args, env = process.env) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, status, stdout, stderr }));
  });
}
