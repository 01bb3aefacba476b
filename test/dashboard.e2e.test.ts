/**
 * The web dashboard of `ops serve` (GET /, /runs, /runs/:id, /batches/:id).
 * In Debian's Chromium (playwright-core), against the database `ops demo`
 * seeds plus a failed run: the overview's tasks, figures and charts, the runs
 * filtered with and without JavaScript, a run's detail, a batch's centers,
 * screenshots kept under artifacts/. Over plain HTTP on both databases: the
 * admin token (Basic or Bearer), the filters' errors, 404s, escaping and the
 * security headers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { backends } from './helpers/db.js';
import { artifactPath, browserSkip, launchBrowser } from './helpers/browser.js';
import { baseEnv, runOps } from './helpers/ops.js';
import { serve, type Served } from './helpers/serve.js';
import { ingest, processTracking } from './helpers/tracking.js';

const ADMIN = 'dashboard-admin-token';

/** A run that fails for a reason anyone can see: the location API refuses the connection. */
async function failedSyncCenters(env: NodeJS.ProcessEnv) {
  const result = await runOps(['sync-centers', '--json'], {
    ...env,
    LOCATION_SLUG_API_URL: 'http://127.0.0.1:1/slugs',
    LOCATION_DATA_API_URL: 'http://127.0.0.1:1',
    LOCATION_API_KEY: 'k',
  });
  assert.equal(result.code, 1, result.stderr);
  return result;
}

const basicAuth = (password: string) => `Basic ${Buffer.from(`anyone:${password}`).toString('base64')}`;

async function get(server: Served, path: string, authorization?: string) {
  const r = await fetch(`${server.url}${path}`, { headers: authorization ? { authorization } : {} });
  return { status: r.status, text: await r.text(), headers: r.headers };
}

