/**
 * The one HTTP client factory every integration uses: axios with a timeout
 * per attempt that covers the whole exchange (body included), retries
 * (network errors, timeouts, 408, 429 honouring Retry-After, 5xx) through
 * withRetry, and an optional per-host rate limit (p-throttle). Redirects are
 * followed within the same origin only: a redirect to another origin is an
 * error, so that no credential (header or query parameter) ever goes along.
 * Errors come out as UpstreamError with the status and a redacted URL;
 * nothing here knows what the system is for.
 */
import axios, { AxiosError, type AxiosInstance, type AxiosResponse } from 'axios';
import pThrottle from 'p-throttle';
import { withAttemptSignal } from './attempt-signal.js';
import { UpstreamError } from './errors.js';
import type { Logger } from './log.js';
import { redact } from './redact.js';
import { VERSION } from './version.js';
import { parseRetryAfter, PauseGate, withRetry, type RetryPolicy } from './retry.js';

export interface HttpClientOptions {
  /** Name used in errors and logs: "location API". */
  system: string;
  baseURL?: string;
  timeoutMs?: number;
  headers?: Record<string, string>;
  retry?: Partial<RetryPolicy>;
  /** At most this many requests per second to one host. */
  ratePerSecond?: number;
  /** A body larger than this is refused, not read into memory (default 64 MiB). */
  maxResponseBytes?: number;
  log?: Logger;
}

const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export interface HttpResponse<T> {
  status: number;
  data: T;
  headers: Record<string, unknown>;
  attempts: number;
}

export interface RequestOptions {
  params?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
  /** Statuses that are answers, not errors (e.g. 404 for "gone"). */
  acceptStatus?: number[];
}

export interface HttpClient {
  get<T = unknown>(url: string, options?: RequestOptions): Promise<HttpResponse<T>>;
  request<T = unknown>(method: string, url: string, body?: unknown, options?: RequestOptions): Promise<HttpResponse<T>>;
}

const RETRIABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** Thrown from axios' redirect hook: the redirect leads to another origin. */
class CrossOriginRedirect extends Error {
  constructor(
    readonly from: string,
    readonly to: string,
  ) {
    super(`redirected to another origin (${to})`);
  }
}

function crossOriginRedirectIn(error: unknown): CrossOriginRedirect | undefined {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof CrossOriginRedirect) return e;
  }
  return undefined;
}

/**
 * axios' beforeRedirect hook: a redirect to another origin (scheme, host or
 * port) stops the request. axios strips only Authorization and Cookie there;
 * our API keys travel in other headers and in query parameters, so the one
 * safe answer is not to go at all.
 */
function refuseCrossOriginRedirect(options: Record<string, unknown>, _response: unknown, request?: { url?: string }): void {
  const to = originOf(String(options.href ?? ''));
  const from = originOf(request?.url ?? '');
  if (!to || !from || to !== from) throw new CrossOriginRedirect(from ?? 'unknown', to ?? 'unknown');
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** Turns an axios failure into an UpstreamError that says whether to retry. */
export function classifyHttpError(system: string, error: unknown): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const redirect = crossOriginRedirectIn(error);
  if (redirect) {
    const where = error instanceof AxiosError ? describeRequest(error.config?.method, error.config?.baseURL, error.config?.url) : 'a request';
    return new UpstreamError(
      `${system}: ${where} was redirected to another origin (${redact(redirect.to)}); not followed, so that no credential goes along — point the URL setting at the final address`,
      { system, retriable: false, code: 'cross_origin_redirect' },
      { cause: error },
    );
  }
  if (error instanceof AxiosError) {
    const where = describeRequest(error.config?.method, error.config?.baseURL, error.config?.url);
    if (error.response) {
      const status = error.response.status;
      const retriable = status === 408 || status === 429 || status >= 500;
      const retryAfterMs = parseRetryAfter(error.response.headers as Record<string, unknown>);
      return new UpstreamError(
        `${system}: ${where} answered ${status}${bodyHint(error.response.data)}`,
        { system, status, retriable, retryAfterMs },
        { cause: error },
      );
    }
    if (/maxContentLength size of \d+ exceeded/.test(error.message)) {
      const limit = Number(/(\d+)/.exec(error.message)?.[1]);
      return new UpstreamError(
        `${system}: ${where} sent a body larger than ${limit} bytes; refused`,
        { system, retriable: false, code: 'too_large' },
        { cause: error },
      );
    }
    const code = error.code ?? 'ERROR';
    const timedOut = code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(error.message);
    return new UpstreamError(
      `${system}: ${where} ${timedOut ? 'timed out' : `failed (${code})`}`,
      { system, retriable: timedOut || RETRIABLE_CODES.has(code), code },
      { cause: error },
    );
  }
  return new UpstreamError(`${system}: ${redact(error instanceof Error ? error.message : String(error))}`, { system, retriable: false }, { cause: error });
}

