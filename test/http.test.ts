/** The shared HTTP client against the location simulator: retries, Retry-After, timeouts, rate limit, redaction. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHttpClient } from '../src/core/http.js';
import { UpstreamError } from '../src/core/errors.js';
import { registerSecret } from '../src/core/redact.js';
import { startLocationSim, type LocationSim } from '../src/sandbox/location-sim.js';
import { LocationApi } from '../src/integrations/location-api.js';
import { getEventListeners } from 'node:events';
import { startHostileServer } from './helpers/hostile.js';

let sim: LocationSim;
before(async () => {
  sim = await startLocationSim({ centers: 5 });
});
after(async () => {
  await sim.close();
});

const detail = (slug: string) => `${sim.dataApiUrl}/slug/${slug}`;

test('5xx twice then an answer: three attempts succeed', async () => {
  sim.setOptions({ failFirst: 2 });
  const http = createHttpClient({ system: 'sim', retry: { attempts: 3, minDelayMs: 5, maxDelayMs: 10 } });
  const response = await http.get(detail(sim.centers[0].slug));
  assert.equal(response.status, 200);
  assert.equal(response.attempts, 3);
  sim.setOptions({ failFirst: 0 });
});

test('429 with Retry-After is honoured before the next attempt', async () => {
  sim.setOptions({ rateLimitRate: 1, retryAfterSeconds: 1 });
  const http = createHttpClient({ system: 'sim', retry: { attempts: 2, minDelayMs: 1, maxDelayMs: 2 } });
  const started = Date.now();
  await assert.rejects(
    http.get(detail(sim.centers[0].slug)),
    (e: unknown) => e instanceof UpstreamError && e.details.status === 429 && e.details.retryAfterMs === 1000,
  );
  assert.ok(Date.now() - started >= 1000, 'waited the Retry-After');
  sim.setOptions({ rateLimitRate: 0 });
});

test('a request that never answers times out, is retried, then fails as retriable', async () => {
  sim.setOptions({ timeoutRate: 1 });
  const http = createHttpClient({ system: 'sim', timeoutMs: 200, retry: { attempts: 2, minDelayMs: 1, maxDelayMs: 2 } });
  await assert.rejects(http.get(detail(sim.centers[0].slug)), (e: unknown) => e instanceof UpstreamError && e.retriable && /timed out/.test(e.message));
  assert.equal(sim.stats().perSlug[sim.centers[0].slug], 2);
  sim.setOptions({ timeoutRate: 0 });
});

test('4xx is final: one attempt', async () => {
  const http = createHttpClient({ system: 'sim', retry: { attempts: 3 } });
  await assert.rejects(http.get(`${sim.baseUrl}/nope`), (e: unknown) => e instanceof UpstreamError && e.details.status === 404 && !e.retriable);
});

test('a per-host rate limit spaces the requests', async () => {
  const http = createHttpClient({ system: 'sim', ratePerSecond: 4 });
  const started = Date.now();
  await Promise.all(Array.from({ length: 9 }, () => http.get(sim.slugApiUrl)));
  // 4 in the first second, 4 in the second, the 9th in the third.
  assert.ok(Date.now() - started >= 2000, `took ${Date.now() - started}ms`);
});

test('an abort stops a retrying request at once', async () => {
  sim.setOptions({ failFirst: 100 });
  const http = createHttpClient({ system: 'sim', retry: { attempts: 10, minDelayMs: 1000, maxDelayMs: 1000 } });
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('stop')), 150);
  const started = Date.now();
  await assert.rejects(http.get(detail(sim.centers[1].slug), { signal: controller.signal }));
  assert.ok(Date.now() - started < 1000);
  sim.setOptions({ failFirst: 0 });
});

test('errors never carry the API key', async () => {
  const key = 'location-key-that-must-not-leak';
  registerSecret(key);
  sim.setOptions({ apiKey: 'something-else' });
  const api = new LocationApi({ slugApiUrl: `${sim.slugApiUrl}?api_key=${key}`, dataApiUrl: sim.dataApiUrl, apiKey: key, attempts: 1 });
  await assert.rejects(api.listSlugs(), (e: unknown) => e instanceof UpstreamError && e.details.status === 401 && !e.message.includes(key));
  sim.setOptions({ apiKey: undefined });
});

test('the slug list is followed across pages in every shape', async () => {
  for (const slugFormat of ['slugs', 'data'] as const) {
    sim.setOptions({ slugFormat, slugPageSize: 2 });
    const list = await new LocationApi({ slugApiUrl: sim.slugApiUrl, dataApiUrl: sim.dataApiUrl }).listSlugs();
    assert.equal(list.slugs.length, 5, slugFormat);
    assert.equal(list.pages, 3, slugFormat);
  }
  sim.setOptions({ slugFormat: 'array', slugPageSize: undefined });
  assert.equal((await new LocationApi({ slugApiUrl: sim.slugApiUrl, dataApiUrl: sim.dataApiUrl }).listSlugs()).slugs.length, 5);
  sim.setOptions({ slugFormat: 'slugs' });
});

test('a body that trickles in is timed out: the timeout covers the whole exchange', async () => {
  const slug = sim.centers[2].slug;
  sim.setOptions({ trickleSlugs: [slug], trickleIntervalMs: 300 });
  const http = createHttpClient({ system: 'sim', timeoutMs: 500, retry: { attempts: 2, minDelayMs: 1, maxDelayMs: 2 } });
  const started = Date.now();
  await assert.rejects(http.get(detail(slug)), (e: unknown) => e instanceof UpstreamError && e.retriable && /timed out/.test(e.message));
  const took = Date.now() - started;
  // Two attempts of 500 ms each, plus slack; the trickle alone would take minutes.
  assert.ok(took < 2500, `took ${took}ms`);
  assert.equal(sim.stats().perSlug[slug], 2, 'the timeout is retried like any other');
  sim.setOptions({ trickleSlugs: [] });
});

test('an abort by the caller is not a timeout: it ends the call as an interruption', async () => {
  const slug = sim.centers[2].slug;
  sim.setOptions({ trickleSlugs: [slug], trickleIntervalMs: 300 });
  const http = createHttpClient({ system: 'sim', timeoutMs: 5000, retry: { attempts: 3, minDelayMs: 1, maxDelayMs: 2 } });
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('stop')), 200);
  await assert.rejects(http.get(detail(slug), { signal: controller.signal }), (e: unknown) => !(e instanceof UpstreamError));
  assert.equal(sim.stats().perSlug[slug], 1, 'not retried');
  sim.setOptions({ trickleSlugs: [] });
});

test('200 requests on one signal leave no abort listener on it', async () => {
  const http = createHttpClient({ system: 'sim', timeoutMs: 5000 });
  const controller = new AbortController();
  for (let i = 0; i < 200; i++) await http.get(detail(sim.centers[i % 5].slug), { signal: controller.signal });
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
});

test('a redirect to another origin is not followed: no key, header or query reaches it', async () => {
  const key = 'redirect-key-1234567890';
  const other = await startHostileServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  const first = await startHostileServer((req, res) => {
    // Same origin first (followed), then off to the other port (a different origin).
    if (req.url?.startsWith('/same')) res.writeHead(302, { location: `/away?${req.url.split('?')[1] ?? ''}` });
    else res.writeHead(302, { location: `${other.url}/landing?${req.url?.split('?')[1] ?? ''}` });
    res.end();
  });
  try {
    const http = createHttpClient({ system: 'sim', headers: { 'X-API-Key': key, Authorization: `Bearer ${key}` }, retry: { attempts: 1 } });
    await assert.rejects(
      http.get(`${first.url}/same`, { params: { api_key: key } }),
      (e: unknown) => e instanceof UpstreamError && !e.retriable && /redirect/i.test(e.message) && !e.message.includes(key),
    );
    assert.deepEqual(
      first.requests.map((r) => r.url.split('?')[0]),
      ['/same', '/away'],
      'the same-origin redirect is followed',
    );
    assert.equal(first.requests[1].headers['x-api-key'], key, 'with its headers');
    assert.equal(other.requests.length, 0, `the other origin got ${JSON.stringify(other.requests)}`);
  } finally {
    await first.close();
    await other.close();
  }
});

test('a body larger than the cap is refused as it arrives, not read into memory, and not retried', async () => {
  const { createServer } = await import('node:http');
  let requests = 0;
  let sent = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/json' });
    // An endless body: the client must stop reading by itself.
    const chunk = Buffer.alloc(64 * 1024, 32);
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) sent += chunk.length;
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const http = createHttpClient({ system: 'sim', maxResponseBytes: 1024 * 1024, timeoutMs: 10_000, retry: { attempts: 3, minDelayMs: 1, maxDelayMs: 2 } });
    await assert.rejects(
      http.get(`http://127.0.0.1:${port}/huge`),
      (e: unknown) => e instanceof UpstreamError && !e.retriable && /larger than 1048576 bytes; refused/.test(e.message),
    );
    assert.equal(requests, 1, 'refused once, not retried');
    assert.ok(sent < 64 * 1024 * 1024, `the transfer stopped early (${sent} bytes sent)`);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
