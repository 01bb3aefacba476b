/**
 * Drives the real `ops` binary: spawned with an environment that points it at
 * simulators and at a fresh database, its exit code, stdout and stderr kept.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const OPS_BIN = fileURLToPath(new URL('../../../bin/ops.js', import.meta.url));

export interface OpsResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, when it is. */
  json?: any;
  /** stderr's JSON log lines. */
  logs: Array<Record<string, any>>;
  ms: number;
}

/** A clean environment: nothing of the developer's own settings leaks in. */
export function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'SYSTEMROOT'];
  const env: NodeJS.ProcessEnv = {};
  for (const k of keep) if (process.env[k]) env[k] = process.env[k];
  env.NO_COLOR = '1';
  env.OPS_LOCK_WAIT_SECONDS = '1';
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export interface Running {
  child: ChildProcess;
  done: Promise<OpsResult>;
  stderrSoFar(): string;
}

export function startOps(args: string[], env: NodeJS.ProcessEnv, options: { cwd?: string; timeoutMs?: number } = {}): Running {
  const started = Date.now();
  const child = spawn(process.execPath, [OPS_BIN, ...args], { env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const done = new Promise<OpsResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      const logs = stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .flatMap((l) => {
          try {
            return [JSON.parse(l)];
          } catch {
            return [];
          }
        });
      resolve({ code, signal, stdout, stderr, json, logs, ms: Date.now() - started });
    });
  });
  return { child, done, stderrSoFar: () => stderr };
}

export function runOps(args: string[], env: NodeJS.ProcessEnv, options: { cwd?: string; timeoutMs?: number } = {}): Promise<OpsResult> {
  return startOps(args, env, options).done;
}

/** Resolves when the child's stderr matches, or rejects after timeoutMs. */
export async function waitForOutput(running: Running, pattern: RegExp, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(running.stderrSoFar())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in:\n${running.stderrSoFar()}`);
    if (running.child.exitCode !== null) throw new Error(`ops exited (${running.child.exitCode}) before ${pattern}:\n${running.stderrSoFar()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
