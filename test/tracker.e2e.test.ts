/**
 * The browser tracker (GET /tracker.js): served with its type, cache headers
 * and ETag; and in Debian's Chromium, on a test page of another origin that
 * embeds it from the real `ops serve`, its page views, clicks, form
 * submissions and custom events reach raw.events (the last by sendBeacon on
 * page hide) and pass process-tracking. On both databases: raw.events is read
 * after SIGTERM, as the embedded one admits one process.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Script } from 'node:vm';
import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { sql } from 'kysely';
import type { Page } from 'playwright-core';
import { trackerRoutes } from '../src/server/tracker.js';
import { artifactPath, browserSkip, launchBrowser } from './helpers/browser.js';
import { backends } from './helpers/db.js';
import { baseEnv, runOps } from './helpers/ops.js';
import { createToken, serve, type Served } from './helpers/serve.js';

const ADMIN = 'admin-token-of-the-tracker-test';
const STUB = `window.ops=window.ops||{q:[],track:function(){window.ops.q.push(['track',arguments,Date.now()])}};`;

describe('GET /tracker.js', () => {
  test('200 as JavaScript with Cache-Control and an ETag, gzipped when accepted, 304 when the tag matches; the script parses and keeps to ES2017', async () => {
    const app = Fastify();
    trackerRoutes(app);
    const get = (headers: Record<string, string> = {}) => app.inject({ method: 'GET', url: '/tracker.js', headers });
    const first = await get();
    assert.equal(first.statusCode, 200);
    assert.equal(first.headers['content-type'], 'application/javascript; charset=utf-8');
    assert.equal(first.headers['content-encoding'], undefined);
    assert.match(String(first.headers['cache-control']), /^public, max-age=\d+$/);
    const etag = String(first.headers.etag);
    assert.match(etag, /^"[\w-]{20,}"$/);
    assert.ok(first.body.length > 2_000 && first.body.length < 16_000, `${first.body.length} characters`);
    new Script(first.body, { filename: 'tracker.js' }); // throws on a syntax error
    assert.doesNotMatch(first.body, /[^\t\n\r -~]/, 'ASCII only, whatever the charset of the page');
    // Newer syntax than ES2017 that older browsers refuse: optional chaining, ??, object spread, catch without a binding.
    assert.doesNotMatch(first.body, /\?\.[A-Za-z_([]|\?\?|\.\.\.|catch\s*\{/);
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const again = await get({ 'if-none-match': ifNoneMatch });
      assert.equal(again.statusCode, 304, ifNoneMatch);
      assert.equal(again.body, '');
      assert.equal(again.headers.etag, etag);
    }
    assert.equal((await get({ 'if-none-match': '"other"' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'HEAD', url: '/tracker.js' })).statusCode, 200);
    // What browsers ask for: the same text gzipped, under a tag of its own.
    const zipped = await get({ 'accept-encoding': 'gzip, deflate, br, zstd' });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(zipped.headers.vary, 'Accept-Encoding');
    assert.equal(gunzipSync(zipped.rawPayload).toString('utf8'), first.body);
    assert.ok(zipped.rawPayload.length < first.body.length / 2);
    assert.notEqual(zipped.headers.etag, etag);
    assert.equal((await get({ 'accept-encoding': 'gzip', 'if-none-match': String(zipped.headers.etag) })).statusCode, 304);
    assert.equal((await get({ 'accept-encoding': 'gzip;q=0, identity' })).headers['content-encoding'], undefined);
    await app.close();
  });
});

interface Site {
  origin: string;
  /** Where the pages load the tracker from, and with which key. */
  configure(tracker: string, key: string): void;
  close(): Promise<void>;
}

