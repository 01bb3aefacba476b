/**
 * ScrapingBee: a page's HTML through its API. Redirects are followed by
 * ScrapingBee; `Spb-initial-status-code` says whether the URL redirected
 * (301/302) and `Spb-resolved-url` where to. A target answering 4xx/5xx comes
 * back with that status: an answer about the page, not an API failure. The
 * API's own refusals (401 bad key, 402 no credits, 429 too many at once) are.
 */
import { UpstreamError } from '../core/errors.js';
import { createHttpClient, type HttpClient } from '../core/http.js';
import type { Logger } from '../core/log.js';

export interface ScrapingBeeConfig {
  apiUrl: string;
  apiKey: string;
  timeoutMs: number;
  attempts: number;
}

export interface FetchedPage {
  /** The target's first status: 301/302 when it redirected, else the final one. */
  status: number;
  finalStatus: number;
  resolvedUrl: string | null;
  html: string;
}

/** The API's own errors: anything else at 4xx/5xx is the target's status. */
const API_ERRORS = new Set([401, 402, 429]);
const TARGET_STATUSES = Array.from({ length: 200 }, (_, i) => 400 + i).filter((s) => !API_ERRORS.has(s));

export class ScrapingBeeClient {
  private readonly http: HttpClient;

  constructor(
    private readonly config: ScrapingBeeConfig,
    log?: Logger,
  ) {
    this.http = createHttpClient({
      system: 'ScrapingBee',
      timeoutMs: config.timeoutMs,
      retry: { attempts: config.attempts },
      log,
      headers: { Accept: 'text/html, */*' },
    });
  }

  async fetch(url: string, signal?: AbortSignal): Promise<FetchedPage> {
    const response = await this.http.get<unknown>(this.config.apiUrl, {
      params: { api_key: this.config.apiKey, url, render_js: 'false' },
      signal,
      acceptStatus: TARGET_STATUSES,
    });
    const header = (name: string) => {
      const value = response.headers[name];
      return typeof value === 'string' ? value : undefined;
    };
    const initial = Number(header('spb-initial-status-code'));
    const html = typeof response.data === 'string' ? response.data : response.data == null ? '' : JSON.stringify(response.data);
    if (response.status >= 200 && response.status < 300 && html.trim() === '') {
      throw new UpstreamError(`ScrapingBee: ${url} answered ${response.status} with an empty page`, { system: 'ScrapingBee', retriable: false });
    }
    return {
      status: Number.isInteger(initial) && initial >= 100 ? initial : response.status,
      finalStatus: response.status,
      resolvedUrl: header('spb-resolved-url') ?? null,
      html,
    };
  }
}
