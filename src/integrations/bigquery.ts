/**
 * BigQuery through the official @google-cloud/bigquery client (loaded with
 * import(): it is large): sessions per page URL over the last N days. The
 * endpoint is a setting, so the sandbox can answer; authentication is the
 * client's own (GOOGLE_APPLICATION_CREDENTIALS, or an external_account file
 * whose token_url is the sandbox's).
 */
import { errorMessage, UpstreamError, ValidationError } from '../core/errors.js';
import { withAttemptSignal } from '../core/attempt-signal.js';

export interface BigQueryConfig {
  projectId: string;
  dataset: string;
  table: string;
  apiEndpoint?: string;
  keyFilename?: string;
  location?: string;
  timeoutMs: number;
}

export interface SessionsResult {
  sql: string;
  params: { days: number };
  rows: Array<{ url: string; sessions: number }>;
  /** Rows that did not have a URL and a whole number of sessions, with the reason. */
  rejected: Array<{ item: string; reason: string }>;
}

const IDENTIFIER = /^[A-Za-z0-9_-]{1,1024}$/;

export function sessionsSql(config: Pick<BigQueryConfig, 'projectId' | 'dataset' | 'table'>): string {
  // Identifiers cannot be query parameters: they are settings, checked to be plain names.
  for (const [name, value] of Object.entries({ project: config.projectId, dataset: config.dataset, table: config.table })) {
    if (!IDENTIFIER.test(value)) throw new ValidationError(`BigQuery ${name} "${value}" is not a plain identifier`);
  }
  return [
    'SELECT page_url AS url, SUM(sessions) AS sessions',
    `FROM \`${config.projectId}.${config.dataset}.${config.table}\``,
    'WHERE session_date >= DATE_SUB(CURRENT_DATE(), INTERVAL @days DAY)',
    'GROUP BY page_url',
  ].join('\n');
}

export class BigQuerySessions {
  constructor(private readonly config: BigQueryConfig) {}

  private async client() {
    const { BigQuery } = await import('@google-cloud/bigquery');
    return new BigQuery({
      projectId: this.config.projectId,
      ...(this.config.apiEndpoint ? { apiEndpoint: this.config.apiEndpoint } : {}),
      ...(this.config.keyFilename ? { keyFilename: this.config.keyFilename } : {}),
    });
  }

  async sessionsByUrl(days: number, signal?: AbortSignal): Promise<SessionsResult> {
    const sql = sessionsSql(this.config);
    const bigquery = await this.client();
    let raw: unknown[];
    try {
      // The client takes no AbortSignal: the attempt's signal bounds our wait, and the job times out on its side too.
      [raw] = await withAttemptSignal(this.config.timeoutMs, signal, (attempt) =>
        Promise.race([
          bigquery.query({ query: sql, params: { days }, location: this.config.location, jobTimeoutMs: this.config.timeoutMs }),
          new Promise<never>((_, reject) => attempt.signal.addEventListener('abort', () => reject(attempt.signal.reason), { once: true })),
        ]),
      );
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new UpstreamError(`BigQuery: ${errorMessage(err).slice(0, 500)}`, { system: 'BigQuery', retriable: false }, { cause: err });
    }
    const rows: SessionsResult['rows'] = [];
    const rejected: SessionsResult['rejected'] = [];
    for (const r of raw) {
      const row = (r ?? {}) as { url?: unknown; sessions?: unknown };
      const sessions =
        typeof row.sessions === 'object' && row.sessions !== null ? Number(String((row.sessions as { value?: unknown }).value)) : Number(row.sessions ?? 0);
      if (typeof row.url !== 'string' || !row.url) rejected.push({ item: JSON.stringify(r).slice(0, 100), reason: 'the row has no url' });
      else if (!Number.isInteger(sessions) || sessions < 0)
        rejected.push({ item: row.url, reason: `sessions ${JSON.stringify(row.sessions)} is not a whole number` });
      else rows.push({ url: row.url, sessions });
    }
    return { sql, params: { days }, rows, rejected };
  }

  async probe(): Promise<string> {
    const started = Date.now();
    const bigquery = await this.client();
    await bigquery.query({ query: 'SELECT 1 AS ok', location: this.config.location });
    return `query answered in ${Date.now() - started}ms`;
  }
}
