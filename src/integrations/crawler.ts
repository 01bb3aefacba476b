/**
 * The crawler's GraphQL API: URLs updated since an instant, paged by
 * `pageInfo`. An answer with `errors` is a failed call, even with a 200 and
 * some `data`: its message is the error.
 */
import { UpstreamError, ValidationError } from '../core/errors.js';
import { createHttpClient, type HttpClient } from '../core/http.js';
import type { Logger } from '../core/log.js';

export interface CrawlerConfig {
  endpoint: string;
  key: string;
  timeoutMs: number;
  attempts: number;
  pageSize: number;
}

export interface UpdatedUrl {
  url: string;
  statusCode: number;
  updatedAt: Date;
}

export interface UpdatedPage {
  nodes: UpdatedUrl[];
  /** Nodes that did not have the expected shape, with the reason. */
  rejected: Array<{ item: string; reason: string }>;
  hasNextPage: boolean;
  endCursor: string | null;
}

export const UPDATED_URLS_QUERY = `query UpdatedUrls($since: DateTime!, $first: Int!, $after: String) {
  updatedUrls(since: $since, first: $first, after: $after) {
    nodes { url statusCode updatedAt }
    pageInfo { hasNextPage endCursor }
  }
}`;

export class CrawlerClient {
  private readonly http: HttpClient;

  constructor(
    private readonly config: CrawlerConfig,
    log?: Logger,
  ) {
    this.http = createHttpClient({
      system: 'crawler',
      timeoutMs: config.timeoutMs,
      headers: { Authorization: `Bearer ${config.key}`, 'Content-Type': 'application/json' },
      retry: { attempts: config.attempts },
      log,
    });
  }

  async updatedSince(since: Date, after: string | null, signal?: AbortSignal): Promise<UpdatedPage> {
    const response = await this.http.request<unknown>(
      'POST',
      this.config.endpoint,
      { query: UPDATED_URLS_QUERY, variables: { since: since.toISOString(), first: this.config.pageSize, after } },
      { signal },
    );
    return parseUpdatedPage(response.data);
  }

  async probe(signal?: AbortSignal): Promise<string> {
    const started = Date.now();
    await this.updatedSince(new Date(), null, signal);
    return `answered in ${Date.now() - started}ms`;
  }
}

export function parseUpdatedPage(body: unknown): UpdatedPage {
  const answer = body as { data?: { updatedUrls?: unknown }; errors?: unknown } | null;
  if (answer && Array.isArray(answer.errors) && answer.errors.length > 0) {
    const messages = answer.errors.map((e) =>
      e && typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : JSON.stringify(e),
    );
    throw new UpstreamError(`crawler: GraphQL error: ${messages.join('; ').slice(0, 500)}`, { system: 'crawler', retriable: false, code: 'graphql' });
  }
  const list = answer?.data?.updatedUrls as { nodes?: unknown; pageInfo?: { hasNextPage?: unknown; endCursor?: unknown } } | undefined;
  if (!list || !Array.isArray(list.nodes) || !list.pageInfo) throw new ValidationError('crawler: the answer has no data.updatedUrls with nodes and pageInfo');
  const nodes: UpdatedUrl[] = [];
  const rejected: UpdatedPage['rejected'] = [];
  for (const raw of list.nodes) {
    const n = (raw ?? {}) as { url?: unknown; statusCode?: unknown; updatedAt?: unknown };
    const item = typeof n.url === 'string' ? n.url : JSON.stringify(raw).slice(0, 100);
    const updatedAt = typeof n.updatedAt === 'string' ? new Date(n.updatedAt) : undefined;
    if (typeof n.url !== 'string' || !n.url) rejected.push({ item, reason: 'the node has no url' });
    else if (typeof n.statusCode !== 'number' || !Number.isInteger(n.statusCode) || n.statusCode < 0 || n.statusCode > 999)
      rejected.push({ item, reason: `statusCode ${JSON.stringify(n.statusCode)} is not an HTTP status` });
    else if (!updatedAt || Number.isNaN(updatedAt.getTime())) rejected.push({ item, reason: `updatedAt ${JSON.stringify(n.updatedAt)} is not a date-time` });
    else nodes.push({ url: n.url, statusCode: n.statusCode, updatedAt });
  }
  const hasNextPage = list.pageInfo.hasNextPage === true;
  const endCursor = typeof list.pageInfo.endCursor === 'string' ? list.pageInfo.endCursor : null;
  if (hasNextPage && !endCursor) throw new ValidationError('crawler: hasNextPage is true but endCursor is missing');
  return { nodes, rejected, hasNextPage, endCursor };
}
