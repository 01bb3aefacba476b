/**
 * Airtable's REST API: read a view page by page, PATCH records 10 at a time.
 * Airtable allows 5 requests a second per base and answers more with 429 and
 * 30 seconds of refusals. So every client of one base in this process shares
 * one limiter and one pause: a 429 holds every call to the base for the
 * penalty, whichever step made it.
 *
 * The limiter counts at Airtable's end, not ours: a request holds one of 5
 * slots from the moment it leaves until a second after its answer came back.
 * Whenever it reached Airtable, that was inside its slot, so no second at
 * Airtable ever sees 6 (a sliding window on our side, p-throttle's, is beaten
 * by network jitter: requests sent 1.05 s apart arrived 0.2 s apart under load).
 */
import pLimit from 'p-limit';
import { UpstreamError } from '../core/errors.js';
import { createHttpClient, type HttpClient } from '../core/http.js';
import type { Logger } from '../core/log.js';
import { classifyUpstream, PauseGate, withRetry } from '../core/retry.js';

export interface AirtableConfig {
  apiUrl: string;
  pat: string;
  baseId: string;
  tableId: string;
  viewId: string;
  timeoutMs: number;
  attempts: number;
  /** How long a 429 stops every call to the base (Airtable: 30 s). */
  penaltyMs: number;
  /** Requests per second per base (Airtable: 5). */
  ratePerSecond: number;
}

export interface AirtableRecord {
  id: string;
  fields: Record<string, unknown>;
}

export interface AirtablePage {
  records: AirtableRecord[];
  offset?: string;
}

/** Airtable's own maximum of records in one PATCH. */
export const PATCH_MAX_RECORDS = 10;
const PAGE_SIZE = 100;
/**
 * Airtable's window is a second, counted at its end: a request's slot is held
 * a little longer, so that jitter between us and the server (a request sent
 * on time but counted late) never puts a sixth one in its second.
 */
const WINDOW_MS = 1100;

interface BaseLimiter {
  throttle: <T>(fn: () => Promise<T>) => Promise<T>;
  gate: PauseGate;
  /** Resolves once no call holds a slot: the window of the last calls has passed. */
  settled: () => Promise<void>;
}

/** One per base for the whole process: the steps of one run share it. */
const limiters = new Map<string, BaseLimiter>();

function limiterFor(config: AirtableConfig): BaseLimiter {
  const key = `${config.apiUrl}|${config.baseId}`;
  let limiter = limiters.get(key);
  if (!limiter) {
    const slots = pLimit(config.ratePerSecond);
    const throttle = <T>(fn: () => Promise<T>) =>
      new Promise<T>((resolve, reject) => {
        void slots(async () => {
          await fn().then(resolve, reject);
          // The caller has its answer; the slot stays taken a second longer (not unref'd: a call waiting for it must keep the process up).
          await new Promise((r) => setTimeout(r, WINDOW_MS));
        });
      });
    const settled = async () => {
      while (slots.activeCount + slots.pendingCount > 0) await new Promise((r) => setTimeout(r, 50));
    };
    limiter = { throttle, gate: new PauseGate(), settled };
    limiters.set(key, limiter);
  }
  return limiter;
}

export class AirtableClient {
  private readonly http: HttpClient;
  private readonly limiter: BaseLimiter;

  constructor(
    private readonly config: AirtableConfig,
    private readonly log?: Logger,
  ) {
    // One attempt here: retries go through our limiter and pause below, never around them.
    this.http = createHttpClient({
      system: 'Airtable',
      baseURL: config.apiUrl,
      timeoutMs: config.timeoutMs,
      headers: { Authorization: `Bearer ${config.pat}` },
      retry: { attempts: 1 },
      log,
    });
    this.limiter = limiterFor(config);
  }

  private get tablePath(): string {
    return `/v0/${encodeURIComponent(this.config.baseId)}/${encodeURIComponent(this.config.tableId)}`;
  }

  private call<T>(method: string, body: unknown, params: Record<string, string | number> | undefined, signal?: AbortSignal): Promise<T> {
    const { gate, throttle } = this.limiter;
    const send = async (): Promise<T> => {
      for (;;) {
        await gate.wait(signal);
        // A call that waited in the limiter while another got a 429 must not go out during the penalty.
        const response = await throttle(async () =>
          gate.remainingMs() > 0 ? undefined : this.http.request<T>(method, this.tablePath, body, { params, signal }),
        );
        if (response) return response.data;
      }
    };
    return withRetry(send, {
      policy: { attempts: this.config.attempts, maxRetryAfterMs: this.config.penaltyMs },
      signal,
      gate,
      // A 429 from Airtable means "nothing for 30 seconds", whether or not it says so.
      classify: (error) => {
        const verdict = classifyUpstream(error);
        if (error instanceof UpstreamError && error.details.status === 429) return { retriable: true, retryAfterMs: this.config.penaltyMs };
        return verdict;
      },
      onRetry: ({ attempt, waitMs, error }) =>
        this.log?.warn('Airtable call retried', { attempt, wait_ms: waitMs, reason: error instanceof Error ? error.message : String(error) }),
    });
  }

  /** One page of the view (100 records); `offset` from the previous page. */
  /**
   * Waits until the window of this process's last calls has passed. The limit
   * is per process: a task calls this before it ends, so that an ops process
   * started right after it cannot put a sixth call in Airtable's second.
   */
  async settled(): Promise<void> {
    await this.limiter.settled();
  }

  async page(offset: string | undefined, signal?: AbortSignal): Promise<AirtablePage> {
    const params: Record<string, string | number> = { view: this.config.viewId, pageSize: PAGE_SIZE };
    if (offset) params.offset = offset;
    const data = await this.call<unknown>('GET', undefined, params, signal);
    return parsePage(data);
  }

  /** Sets fields on at most 10 records; returns the ids Airtable updated. */
  async patch(records: Array<{ id: string; fields: Record<string, unknown> }>, signal?: AbortSignal): Promise<string[]> {
    if (records.length > PATCH_MAX_RECORDS) throw new Error(`at most ${PATCH_MAX_RECORDS} records per PATCH`);
    const data = await this.call<unknown>('PATCH', { records }, undefined, signal);
    const updated = (data as { records?: unknown })?.records;
    if (!Array.isArray(updated)) throw new UpstreamError('Airtable: the PATCH answer has no records list', { system: 'Airtable', retriable: false });
    return updated.map((r) => (r as { id?: unknown })?.id).filter((id): id is string => typeof id === 'string');
  }

  async probe(signal?: AbortSignal): Promise<string> {
    const started = Date.now();
    const page = await this.call<unknown>('GET', undefined, { view: this.config.viewId, pageSize: 1 }, signal);
    parsePage(page);
    return `view read in ${Date.now() - started}ms`;
  }
}

/** A page as Airtable sends it; an entry without an id is kept for the caller to report. */
function parsePage(data: unknown): AirtablePage {
  const body = data as { records?: unknown; offset?: unknown } | null;
  if (!body || typeof body !== 'object' || !Array.isArray(body.records)) {
    throw new UpstreamError('Airtable: the answer has no records list', { system: 'Airtable', retriable: false });
  }
  const records = body.records.map((r) => {
    const rec = (r ?? {}) as { id?: unknown; fields?: unknown };
    return {
      id: typeof rec.id === 'string' ? rec.id : '',
      fields: rec.fields && typeof rec.fields === 'object' ? (rec.fields as Record<string, unknown>) : {},
    };
  });
  return { records, offset: typeof body.offset === 'string' && body.offset ? body.offset : undefined };
}
