/**
 * Every input has a maximum: oversize fields are a failed item (or truncated
 * where documented), bad settings are a ConfigError naming the variable, and
 * a CSV write that fails leaves no temporary file behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocationApi, parseCenter } from '../src/integrations/location-api.js';
import { parseLocalEvents } from '../src/integrations/local-events.js';
import { CENTER_LIMITS, EVENT_LIMITS, PRICE_MAX_PER_MILLION, PROMPT_FILE_MAX_BYTES } from '../src/integrations/limits.js';
import { writeCsv } from '../src/tasks/batch/csv.js';
import { loadPromptTemplate } from '../src/tasks/batch/prompt.js';
import { parsePriceTable } from '../src/tasks/batch/pricing.js';
import { ConfigError, ValidationError } from '../src/core/errors.js';

const event = {
  name: 'Jazz Night',
  date: '2026-12-01',
  start_time: '19:00',
  end_time: null,
  venue: 'Hall',
  address: '1 Main',
  city: 'Austin',
  url: 'https://e.test/j',
  category: 'music',
  description: 'x',
};

test('an event field over its maximum drops that event with a reason; a long description is truncated', () => {
  const content = JSON.stringify({
    events: [
      event,
      { ...event, name: 'Huge venue', venue: 'v'.repeat(1_000_000) },
      { ...event, name: 'Long address', address: 'a'.repeat(EVENT_LIMITS.address + 1) },
      { ...event, name: 'Long city', city: 'c'.repeat(EVENT_LIMITS.city + 1) },
      { ...event, name: 'Long url', url: `https://e.test/${'u'.repeat(EVENT_LIMITS.url)}` },
      { ...event, name: 'Long category', category: 'k'.repeat(EVENT_LIMITS.category + 1) },
      { ...event, name: 'n'.repeat(EVENT_LIMITS.name + 1) },
      { ...event, name: 'Long description', description: 'd'.repeat(EVENT_LIMITS.description * 10) },
      { ...event, name: 'At the limit', venue: 'v'.repeat(EVENT_LIMITS.venue) },
    ],
  });
  const { events, dropped } = parseLocalEvents(content);
  assert.deepEqual(
    events.map((e) => e.name),
    ['Jazz Night', 'Long description', 'At the limit'],
  );
  assert.equal(events[1].description!.length, EVENT_LIMITS.description);
  assert.deepEqual(
    dropped.map((d) => d.reason),
    ['venue', 'address', 'city', 'url', 'category', 'name'].map((f) => `${f} is longer than ${EVENT_LIMITS[f as keyof typeof EVENT_LIMITS]} characters`),
  );
});

test('a center field over its maximum is a ValidationError naming the field', () => {
  const base = { center_id: 'C1', center_name: 'Austin North', slug: 'austin', zip_code: '78701', city: 'Austin', state: 'TX' };
  assert.equal(parseCenter(base, 'austin').city, 'Austin');
  assert.equal(parseCenter({ ...base, city: 'c'.repeat(CENTER_LIMITS.city) }, 'austin').city!.length, CENTER_LIMITS.city);
  for (const [field, max] of Object.entries(CENTER_LIMITS)) {
    if (field === 'record_bytes') continue;
    assert.throws(
      () => parseCenter({ ...base, [field]: 'x'.repeat(max + 1) }, 'austin'),
      (e: unknown) => e instanceof ValidationError && e.message.includes(`${field} is longer than ${max} characters`),
      field,
    );
  }
  assert.throws(
    () => parseCenter({ ...base, notes: 'n'.repeat(CENTER_LIMITS.record_bytes) }, 'austin'),
    (e: unknown) => e instanceof ValidationError && /larger than/.test(e.message),
  );
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.throws(() => parseCenter({ ...base, extra: deep }, 'austin'), ValidationError);
});

async function serve(handler: (path: string) => unknown): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const body = handler(req.url ?? '/');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

test('a deeply nested entry in the slug list is a rejected entry; the other slugs are listed', async () => {
  // Written as text: JSON.stringify of such a value would itself overflow the stack.
  const deep = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`;
  const { url, server } = await serve(() => `{"slugs": ["austin", ${deep}, {"slug": "boston"}]}`);
  try {
    const api = new LocationApi({ slugApiUrl: `${url}/slugs`, dataApiUrl: url, attempts: 1 });
    const list = await api.listSlugs();
    assert.deepEqual(list.slugs, ['austin', 'boston']);
    assert.equal(list.rejected.length, 1);
    assert.match(list.rejected[0].reason, /not a slug/);
    assert.ok(list.rejected[0].entry.length <= 100);
  } finally {
    server.close();
  }
});

test('LLM_PRICES: a price outside 0..10000 $/M tokens is a ConfigError naming it', () => {
  assert.deepEqual(parsePriceTable(`{"m":[0,${PRICE_MAX_PER_MILLION}]}`).m, [0, PRICE_MAX_PER_MILLION]);
  for (const bad of ['[1e308, 1]', '[1, 10001]', '[-1, 1]', '[1, 1e400]']) {
    assert.throws(
      () => parsePriceTable(`{"m":${bad}}`),
      (e: unknown) => e instanceof ConfigError && e.variable === 'LLM_PRICES',
      bad,
    );
  }
});

test('LLM_PROMPT_FILE must be a regular file under the size cap', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ops-prompt-cap-'));
  const big = join(dir, 'big.txt');
  writeFileSync(big, `SYSTEM:\nx\nUSER:\n{{location}}\n${'y'.repeat(PROMPT_FILE_MAX_BYTES)}`);
  const isPromptFileError = (pattern: RegExp) => (e: unknown) => e instanceof ConfigError && e.variable === 'LLM_PROMPT_FILE' && pattern.test(e.message);
  assert.throws(() => loadPromptTemplate(big), isPromptFileError(/larger than/));
  assert.throws(() => loadPromptTemplate('/dev/zero'), isPromptFileError(/not a regular file/));
  assert.throws(() => loadPromptTemplate(dir), isPromptFileError(/not a regular file/));
});

test('a CSV write that fails removes its temporary file', () => {
  const folder = mkdtempSync(join(tmpdir(), 'ops-csv-fail-'));
  const path = join(folder, 'austin.csv');
  // A non-empty directory where the CSV goes: the temp file is written, the rename fails.
  mkdirSync(path);
  writeFileSync(join(path, 'keep'), 'x');
  assert.throws(() => writeCsv(path, []));
  assert.deepEqual(readdirSync(folder), ['austin.csv']);
});
