/**
 * The simulators themselves: the wire formats of upstreams.md, the fault
 * knobs, and that every fault is reproducible for a given configuration.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { QUIET_LLM, startLlmSim } from '../src/sandbox/llm-sim.js';
import type { LocationSimOptions } from '../src/sandbox/location-sim.js';
import { seededCenters } from '../src/sandbox/seed.js';

let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox({ centers: 12 });
});
after(async () => {
  await sandbox.close();
});

const KEY = { 'x-api-key': 'sandbox-location-key' };
const quietLocation: LocationSimOptions = {
  latencyMs: 0,
  errorRate: 0,
  rateLimitRate: 0,
  timeoutRate: 0,
  malformedRate: 0,
  failFirst: 0,
  slugFormat: 'slugs',
  slugPageSize: undefined,
  detailShape: 'mixed',
  extraSlugs: [],
  removeSlugs: [],
};
const quietLlm = QUIET_LLM;

async function getJson(url: string, headers: Record<string, string> = KEY): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, headers: res.headers };
}

const detailUrl = (slug: string) => `${sandbox.location.dataApiUrl}/slug/${encodeURIComponent(slug)}`;

/** Follows the slug list the way ops does: `next`, or `page` + `total_pages`. */
async function allSlugs(): Promise<{ slugs: string[]; pages: number }> {
  const slugs: string[] = [];
  let url: string | undefined = sandbox.location.slugApiUrl;
  let pages = 0;
  while (url) {
    const { status, body } = await getJson(url);
    assert.equal(status, 200);
    pages += 1;
    const list: unknown[] = Array.isArray(body) ? body : (body.slugs ?? body.data);
    for (const entry of list) slugs.push(typeof entry === 'string' ? entry : (entry as { slug: string }).slug);
    if (body.next) url = body.next;
    else if (body.page && body.page < body.total_pages) url = `${sandbox.location.slugApiUrl}?page=${body.page + 1}`;
    else url = undefined;
  }
  return { slugs, pages };
}