/** A port where nothing listens: the endpoint of a site whose ops server is down. */
async function deadPort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** The customer's site, on its own origin: a page with marked elements and a form, a hostile page, a page whose endpoint is down. */
async function startSite(): Promise<Site> {
  let tracker = '';
  let key = '';
  const down = await deadPort();
  const tag = (extra = '') => `<script async src="${tracker}" data-write-key="${key}"${extra}></script>`;
  const pages: Partial<Record<string, () => string>> = {
    '/': () => `<!doctype html><title>Book a massage</title>
      <script>${STUB} ops.track('early_event', { from: 'stub' });</script>${tag()}
      <h1>One Spa</h1>
      <button data-ops-track="book_now" data-ops-service-type="massage" data-ops-value="120" data-ops-zip="02110">Book now</button>
      <form id="contact" name="contact" action="/thanks" method="post">
        <input name="email"><input name="id" value="shadows form.id"><button type="submit">Send</button>
      </form>
      <p id="status">not sent</p>
      <script>document.querySelector('form').addEventListener('submit', (e) => {
        e.preventDefault();
        document.body.dataset.sent = '1';
        document.getElementById('status').textContent = 'form sent (navigation prevented by the page); tracker loaded: ' + window.ops.loaded + ', at ' + location.pathname;
      });</script>`,
    // Storage that throws, no crypto.randomUUID, a circular object: the tracker copes and the page sees no error.
    '/hostile': () => `<!doctype html><title>Hostile</title>
      <script>
        for (const name of ['localStorage', 'sessionStorage']) Object.defineProperty(window, name, { get() { throw new DOMException('blocked', 'SecurityError'); } });
        Object.defineProperty(crypto, 'randomUUID', { value: undefined });
        ${STUB}
      </script>${tag()}`,
    // Do Not Track honoured (the site opted in with data-respect-dnt), and a tag without its key: ops.track is there and sends nothing.
    '/dnt': () => `<!doctype html><title>DNT</title>
      <script>Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' }); ${STUB} ops.track('dnt_event');</script>
      ${tag(' data-respect-dnt')}`,
    '/nokey': () => `<!doctype html><title>No key</title><script>${STUB}</script><script async src="${tracker}"></script>`,
    '/down': () => `<!doctype html><title>Down</title><script>${STUB}</script>
      ${tag(` data-endpoint="http://127.0.0.1:${down}/api/v1/track/batch"`)}
      <a href="#top" data-ops-track="top">top</a><form id="f"><input name="q"><button>Go</button></form>
      <script>document.querySelector('form').addEventListener('submit', (e) => e.preventDefault());</script>`,
  };
  const server: Server = createServer((request, response) => {
    const page = pages[(request.url ?? '/').split('?')[0]];
    response.writeHead(page ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    response.end(page ? page() : 'not found');
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    configure(t, k) {
      tracker = t;
      key = k;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

async function rawCount(server: Served): Promise<number> {
  const r = await fetch(`${server.url}/api/v1/track/status`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return ((await r.json()) as { raw: number }).raw;
}

async function waitForRaw(server: Served, expected: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  let count = await rawCount(server);
  while (count < expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    count = await rawCount(server);
  }
  assert.equal(count, expected, 'events in raw.events');
}

const loaded = (page: Page) => page.waitForFunction(() => (window as any).ops?.loaded === true);

for (const backend of backends) {
  describe(`the browser tracker on ${backend.name}`, { skip: backend.skip ?? browserSkip }, () => {
    test('page views (load and pushState), a marked click, a form, ops.track and its stub reach raw by fetch and sendBeacon; process-tracking stages them all', {
      timeout: 240_000,
    }, async () => {
      const site = await startSite();
      const db = await backend.create();
      const env = baseEnv({ ...db.env, OPS_CORS_ORIGINS: site.origin, OPS_ADMIN_TOKEN: ADMIN, OPS_TRACK_PROCESSING: 'false' });
      const { key } = await createToken(env);
      const server = await serve(env);
      let stop: Awaited<ReturnType<Served['stop']>> | undefined;
      const browser = await launchBrowser();
      try {
        site.configure(`${server.url}/tracker.js`, key);
        const context = await browser.newContext();
        // Playwright does not report sendBeacon requests: a pass-through wrapper notes each body in localStorage.
        await context.addInitScript(() => {
          const real = navigator.sendBeacon.bind(navigator);
          navigator.sendBeacon = (url, data) => {
            try {
              localStorage.setItem('test_beacons', JSON.stringify([...JSON.parse(localStorage.getItem('test_beacons') ?? '[]'), String(data)]));
            } catch {}
            return real(url, data);
          };
        });
        const ingest: Array<{ method: string; contentType: string }> = [];
        context.on('request', (r) => {
          if (r.url().startsWith(server.url) && r.url().includes('/api/v1/track'))
            ingest.push({ method: r.method(), contentType: r.headers()['content-type'] ?? '' });
        });
        const errors: string[] = [];
        const open = async (path: string) => {
          const page = await context.newPage();
          page.on('pageerror', (err) => errors.push(`${path}: ${err.message}`));
          await page.goto(`${site.origin}${path}`);
          await loaded(page);
          return page;
        };

        const page = await open('/');
        await page.evaluate(() => history.pushState({}, '', '/booking'));
        await page.click('[data-ops-track="book_now"]');
        await page.fill('input[name=email]', 'secret@example.com');
        await page.click('button[type=submit]');
        await page.waitForFunction(() => document.body.dataset.sent === '1');
        await page.screenshot({ path: artifactPath('tracker.png'), fullPage: true });
        const anonymousId = await page.evaluate(() => localStorage.getItem('ops_anonymous_id'));
        // What is in the buffer now goes by fetch; the last event waits for the page to hide, then goes by sendBeacon.
        await page.evaluate(() => (window as any).ops.flush());
        await page.evaluate(() => (window as any).ops.track('appointment_booked', { value: 120, service_type: 'massage' }));
        await page.goto('about:blank');
        await waitForRaw(server, 6);

        // A second visit: the same visitor and session (30 minutes have not passed).
        await page.goto(`${site.origin}/`);
        await loaded(page);
        assert.equal(await page.evaluate(() => localStorage.getItem('ops_anonymous_id')), anonymousId);
        const beacons: string[] = JSON.parse((await page.evaluate(() => localStorage.getItem('test_beacons'))) ?? '[]');
        assert.ok(
          beacons.some((b) => b.includes('"event_type":"appointment_booked"') && b.includes(`"write_key":"${key}"`)),
          `the last event went by sendBeacon on page hide, the key in its body: ${beacons.length} beacons`,
        );
        await page.close({ runBeforeUnload: true });

        const hostile = await open('/hostile');
        await hostile.evaluate(() => {
          const circular: Record<string, unknown> = { value: 1 };
          circular.self = circular;
          const ops = (window as any).ops;
          return [ops.track('circular', circular), ops.track('hostile_ok', { value: 7 }), ops.track(), ops.track(42)];
        });
        await hostile.goto('about:blank');

        const down = await open('/down');
        await down.click('[data-ops-track="top"]');
        await down.click('form button');
        await down.evaluate(() => (window as any).ops.track('lost', { value: 1 }));
        await down.evaluate(() => (window as any).ops.flush());
        await new Promise((r) => setTimeout(r, 1_500)); // the failed fetch, its retry scheduled
        await down.goto('about:blank');
        for (const path of ['/dnt', '/nokey']) {
          const quiet = await open(path);
          await quiet.evaluate(() => [(window as any).ops.track('quiet_event', { value: 1 }), (window as any).ops.flush()]);
          await quiet.goto('about:blank');
        }

        await waitForRaw(server, 10);
        assert.deepEqual(errors, [], 'no error reached any page');
        assert.ok(ingest.length > 0);
        assert.ok(
          ingest.every((r) => r.method === 'POST' && r.contentType.startsWith('text/plain')),
          `every fetch is a POST of text/plain (no CORS preflight): ${JSON.stringify(ingest)}`,
        );
        await context.close();
      } finally {
        await browser.close();
        await site.close();
        stop = await server.stop();
      }
      assert.equal(stop.code, 0, stop.stderr);

      const rows = (
        await db.use(async (k) => (await sql<{ payload: any; source: string }>`select payload, source from raw.events order by id`.execute(k)).rows)
      ).map((r) => ({ ...r.payload, source: r.source }));
      assert.equal(rows.length, 10, JSON.stringify(rows, null, 1));
      assert.ok(rows.every((e) => e.customer_id === 'one_spa' && /^serve:token:\d+$/.test(e.source)));
      assert.equal(new Set(rows.map((e) => e.event_id)).size, 10, 'distinct event ids');
      assert.ok(!JSON.stringify(rows).includes('secret@example.com'), 'no form field value is sent');
      for (const e of rows) {
        assert.ok(Date.parse(e.occurred_at) <= Date.parse(e.sent_at), JSON.stringify(e));
        assert.match(e.user_agent, /Chrome/);
      }
      const visitor = rows.filter((e) => e.page_url.startsWith(site.origin) && !e.page_url.includes('hostile'));
      const hostileRows = rows.filter((e) => e.page_url.includes('/hostile'));
      assert.equal(visitor.length, 8);
      assert.equal(new Set(visitor.map((e) => e.session_id)).size, 1, 'one session across the two visits');
      assert.equal(new Set(visitor.map((e) => e.anonymous_id)).size, 1, 'one visitor');
      assert.deepEqual(visitor.map((e) => e.event_type).sort(), [
        'appointment_booked',
        'click',
        'early_event',
        'early_event',
        'form_submit',
        'page_view',
        'page_view',
        'page_view',
      ]);
      const byType = (type: string) => visitor.filter((e) => e.event_type === type);
      const [load, pushed] = byType('page_view');
      assert.deepEqual([load.page_url, load.properties], [`${site.origin}/`, { title: 'Book a massage' }]);
      assert.deepEqual([pushed.page_url, pushed.referrer], [`${site.origin}/booking`, `${site.origin}/`]);
      assert.deepEqual(byType('click')[0].properties, { name: 'book_now', element: 'button', service_type: 'massage', value: 120, zip: '02110' });
      assert.deepEqual(byType('form_submit')[0].properties, {
        form_id: 'contact',
        form_name: 'contact',
        form_action: `${site.origin}/thanks`,
        form_method: 'post',
      });
      assert.deepEqual(byType('appointment_booked')[0].properties, { value: 120, service_type: 'massage' });
      const early = byType('early_event')[0];
      assert.deepEqual(early.properties, { from: 'stub' });
      assert.ok(Date.parse(early.occurred_at) <= Date.parse(load.occurred_at), 'a stub call keeps the time it was made');
      // Storage blocked and no randomUUID: ids from getRandomValues, a visitor of its own; the circular call dropped.
      assert.deepEqual(hostileRows.map((e) => e.event_type).sort(), ['hostile_ok', 'page_view']);
      assert.ok(hostileRows.every((e) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(e.event_id)));
      assert.notEqual(hostileRows[0].anonymous_id, visitor[0].anonymous_id);

      const processed = await runOps(['process-tracking', '--json'], env);
      assert.equal(processed.code, 0, processed.stderr);
      assert.deepEqual([processed.json.stats.staged, processed.json.stats.quarantined], [10, 0], JSON.stringify(processed.json.stats));
    });
  });
}