for (const backend of backends) {
  describe(`the dashboard over HTTP on ${backend.name}`, { skip: backend.skip }, () => {
    test('admin token by Basic or Bearer; pages, filters, 404s; everything from the database escaped', async () => {
      const db = await backend.create();
      const env = baseEnv({ ...db.env, OPS_ADMIN_TOKEN: ADMIN, OPS_TRACK_PROCESSING: 'false' });
      const day = new Date().toISOString().slice(0, 10);
      await ingest(env, [
        { event_id: 'a', customer_id: 'c1', event_type: 'page_view', occurred_at: `${day}T08:00:00Z`, session_id: 's', page_url: 'https://x.example/<b>' },
        { event_id: 'b', customer_id: 'c1', event_type: 'page_view', occurred_at: `${day}T08:01:00Z`, session_id: 's', page_url: 'https://x.example/2' },
        { event_id: 'c', customer_id: 'c1', event_type: 'nope', occurred_at: 'not a time' },
      ]);
      await processTracking(env);
      const failed = await failedSyncCenters(env);
      const server = await serve(env);
      try {
        const home = await get(server, '/');
        assert.equal(home.status, 401);
        assert.match(home.headers.get('www-authenticate') ?? '', /^Basic realm="ops dashboard"/);
        assert.doesNotMatch(home.text, new RegExp(ADMIN));
        assert.equal((await get(server, '/', basicAuth('wrong'))).status, 401);

        const page = await get(server, '/', basicAuth(ADMIN));
        assert.equal(page.status, 200);
        assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
        assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
        assert.match(page.text, /<tr data-task="sync-centers">[\s\S]*?status failed/);
        assert.match(page.text, /<dd id="fig-raw">3<\/dd>/);
        assert.match(page.text, /<dd id="fig-quarantined">1<\/dd>/);
        assert.match(page.text, /<rect class="bar"[^>]*><title>[^<]*2 events/, 'the day of the two page views is a bar');
        assert.match(page.text, /<circle /, 'run durations are drawn');
        assert.equal((await get(server, '/', `Bearer ${ADMIN}`)).status, 200);

        const runs = await get(server, '/runs?status=failed', basicAuth(ADMIN));
        assert.equal(runs.status, 200);
        assert.equal([...runs.text.matchAll(/<tr data-run="/g)].length, 1);
        assert.match(runs.text, new RegExp(`data-run="${failed.json.run_id}"`));
        const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
        assert.match((await get(server, `/runs?from=${tomorrow}`, basicAuth(ADMIN))).text, /No runs match/);
        const bad = await get(server, '/runs?status=bogus&from=2026-13-40&limit=9999', basicAuth(ADMIN));
        assert.equal(bad.status, 400);
        assert.match(bad.text, /Outcome: one of/);
        assert.match(bad.text, /From: a date as YYYY-MM-DD/);
        assert.match(bad.text, /Show: a whole number/);

        const detail = await get(server, `/runs/${failed.json.run_id}`, basicAuth(ADMIN));
        assert.equal(detail.status, 200);
        assert.match(detail.text, /<pre id="run-error">location API: GET http:\/\/127.0.0.1:1\/slugs failed \(ECONNREFUSED\)<\/pre>/);
        assert.equal((await get(server, '/runs/nope', basicAuth(ADMIN))).status, 404);
        const escaped = await get(server, `/runs/${encodeURIComponent('<script>alert(1)</script>')}`, basicAuth(ADMIN));
        assert.equal(escaped.status, 404);
        assert.doesNotMatch(escaped.text, /<script>alert/);
        assert.match(escaped.text, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
        assert.equal((await get(server, '/batches/nope', basicAuth(ADMIN))).status, 404);

        const script = await get(server, '/dashboard.js');
        assert.equal(script.status, 200);
        assert.match(script.headers.get('content-type') ?? '', /javascript/);

        const status = JSON.parse((await get(server, '/api/v1/status', `Bearer ${ADMIN}`)).text);
        const sync = status.tasks.find((t: any) => t.task === 'sync-centers');
        assert.equal(sync.status, 'failed');
        assert.equal(sync.next_due.by, 'sync-and-run');
        assert.ok(new Date(sync.next_due.at) > new Date());
      } finally {
        const stopped = await server.stop();
        assert.equal(stopped.code, 0, stopped.stderr);
      }
    });
  });
}

test('without OPS_ADMIN_TOKEN the dashboard is off and says how to turn it on', async () => {
  const db = await backends[0]!.create();
  const server = await serve(baseEnv({ ...db.env, OPS_TRACK_PROCESSING: 'false' }));
  try {
    const page = await get(server, '/', basicAuth('anything'));
    assert.equal(page.status, 401);
    assert.match(page.text, /The dashboard is off/);
    assert.match(page.text, /OPS_ADMIN_TOKEN/);
  } finally {
    await server.stop();
  }
});

describe('the dashboard in Chromium, on the database ops demo seeds', { skip: browserSkip }, () => {
  let browser: Browser;
  let server: Served;
  let dataDir: string;
  let failedRunId: string;
  const cwd = mkdtempSync(join(tmpdir(), 'ops-dashboard-'));

  before(async () => {
    const demo = await runOps(['demo', '--centers', '6'], baseEnv({ OPS_OUTPUT_DIR: join(cwd, 'output') }), { cwd, timeoutMs: 240_000 });
    assert.equal(demo.code, 0, demo.stderr);
    dataDir = /a fresh embedded database in (\S+)/.exec(demo.stdout)?.[1] ?? '';
    assert.ok(dataDir, demo.stdout);
    const env = baseEnv({
      DATABASE_URL: '',
      OPS_DATA_DIR: dataDir,
      OPS_OUTPUT_DIR: join(cwd, 'output'),
      OPS_ADMIN_TOKEN: ADMIN,
      OPS_TRACK_PROCESSING: 'false',
    });
    failedRunId = (await failedSyncCenters(env)).json.run_id;
    server = await serve(env);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    if (server) assert.equal((await server.stop()).code, 0);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    rmSync(cwd, { recursive: true, force: true });
  });

  /** A page that fails the test on any script error or failed request. */
  async function open(javaScriptEnabled = true): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({
      httpCredentials: { username: 'ops', password: ADMIN },
      javaScriptEnabled,
      viewport: { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
    return { page, problems };
  }

  test('overview: every task with its last outcome and next due time, the tracking figures, both charts', async () => {
    const { page, problems } = await open();
    await page.goto(`${server.url}/`);
    assert.equal(await page.title(), 'Overview · ops');
    const row = (task: string) => page.locator(`#tasks tr[data-task="${task}"]`);
    assert.equal(await row('sync-centers').locator('.status').first().textContent(), 'failed');
    assert.equal(await row('run-batch').locator('.status').first().textContent(), 'success');
    assert.match((await row('run-batch').textContent()) ?? '', /by sync-and-run · 0 2 \* \* \*/);
    assert.match((await row('discover-events').textContent()) ?? '', /0 6,18 \* \* \*/);
    // Times in the reader's zone once the script ran: the UTC text is replaced, the instant kept in the title.
    const first = page.locator('#tasks time').first();
    assert.doesNotMatch((await first.textContent()) ?? '', /UTC$/);
    assert.match((await first.getAttribute('title')) ?? '', /Z$/);

    const track = JSON.parse((await get(server, '/api/v1/track/status', `Bearer ${ADMIN}`)).text);
    assert.equal(await page.locator('#fig-raw').textContent(), track.raw.toLocaleString('en'));
    assert.equal(await page.locator('#fig-quarantined').textContent(), track.quarantined.toLocaleString('en'));
    assert.ok((await page.locator('#quarantine-reasons tbody tr').count()) >= 1);
    assert.ok((await page.locator('svg.chart rect.bar').count()) >= 1, 'events per day');
    assert.ok((await page.locator('svg.chart circle').count()) >= 10, 'run durations');
    await page.screenshot({ path: artifactPath('dashboard-overview.png'), fullPage: true });
    assert.deepEqual(problems, []);
  });

  test('runs: the outcome filter submits itself; a run’s detail with its error; a batch’s centers', async () => {
    const { page, problems } = await open();
    await page.goto(`${server.url}/runs`);
    assert.ok((await page.locator('#runs tbody tr').count()) >= 10);
    await Promise.all([page.waitForURL(/status=failed/), page.selectOption('select[name=status]', 'failed')]);
    const failedRows = page.locator('#runs tbody tr');
    assert.equal(await failedRows.count(), 1);
    assert.equal(await failedRows.first().getAttribute('data-run'), failedRunId);
    await Promise.all([page.waitForURL(/\/runs\//), failedRows.first().getByRole('link', { name: 'details' }).click()]);
    assert.match((await page.locator('#run-error').textContent()) ?? '', /ECONNREFUSED/);
    await page.screenshot({ path: artifactPath('dashboard-run.png'), fullPage: true });

    await page.goto(`${server.url}/runs?task=run-batch`);
    await Promise.all([page.waitForURL(/\/runs\/[^?]/), page.locator('#runs tbody tr').first().getByRole('link', { name: 'details' }).click()]);
    assert.match((await page.locator('#run-stats').textContent()) ?? '', /centers/);
    await Promise.all([page.waitForURL(/\/batches\//), page.getByRole('link', { name: /centers of batch/ }).click()]);
    assert.equal(await page.locator('#centers tbody tr').count(), 6);
    await page.screenshot({ path: artifactPath('dashboard-batch.png'), fullPage: true });
    assert.deepEqual(problems, []);
  });

  test('with JavaScript off the tables and the filter form still work', async () => {
    const { page, problems } = await open(false);
    await page.goto(`${server.url}/runs`);
    await page.selectOption('select[name=status]', 'failed');
    await page.selectOption('select[name=task]', 'sync-centers');
    await Promise.all([page.waitForURL(/status=failed/), page.getByRole('button', { name: 'Filter' }).click()]);
    assert.equal(await page.locator('#runs tbody tr').count(), 1);
    // Without the script the times stay in UTC, as the markup gives them.
    assert.match((await page.locator('#runs time').first().textContent()) ?? '', /UTC$/);
    await page.goto(`${server.url}/`);
    assert.ok((await page.locator('#tasks tbody tr').count()) >= 10);
    assert.ok((await page.locator('svg.chart').count()) >= 2);
    assert.deepEqual(problems, []);
  });
});
