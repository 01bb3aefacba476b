/**
 * Retries with exponential backoff and jitter, shared by every integration.
 * Whether an error is worth another attempt is decided by the caller's
 * `classify` (one per integration); how long to wait is decided here, with a
 * cap on the server's Retry-After so that a SIGTERM is never stuck behind it.
 */
import pRetry from 'p-retry';
import { UpstreamError } from './errors.js';
import { sleep } from './clock.js';

export interface RetryPolicy {
  /** Total attempts, the first included. */
  attempts: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** Longest Retry-After we honour; a longer one is cut to this. */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 3, minDelayMs: 300, maxDelayMs: 8000, maxRetryAfterMs: 30_000 };

export interface RetryVerdict {
  retriable: boolean;
  retryAfterMs?: number;
}

export interface RetryOptions {
  policy?: Partial<RetryPolicy>;
  signal?: AbortSignal;
  /** Shared with the other calls to the same upstream: a Retry-After pauses them all. */
  gate?: PauseGate;
  classify?: (error: unknown) => RetryVerdict;
  onRetry?: (info: { attempt: number; error: unknown; waitMs?: number }) => void;
}

export function classifyUpstream(error: unknown): RetryVerdict {
  if (error instanceof UpstreamError) return { retriable: error.retriable, retryAfterMs: error.details.retryAfterMs };
  return { retriable: false };
}

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy = { ...defaultRetryPolicy, ...options.policy };
  const classify = options.classify ?? classifyUpstream;
  const gate = options.gate;
  const attempt = gate
    ? async (n: number) => {
        await gate.wait(options.signal);
        return fn(n);
      }
    : fn;
  return pRetry(attempt, {
    retries: Math.max(0, policy.attempts - 1),
    factor: 2,
    minTimeout: policy.minDelayMs,
    maxTimeout: policy.maxDelayMs,
    randomize: true,
    signal: options.signal,
    shouldRetry: ({ error }) => classify(error).retriable,
    onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
      const verdict = classify(error);
      if (!verdict.retriable || retriesLeft === 0) return;
      const waitMs = verdict.retryAfterMs !== undefined ? Math.min(verdict.retryAfterMs, policy.maxRetryAfterMs) : undefined;
      options.onRetry?.({ attempt: attemptNumber, error, waitMs });
      // The server said how long to wait: wait that (p-retry's own short backoff follows),
      // and hold the other calls to this upstream as long.
      if (waitMs) {
        options.gate?.pauseFor(waitMs);
        await sleep(waitMs, options.signal);
      }
    },
  });
}

/** Parses Retry-After (seconds or an HTTP date) and retry-after-ms into milliseconds. */
export function parseRetryAfter(headers: Record<string, unknown> | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const get = (name: string) => {
    const value = headers[name] ?? headers[name.toLowerCase()];
    return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
  };
  const ms = get('retry-after-ms');
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.round(Number(ms));
  const value = get('retry-after');
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * One pause shared by every call to the same upstream: when the server says
 * "slow down" (429 with Retry-After), no call of ours goes out until that
 * time, instead of each concurrent call learning it on its own and making the
 * rate limit worse.
 */
export class PauseGate {
  private until = 0;

  /** Holds every call until `ms` from now (never shortens a longer pause). */
  pauseFor(ms: number): void {
    this.until = Math.max(this.until, Date.now() + ms);
  }

  /** How long calls are still held (0: they may go out). */
  remainingMs(): number {
    return Math.max(0, this.until - Date.now());
  }

  /** Resolves when calls may go out; wakes early only on abort. */
  async wait(signal?: AbortSignal): Promise<void> {
    for (let left = this.until - Date.now(); left > 0; left = this.until - Date.now()) await sleep(left, signal);
  }
}