/** "GET https://host/path" with any credential in the URL masked, for errors and logs. */
function describeRequest(method: string | undefined, base: string | undefined, url: string | undefined): string {
  return `${(method ?? 'get').toUpperCase()} ${redact(fullUrl(base, url))}`;
}

function fullUrl(base: string | undefined, url: string | undefined): string {
  if (!url) return base ?? '';
  if (/^https?:\/\//.test(url) || !base) return url;
  return `${base.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`;
}

function bodyHint(data: unknown): string {
  if (data == null || data === '') return '';
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  return `: ${redact(text.slice(0, 200))}`;
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const instance: AxiosInstance = axios.create({
    baseURL: options.baseURL,
    // No axios timeout: in Node it is an idle-socket timer that every byte resets.
    // Each attempt has its own signal instead, which covers the body too.
    headers: { 'User-Agent': `ops/${VERSION}`, Accept: 'application/json', ...options.headers },
    // Every status is inspected by us, so that classification lives in one place.
    validateStatus: () => true,
    maxRedirects: 5,
    beforeRedirect: refuseCrossOriginRedirect,
    // An upstream gone wrong can send without end: past the cap the transfer stops (final error, see classifyHttpError).
    maxContentLength: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
  });
  const timeoutMs = options.timeoutMs ?? 15_000;
  const gates = new Map<string, PauseGate>();
  const gateFor = (host: string) => gates.get(host) ?? gates.set(host, new PauseGate()).get(host)!;
  const throttles = new Map<string, <T>(fn: () => Promise<T>) => Promise<T>>();
  const throttled = <T>(host: string, fn: () => Promise<T>): Promise<T> => {
    if (!options.ratePerSecond) return fn();
    let throttle = throttles.get(host);
    if (!throttle) {
      const t = pThrottle({ limit: options.ratePerSecond, interval: 1000 });
      throttle = <U>(f: () => Promise<U>) => t(f)();
      throttles.set(host, throttle);
    }
    return throttle(fn);
  };

  async function request<T>(method: string, url: string, body: unknown, req: RequestOptions = {}): Promise<HttpResponse<T>> {
    const host = new URL(fullUrl(options.baseURL, url)).host;
    let attempts = 0;
    return withRetry(
      async () => {
        attempts += 1;
        // The attempt's clock starts when the request goes out, not while the rate limit holds it.
        const response = await throttled(host, () =>
          withAttemptSignal(timeoutMs, req.signal, async (attempt): Promise<AxiosResponse<T>> => {
            try {
              return await instance.request<T>({ method, url, data: body, params: req.params, signal: attempt.signal });
            } catch (error) {
              if (attempt.timedOut()) {
                const where = describeRequest(method, options.baseURL, url);
                throw new UpstreamError(
                  `${options.system}: ${where} timed out after ${timeoutMs}ms`,
                  { system: options.system, retriable: true, code: 'timeout' },
                  { cause: error },
                );
              }
              if (req.signal?.aborted) throw error;
              throw classifyHttpError(options.system, error);
            }
          }),
        );
        const ok = (response.status >= 200 && response.status < 300) || req.acceptStatus?.includes(response.status);
        if (!ok) {
          throw classifyHttpError(options.system, new AxiosError(`status ${response.status}`, String(response.status), response.config, undefined, response));
        }
        return { status: response.status, data: response.data, headers: response.headers as Record<string, unknown>, attempts };
      },
      {
        policy: options.retry,
        signal: req.signal,
        gate: gateFor(host),
        onRetry: ({ attempt, error, waitMs }) =>
          options.log?.debug('retrying', { system: options.system, attempt, wait_ms: waitMs, reason: error instanceof Error ? error.message : String(error) }),
      },
    );
  }

  return {
    get: (url, req) => request('GET', url, undefined, req),
    request: (method, url, body, req) => request(method, url, body, req),
  };
}
