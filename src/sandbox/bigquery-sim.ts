/**
 * The BigQuery REST calls the official client makes, simulated, with the STS
 * token exchange of an external_account credentials file (so the client stays
 * on loopback): jobs.query, jobs.insert, getQueryResults (paged), jobs.get.
 * Every query answers sessions per URL of the seeded pages, as strings.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { delay, sendJson, startSimServer } from './http-sim.js';
import type { SimPage } from './catalogue-seed.js';

export interface BigQuerySimOptions {
  latencyMs?: number;
  /** jobs.query answers jobComplete: false; the client then polls getQueryResults. */
  slowJobs?: boolean;
  /** Answer every query with this error (400 invalidQuery). */
  queryError?: string;
}

export interface BigQuerySimStats {
  tokenRequests: number;
  queries: number;
  resultRequests: number;
  /** Requests that carried the access token the exchange handed out. */
  authorised: number;
  unauthorised: number;
  lastSql?: string;
}

export interface BigQuerySim {
  endpoint: string;
  /** An external_account credentials file whose token_url is this simulator's. */
  credentialsFile: string;
  projectId: string;
  setOptions(patch: Partial<BigQuerySimOptions>): void;
  /** Sets one URL's sessions (as BigQuery would report it). */
  setSessions(url: string, sessions: number): void;
  stats(): BigQuerySimStats;
  resetStats(): void;
  close(): Promise<void>;
}

const TOKEN = `ya29.sandbox-${randomBytes(8).toString('hex')}`;
const SCHEMA = {
  fields: [
    { name: 'url', type: 'STRING', mode: 'NULLABLE' },
    { name: 'sessions', type: 'INTEGER', mode: 'NULLABLE' },
  ],
};

export async function startBigQuerySim(
  pages: SimPage[],
  initial: BigQuerySimOptions & { host?: string; port?: number; projectId?: string } = {},
): Promise<BigQuerySim> {
  let options: BigQuerySimOptions = { latencyMs: 0, ...initial };
  const projectId = initial.projectId ?? 'sandbox-project';
  const sessions = new Map(pages.map((p) => [p.url, p.sessions]));
  const jobs = new Map<string, { polls: number }>();
  const fresh = (): BigQuerySimStats => ({ tokenRequests: 0, queries: 0, resultRequests: 0, authorised: 0, unauthorised: 0 });
  let counters = fresh();

  const rows = () => [...sessions.entries()].map(([url, n]) => ({ f: [{ v: url }, { v: String(n) }] }));
  const jobReference = (jobId: string) => ({ projectId, jobId, location: 'US' });
  const results = (jobId: string, complete: boolean, pageToken?: string, maxResults?: number) => {
    if (!complete) return { kind: 'bigquery#getQueryResultsResponse', jobReference: jobReference(jobId), jobComplete: false };
    const all = rows();
    const start = pageToken ? Number(pageToken) : 0;
    const size = maxResults && maxResults > 0 ? maxResults : all.length;
    const slice = all.slice(start, start + size);
    return {
      kind: 'bigquery#queryResponse',
      jobComplete: true,
      jobReference: jobReference(jobId),
      schema: SCHEMA,
      rows: slice,
      totalRows: String(all.length),
      ...(start + size < all.length ? { pageToken: String(start + size) } : {}),
    };
  };

  const server = await startSimServer(
    async (req, res, raw) => {
      await delay(options.latencyMs ?? 0);
      const url = new URL(req.url ?? '/', 'http://sim');
      if (req.method === 'POST' && url.pathname === '/v1/token') {
        counters.tokenRequests += 1;
        return sendJson(res, 200, {
          access_token: TOKEN,
          token_type: 'Bearer',
          expires_in: 3600,
          issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        });
      }
      const match = /^\/bigquery\/v2\/projects\/([^/]+)\/(queries|jobs)(?:\/([^/]+))?$/.exec(url.pathname);
      if (!match) return sendJson(res, 404, { error: { code: 404, message: `Not found: ${url.pathname}`, status: 'NOT_FOUND' } });
      if (req.headers.authorization === `Bearer ${TOKEN}`) counters.authorised += 1;
      else {
        counters.unauthorised += 1;
        return sendJson(res, 401, { error: { code: 401, message: 'Request is missing required authentication credential.', status: 'UNAUTHENTICATED' } });
      }
      const [, , kind, jobId] = match;
      const body = raw ? (JSON.parse(raw) as { query?: string; configuration?: { query?: { query?: string } }; jobReference?: { jobId?: string } }) : {};
      if (req.method === 'POST' && !jobId) {
        counters.queries += 1;
        counters.lastSql = body.query ?? body.configuration?.query?.query;
        if (options.queryError)
          return sendJson(res, 400, {
            error: { code: 400, message: options.queryError, errors: [{ reason: 'invalidQuery', message: options.queryError }], status: 'INVALID_ARGUMENT' },
          });
        // jobs.insert names its job itself; jobs.query lets the server name it.
        const id = body.jobReference?.jobId ?? `job_${randomBytes(6).toString('hex')}`;
        jobs.set(id, { polls: 0 });
        if (kind === 'jobs')
          return sendJson(res, 200, {
            kind: 'bigquery#job',
            id: `${projectId}:US.${id}`,
            jobReference: jobReference(id),
            configuration: body.configuration,
            status: { state: 'RUNNING' },
          });
        return sendJson(res, 200, results(id, !options.slowJobs));
      }
      const job = jobId ? jobs.get(jobId) : undefined;
      if (!job) return sendJson(res, 404, { error: { code: 404, message: `Not found: Job ${projectId}:${jobId}`, status: 'NOT_FOUND' } });
      job.polls += 1;
      const done = !options.slowJobs || job.polls > 1;
      if (kind === 'jobs')
        return sendJson(res, 200, { kind: 'bigquery#job', jobReference: jobReference(jobId!), status: { state: done ? 'DONE' : 'RUNNING' } });
      counters.resultRequests += 1;
      const max = url.searchParams.get('maxResults');
      return sendJson(res, 200, results(jobId!, done, url.searchParams.get('pageToken') ?? undefined, max ? Number(max) : undefined));
    },
    { setOptions: (p) => sim.setOptions(p as Partial<BigQuerySimOptions>), stats: () => sim.stats() },
    initial,
  );

  // The client exchanges this file's subject token at our /v1/token: no call leaves loopback.
  const dir = mkdtempSync(join(tmpdir(), 'ops-bq-sim-'));
  const subjectFile = join(dir, 'subject-token');
  writeFileSync(subjectFile, 'sandbox-subject-token');
  const credentialsFile = join(dir, 'external-account.json');
  writeFileSync(
    credentialsFile,
    JSON.stringify({
      type: 'external_account',
      audience: '//iam.googleapis.com/projects/0/locations/global/workloadIdentityPools/sandbox/providers/sandbox',
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: `${server.baseUrl}/v1/token`,
      credential_source: { file: subjectFile },
    }),
  );

  const sim: BigQuerySim = {
    endpoint: server.baseUrl,
    credentialsFile,
    projectId,
    setOptions(p) {
      options = { ...options, ...p };
    },
    setSessions(url, n) {
      sessions.set(url, n);
    },
    stats: () => structuredClone(counters),
    resetStats() {
      counters = fresh();
    },
    close: () => server.close(),
  };
  return sim;
}