test('sandbox env points ops at both simulators', () => {
  const { env } = sandbox;
  assert.equal(env.LOCATION_SLUG_API_URL, `${sandbox.location.baseUrl}/locations/slugs`);
  assert.equal(env.LOCATION_DATA_API_URL, `${sandbox.location.baseUrl}/location/data`);
  assert.equal(env.LOCATION_API_KEY, 'sandbox-location-key');
  assert.equal(env.LLM_PROVIDER, 'openai');
  assert.equal(env.OPENAI_BASE_URL, sandbox.llm.baseUrl);
  assert.equal(env.XAI_BASE_URL, sandbox.llm.baseUrl);
  assert.match(env.OPENAI_API_KEY, /^sk-sandbox-/);
  assert.match(env.XAI_API_KEY, /^xai-sandbox-/);
  assert.equal(env.OPENAI_MODEL, 'gpt-4o-mini');
  assert.equal(env.XAI_MODEL, 'grok-4.3');
  assert.match(sandbox.llm.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
});

test('seeded centers: deterministic, unique slugs past the city list, every 10th inactive', () => {
  const a = seededCenters(130, 5);
  assert.deepEqual(a, seededCenters(130, 5));
  assert.notDeepEqual(
    a.map((c) => c.center_name),
    seededCenters(130, 6).map((c) => c.center_name),
  );
  assert.equal(new Set(a.map((c) => c.slug)).size, 130);
  assert.ok(a.some((c) => c.slug.endsWith('-3')));
  assert.equal(a[0].center_id, 'C-1001');
  assert.equal(a.filter((c) => !c.is_active).length, 13);
  assert.ok(a.every((c) => c.radius >= 10 && c.radius <= 50 && /^\d{5}$/.test(c.zip_code) && c.owner_email === `owner+${c.slug}@example.com`));
});

test('slug list in all three shapes, unpaged and paged', async () => {
  const expected = sandbox.location.centers.map((c) => c.slug);
  for (const slugFormat of ['array', 'slugs', 'data'] as const) {
    sandbox.location.setOptions({ ...quietLocation, slugFormat });
    const { body } = await getJson(sandbox.location.slugApiUrl);
    if (slugFormat === 'array') assert.deepEqual(body, expected);
    if (slugFormat === 'slugs') assert.deepEqual(body.slugs, expected);
    if (slugFormat === 'data')
      assert.deepEqual(
        body.data,
        expected.map((slug) => ({ slug })),
      );
    sandbox.location.setOptions({ slugPageSize: 5 });
    const paged = await allSlugs();
    assert.deepEqual(paged.slugs, expected, slugFormat);
    // A bare array cannot say where the next page is, so it is never paged.
    assert.equal(paged.pages, slugFormat === 'array' ? 1 : 3, slugFormat);
  }
  sandbox.location.setOptions({ ...quietLocation, slugPageSize: 5 });
  const first = await getJson(sandbox.location.slugApiUrl);
  assert.match(first.body.next, /^http:\/\/127\.0\.0\.1:\d+\/locations\/slugs\?page=2$/);
});

test('extra slugs are listed but answer 404; removed slugs are not listed', async () => {
  const hostile = ['../../etc/x', 'a/b', 'münchen-by', 'x y?z#'];
  sandbox.location.setOptions({ ...quietLocation, extraSlugs: hostile, removeSlugs: ['austin-tx'] });
  const { slugs } = await allSlugs();
  assert.ok(!slugs.includes('austin-tx'));
  assert.deepEqual(slugs.slice(-4), hostile);
  for (const slug of [...hostile, 'no-such-center']) {
    const { status, body } = await getJson(detailUrl(slug));
    assert.equal(status, 404, slug);
    assert.deepEqual(body, { error: 'not found' });
  }
  // A WHATWG URL (fetch) resolves "%2E%2E" as "..": sent raw, the sim still looks it up exactly.
  const raw = await new Promise<number>((resolve, reject) => {
    const { hostname, port } = new URL(sandbox.location.baseUrl);
    get({ hostname, port, path: '/location/data/slug/%2E%2E', headers: KEY }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
  assert.equal(raw, 404);
  assert.equal(sandbox.location.stats().perSlug['..'], 1);
  // Removed from the list, but the record is still there.
  assert.equal((await getJson(detailUrl('austin-tx'))).status, 200);
});

test('detail shapes: wrapped, top level, and mixed with variant field names', async () => {
  const [center] = sandbox.location.centers;
  sandbox.location.setOptions({ ...quietLocation, detailShape: 'wrapped' });
  assert.deepEqual((await getJson(detailUrl(center.slug))).body, { data: center });
  sandbox.location.setOptions({ detailShape: 'top' });
  assert.deepEqual((await getJson(detailUrl(center.slug))).body, center);
  sandbox.location.setOptions({ detailShape: 'mixed' });
  const records = await Promise.all(
    sandbox.location.centers.map(async (c) => {
      const { status, body } = await getJson(detailUrl(c.slug));
      assert.equal(status, 200);
      return body.data ?? body;
    }),
  );
  const keys = new Set(records.flatMap((r) => Object.keys(r)));
  for (const k of ['id', 'center_id', 'name', 'center_name', 'zip', 'postal_code', 'zip_code']) assert.ok(keys.has(k), k);
  assert.ok(records.some((r) => !('country' in r) && !('radius' in r)));
  assert.ok(records.every((r) => (r.center_id ?? r.id) && (r.center_name ?? r.name)));
});

test('failFirst: each slug answers 503 N times, then its record', async () => {
  sandbox.location.setOptions({ ...quietLocation, failFirst: 2 });
  const slug = sandbox.location.centers[1].slug;
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await getJson(detailUrl(slug))).status);
  assert.deepEqual(statuses, [503, 503, 200]);
  assert.equal(sandbox.location.stats().perSlug[slug], 3);
});

test('random faults are reproducible per (seed, slug, attempt)', async () => {
  const run = async () => {
    sandbox.location.setOptions({ ...quietLocation, errorRate: 0.5 });
    const statuses = [];
    for (const c of sandbox.location.centers) for (let i = 0; i < 2; i++) statuses.push((await getJson(detailUrl(c.slug))).status);
    return statuses;
  };
  const first = await run();
  assert.deepEqual(await run(), first);
  assert.ok(first.includes(503) && first.includes(200));
});

test('429 carries Retry-After; malformed records; timeouts hold the request', async () => {
  const slug = sandbox.location.centers[2].slug;
  sandbox.location.setOptions({ ...quietLocation, rateLimitRate: 1, retryAfterSeconds: 3 });
  const limited = await getJson(detailUrl(slug));
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get('retry-after'), '3');

  sandbox.location.setOptions({ ...quietLocation, malformedRate: 1 });
  const bodies = await Promise.all(sandbox.location.centers.slice(0, 4).map(async (c) => (await getJson(detailUrl(c.slug))).body));
  assert.ok(
    bodies.some((b) => typeof b === 'string'),
    'some are not JSON',
  );
  assert.ok(
    bodies.some((b) => typeof b === 'object' && !('center_id' in (b.data ?? b))),
    'some lack center_id',
  );

  sandbox.location.setOptions({ ...quietLocation, timeoutRate: 1 });
  await assert.rejects(fetch(detailUrl(slug), { headers: KEY, signal: AbortSignal.timeout(200) }));
  sandbox.location.setOptions(quietLocation);
});

test('API key: X-API-Key or Bearer; admin routes need none', async () => {
  const url = detailUrl(sandbox.location.centers[0].slug);
  assert.equal((await getJson(url, {})).status, 401);
  assert.equal((await getJson(url, { 'x-api-key': 'wrong' })).status, 401);
  assert.equal((await getJson(url, { authorization: 'Bearer sandbox-location-key' })).status, 200);
  assert.equal((await getJson(sandbox.location.slugApiUrl, {})).status, 401);
  const posted = await fetch(`${sandbox.location.baseUrl}/_sim/options`, { method: 'POST', body: JSON.stringify({ failFirst: 1 }) });
  assert.equal(posted.status, 200);
  assert.equal((await getJson(url)).status, 503);
  const stats = await getJson(`${sandbox.location.baseUrl}/_sim/stats`, {});
  assert.ok(stats.body.detailRequests > 0 && stats.body.byStatus['503'] > 0);
  sandbox.location.setOptions(quietLocation);
});

// ---- LLM simulator ----

const CATEGORIES = ['music', 'sports', 'food', 'arts', 'community', 'family', 'market'];

async function complete(location: string, opts: { dates?: string; format?: boolean; model?: string; key?: string } = {}) {
  const prompt = [`Find local events.`, `Location: ${location}`, opts.dates ? `Dates: ${opts.dates}` : '', 'Answer as JSON.'].join('\n');
  const res = await fetch(`${sandbox.llm.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.key ?? sandbox.env.OPENAI_API_KEY}` },
    body: JSON.stringify({
      model: opts.model ?? 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You list events.' },
        { role: 'user', content: prompt },
      ],
      ...(opts.format === false ? {} : { response_format: { type: 'json_schema', json_schema: { name: 'events', strict: true, schema: {} } } }),
    }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

test('LLM: an OpenAI-shaped answer with valid events in the asked window, and usage', async () => {
  sandbox.llm.setOptions(quietLlm);
  const { status, body } = await complete('78701, Austin, TX', { dates: '2030-03-01 to 2030-03-14', model: 'grok-4.3' });
  assert.equal(status, 200);
  assert.match(body.id, /^chatcmpl-/);
  assert.equal(body.object, 'chat.completion');
  assert.equal(body.model, 'grok-4.3');
  assert.equal(typeof body.created, 'number');
  const [choice] = body.choices;
  assert.equal(choice.finish_reason, 'stop');
  assert.equal(choice.message.role, 'assistant');
  const { events } = JSON.parse(choice.message.content);
  assert.equal(events.length, 6);
  for (const e of events) {
    assert.ok(e.name && e.venue && e.address && e.description);
    assert.equal(e.city, 'Austin');
    assert.ok(e.date >= '2030-03-01' && e.date <= '2030-03-14', e.date);
    for (const t of [e.start_time, e.end_time]) assert.ok(t === null || /^\d{2}:\d{2}$/.test(t));
    assert.match(e.url, /^https:\/\//);
    assert.ok(CATEGORIES.includes(e.category));
  }
  const { usage } = body;
  assert.ok(usage.prompt_tokens > 0 && usage.completion_tokens >= choice.message.content.length / 4 - 1);
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
});

test('LLM: deterministic per location; no Dates line means the next 30 days', async () => {
  sandbox.llm.setOptions(quietLlm);
  const a = await complete('83702, Boise, ID');
  const b = await complete('83702, Boise, ID');
  const c = await complete('80202, Denver, CO');
  assert.equal(a.body.choices[0].message.content, b.body.choices[0].message.content);
  assert.notEqual(a.body.choices[0].message.content, c.body.choices[0].message.content);
  const today = new Date().toISOString().slice(0, 10);
  const limit = new Date(Date.now() + 31 * 86_400_000).toISOString().slice(0, 10);
  for (const e of JSON.parse(a.body.choices[0].message.content).events) assert.ok(e.date >= today && e.date <= limit, e.date);
});

test('LLM: fenced, prose-wrapped, non-JSON and truncated content', async () => {
  const extract = (content: string) => JSON.parse(/```json\n([\s\S]*?)\n```/.exec(content)![1]);
  sandbox.llm.setOptions({ ...quietLlm, fenceRate: 1 });
  let content: string = (await complete('97204, Portland, OR')).body.choices[0].message.content;
  assert.ok(!content.startsWith('{') && content.includes('```json'));
  assert.equal(extract(content).events.length, 6);

  sandbox.llm.setOptions({ ...quietLlm, ignoreResponseFormat: true });
  content = (await complete('97204, Portland, OR')).body.choices[0].message.content;
  assert.equal(extract(content).events.length, 6);

  sandbox.llm.setOptions({ ...quietLlm, nonJsonRate: 1 });
  content = (await complete('97204, Portland, OR')).body.choices[0].message.content;
  assert.ok(!content.includes('{'));

  sandbox.llm.setOptions({ ...quietLlm, truncateRate: 1 });
  const cut = (await complete('97204, Portland, OR')).body.choices[0];
  assert.equal(cut.finish_reason, 'length');
  assert.throws(() => JSON.parse(cut.message.content));
});

test('LLM: invalid and formula-like events', async () => {
  sandbox.llm.setOptions({ ...quietLlm, invalidEventRate: 1 });
  let { events } = JSON.parse((await complete('98101, Seattle, WA')).body.choices[0].message.content);
  for (const e of events) assert.ok(!e.name || !/^\d{4}-\d{2}-\d{2}$/.test(e.date) || !/^https:\/\//.test(e.url));
  sandbox.llm.setOptions({ ...quietLlm, formulaEvents: true });
  ({ events } = JSON.parse((await complete('98101, Seattle, WA')).body.choices[0].message.content));
  assert.ok(events.some((e: any) => e.name.startsWith('=HYPERLINK(')));
  for (const prefix of ['@SUM(', '+1', '-2'])
    assert.ok(
      events.some((e: any) => e.description.startsWith(prefix)),
      prefix,
    );
});

test('LLM: eventsPerLocation and one event with a huge venue', async () => {
  sandbox.llm.setOptions({ ...quietLlm, eventsPerLocation: 50, hugeVenueChars: 10_000 });
  const { events } = JSON.parse((await complete('98101, Seattle, WA')).body.choices[0].message.content);
  sandbox.llm.setOptions({ eventsPerLocation: 6, hugeVenueChars: 0 });
  assert.equal(events.length, 51);
  assert.deepEqual(
    events.filter((e: any) => e.venue.length === 10_000).map((e: any) => e.name),
    [`${events[0].name} Mega`],
  );
});

test('LLM: outage, 429 with retry headers, failFirst per location, bad key', async () => {
  sandbox.llm.setOptions({ ...quietLlm, outage: true });
  const down = await complete('85004, Phoenix, AZ');
  assert.equal(down.status, 503);
  assert.equal(typeof down.body.error.message, 'string');

  sandbox.llm.setOptions({ ...quietLlm, rateLimitRate: 1, retryAfterSeconds: 2 });
  const limited = await complete('85004, Phoenix, AZ');
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get('retry-after'), '2');
  assert.equal(limited.headers.get('retry-after-ms'), '2000');
  assert.equal(limited.body.error.code, 'rate_limit_exceeded');

  sandbox.llm.setOptions({ ...quietLlm, failFirst: 2 });
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await complete('37203, Nashville, TN')).status);
  statuses.push((await complete('27601, Raleigh, NC')).status);
  assert.deepEqual(statuses, [503, 503, 200, 503]);

  const guarded = await startLlmSim({ apiKey: 'sk-right' });
  try {
    const res = await fetch(`${guarded.baseUrl}/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer sk-wrong' }, body: '{}' });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as any).error.code, 'invalid_api_key');
    const models = await fetch(`${guarded.baseUrl}/models`, { headers: { authorization: 'Bearer sk-right' } });
    assert.equal(models.status, 200);
    assert.ok(((await models.json()) as any).data.length > 0);
  } finally {
    await guarded.close();
  }
});

test('LLM: timeoutRate holds a request unanswered until the client gives up (what `ops sandbox --timeout-rate` sets)', async () => {
  sandbox.llm.setOptions({ ...quietLlm, timeoutRate: 1 });
  await assert.rejects(
    fetch(`${sandbox.llm.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sandbox.env.OPENAI_API_KEY}` },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Location: 85004, Phoenix, AZ' }] }),
      signal: AbortSignal.timeout(300),
    }),
    { name: 'TimeoutError' },
  );
  sandbox.llm.setOptions({ ...quietLlm, timeoutRate: 0 });
  assert.equal((await complete('85004, Phoenix, AZ')).status, 200);
});

test('LLM: in-flight requests are counted (maxConcurrent)', async () => {
  sandbox.llm.setOptions({ ...quietLlm, latencyMs: 200 });
  sandbox.llm.resetStats();
  const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => complete(`0000${i}, Town${i}, ST`)));
  assert.ok(answers.every((a) => a.status === 200));
  const stats = sandbox.llm.stats();
  assert.equal(stats.maxConcurrent, 5);
  assert.equal(stats.requests, 5);
  assert.equal(stats.byStatus['200'], 5);
  assert.ok(stats.promptTokens > 0 && stats.completionTokens > 0);
  const remote = await getJson(`${sandbox.llm.baseUrl.replace(/\/v1$/, '')}/_sim/stats`, {});
  assert.equal(remote.body.maxConcurrent, 5);
  sandbox.llm.setOptions(quietLlm);
});
