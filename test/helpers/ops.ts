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

export interface OpsOptions {
  cwd?: string;
  timeoutMs?: number;
  /** Accept a `(node:PID) …Warning` line on stderr (by default it fails the run's test). */
  allowNodeWarnings?: boolean;
}

/** A Node process warning (MaxListenersExceededWarning, DeprecationWarning, …) as Node prints it. */
const NODE_WARNING = /^\(node:\d+\) (?:\[\w+\] )?\w*Warning\b.*$/m;
/** What signals.ts logs when the grace period ran out: the clean stop did not happen. */
const FORCED_EXIT = /grace period over/;

/**
 * Checks every run makes, whatever the test: no Node warning on stderr, and no
 * exit forced by the grace timer (a test of a clean stop must not pass because
 * the forced exit happened to give the same code).
 */
function houseRules(result: OpsResult, args: string[], options: OpsOptions): void {
  const warning = NODE_WARNING.exec(result.stderr);
  if (warning && !options.allowNodeWarnings) throw new Error(`ops ${args.join(' ')} printed a Node warning: ${warning[0]}`);
  if (FORCED_EXIT.test(result.stderr))
    throw new Error(`ops ${args.join(' ')} was ended by the grace timer, not by a clean stop:\n${result.stderr.slice(-2000)}`);
}

export function startOps(args: string[], env: NodeJS.ProcessEnv, options: OpsOptions = {}): Running {
  const started = Date.now();
  const child = spawn(process.execPath, [OPS_BIN, ...args], { env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const done = new Promise<OpsResult>((resolve, reject) => {
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
      const result: OpsResult = { code, signal, stdout, stderr, json, logs, ms: Date.now() - started };
      try {
        houseRules(result, args, options);
      } catch (err) {
        return reject(err);
      }
      resolve(result);
    });
  });
  return { child, done, stderrSoFar: () => stderr };
}

export function runOps(args: string[], env: NodeJS.ProcessEnv, options: OpsOptions = {}): Promise<OpsResult> {
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
