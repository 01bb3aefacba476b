/**
 * Every HTTP attempt to RunSignUp: the credentials as query parameters, at
 * most `maxInFlight` attempts of one credential in flight in this process,
 * `beforeCall` before each attempt (it counts, may refuse, may hold a slot
 * until the answer is in), and the
 * provider's answers turned into outcomes: an `error` body is an error
 * whatever the HTTP status; 429 and error 14 mean "slow down" (wait, tell
 * onThrottle, retry); 5xx, timeouts and network errors are retried.
 *
 * createHttpClient does one attempt (`retry: { attempts: 1 }`); the retries
 * are ours (withRetry), so that beforeCall sees every attempt.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { UpstreamError } from '../../core/errors.js';
import { createHttpClient, type HttpClient } from '../../core/http.js';
import { registerSecret, redact } from '../../core/redact.js';
import { PauseGate, type RetryPolicy, withRetry } from '../../core/retry.js';
import type { RunSignUpConfig } from './types.js';

const THROTTLE_FIRST_WAIT_MS = 2000;
const POLICY: Omit<RetryPolicy, 'attempts'> = { minDelayMs: 500, maxDelayMs: 8000, maxRetryAfterMs: 30_000 };
/** 4xx statuses read as answers, so that an `error` body in them is classified like one in a 200. 408 and 429 stay retriable. */
const CLIENT_ERRORS = Array.from({ length: 100 }, (_, i) => 400 + i).filter((s) => s !== 408 && s !== 429);

/**
 * One slot pool and one pause per credential in this process, whatever the
 * number of clients made for it: the provider's limits are per credential.
 */
const slots = new Map<string, LimitFunction>();
const pauses = new Map<string, PauseGate>();

export interface Answer {
  status: number;
  data: unknown;
}

/** A wait before the attempt after `attempt`: doubling from ~2 s, a little jitter so that callers do not come back together. */
function throttleWait(attempt: number): number {
  return Math.min(POLICY.maxRetryAfterMs, THROTTLE_FIRST_WAIT_MS * 2 ** (attempt - 1)) * (1 + Math.random() * 0.1);
}

export function isThrottled(error: unknown): boolean {
  return error instanceof UpstreamError && error.details.code === 'throttled';
}

export class Transport {
  readonly label: string;
  readonly log: RunSignUpConfig['log'];
  private readonly http: HttpClient;
  private readonly limit: LimitFunction;
  private readonly gate: PauseGate;
  private count = 0;

  constructor(private readonly config: RunSignUpConfig) {
    this.label = config.label ?? 'RunSignUp';
    this.log = config.log;
    registerSecret(config.credentials.apiKey);
    registerSecret(config.credentials.apiSecret);
    this.http = createHttpClient({
      system: this.label,
      baseURL: config.baseUrl,
      timeoutMs: config.timeoutMs ?? 30_000,
      retry: { attempts: 1 },
      log: config.log,
    });
    const key = config.credentials.apiKey;
    const maxInFlight = Math.max(1, config.maxInFlight ?? 2);
    const limit = slots.get(key) ?? pLimit(maxInFlight);
    // The newest client's setting holds for the credential (one setting per process in practice).
    limit.concurrency = maxInFlight;
    slots.set(key, limit);
    this.limit = limit;
    if (!pauses.has(key)) pauses.set(key, new PauseGate());
    this.gate = pauses.get(key)!;
  }

  /** Every HTTP attempt made so far. */
  get calls(): number {
    return this.count;
  }

  /** GET `path` with the credentials; retried as the provider's answer says, `attempts` in all. */
  get(path: string, params: Record<string, string | number | undefined>, signal?: AbortSignal, attempts = this.config.attempts ?? 4): Promise<Answer> {
    return withRetry((attempt) => this.attempt(path, params, attempt, signal), {
      policy: { ...POLICY, attempts: Math.max(1, attempts) },
      signal,
      gate: this.gate,
      onRetry: ({ attempt, error, waitMs }) => {
        if (isThrottled(error) && waitMs) this.config.onThrottle?.(waitMs);
        this.config.log?.debug('retrying', { system: this.label, attempt, wait_ms: waitMs, reason: error instanceof Error ? error.message : String(error) });
      },
    });
  }

  private attempt(path: string, params: Record<string, string | number | undefined>, attempt: number, signal?: AbortSignal): Promise<Answer> {
    return this.limit(async () => {
      // Inside the slot: what beforeCall lets through goes out at once.
      const release = await this.config.beforeCall?.(signal);
      if (signal?.aborted) {
        await release?.();
        signal.throwIfAborted();
      }
      this.count += 1;
      const { apiKey, apiSecret } = this.config.credentials;
      let response: Answer;
      try {
        response = await this.http.get(path, {
          params: { ...params, api_key: apiKey, api_secret: apiSecret, format: 'json' },
          signal,
          acceptStatus: CLIENT_ERRORS,
        });
      } catch (error) {
        if (error instanceof UpstreamError && error.details.status === 429) {
          const waitMs = error.details.retryAfterMs ?? throttleWait(attempt);
          throw this.throttled(
            `HTTP 429${error.details.retryAfterMs !== undefined ? `, Retry-After ${error.details.retryAfterMs}ms` : ''}`,
            waitMs,
            429,
            error,
          );
        }
        throw error;
      } finally {
        await release?.();
      }
      return this.read(response, path, attempt);
    });
  }

  private throttled(what: string, waitMs: number, status: number, cause?: unknown): UpstreamError {
    return new UpstreamError(
      `${this.label}: throttled (${what})`,
      { system: this.label, status, retriable: true, retryAfterMs: Math.min(waitMs, POLICY.maxRetryAfterMs), code: 'throttled' },
      { cause },
    );
  }

  /** The provider's `error` body, whatever the status, or a 4xx without one: an UpstreamError. */
  private read(response: Answer, path: string, attempt: number): Answer {
    const body = response.data;
    const error = body && typeof body === 'object' && !Array.isArray(body) ? (body as { error?: unknown }).error : undefined;
    if (error !== undefined && error !== null) {
      const e = (typeof error === 'object' ? error : { error_msg: error }) as { error_code?: unknown; error_msg?: unknown };
      const code = Number(e.error_code);
      const msg = redact(String(e.error_msg ?? '').slice(0, 300));
      if (code === 14) throw this.throttled(`error 14: ${msg}`, throttleWait(attempt), response.status);
      const [kind, what] =
        code === 6
          ? ['bad_credentials', 'bad credentials']
          : code === 7
            ? ['no_access', 'no access']
            : [`error_${Number.isFinite(code) ? code : 'unknown'}`, 'error'];
      throw new UpstreamError(`${this.label}: ${what} (error ${Number.isFinite(code) ? code : '?'}: ${msg || 'no message'}) on GET ${path}`, {
        system: this.label,
        status: response.status,
        retriable: false,
        code: kind,
      });
    }
    if (response.status >= 400) {
      const hint = typeof body === 'string' ? body.slice(0, 120) : JSON.stringify(body ?? '').slice(0, 120);
      throw new UpstreamError(`${this.label}: GET ${path} answered ${response.status}${hint ? `: ${redact(hint)}` : ''}`, {
        system: this.label,
        status: response.status,
        retriable: false,
      });
    }
    return response;
  }
}
