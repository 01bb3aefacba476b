/** What the integrations accept from outside systems, and what they refuse with a reason. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCenter, parseSlugPage } from '../src/integrations/location-api.js';
import { extractJson } from '../src/integrations/llm.js';
import { parseLocalEvents } from '../src/integrations/local-events.js';
import { csvPathFor, csvText, neutraliseFormula } from '../src/tasks/batch/csv.js';
import { loadPromptTemplate, renderPrompt } from '../src/tasks/batch/prompt.js';
import { estimateCost, parsePriceTable } from '../src/tasks/batch/pricing.js';
import { normaliseKey } from '../src/db/queries/discovered-events.js';
import { ConfigError, ValidationError } from '../src/core/errors.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('slug list: the three shapes and the paging fields', () => {
  assert.deepEqual(parseSlugPage(['a', 'b'], 'http://x/s'), { entries: ['a', 'b'] });
  assert.deepEqual(parseSlugPage({ slugs: ['a'] }, 'http://x/s').entries, ['a']);
  assert.deepEqual(parseSlugPage({ data: [{ slug: 'a' }] }, 'http://x/s').entries, [{ slug: 'a' }]);
  assert.equal(parseSlugPage({ slugs: [], next: '/s?page=2' }, 'http://x/s').next, 'http://x/s?page=2');
  assert.equal(parseSlugPage({ slugs: [], next_page: 3 }, 'http://x/s?page=2').next, 'http://x/s?page=3');
  assert.equal(parseSlugPage({ data: [], page: 1, total_pages: 2 }, 'http://x/s').next, 'http://x/s?page=2');
  assert.equal(parseSlugPage({ data: [], page: 2, total_pages: 2 }, 'http://x/s').next, undefined);
  assert.throws(() => parseSlugPage({ nope: 1 }, 'http://x'), ValidationError);
});

test('center record: variants accepted, defaults applied, missing keys refused', () => {
  const c = parseCenter({ id: 1042, name: 'Austin North', postal_code: 78701, city: 'Austin', state: 'TX' }, 'austin-tx');
  assert.equal(c.centerId, '1042');
  assert.equal(c.centerName, 'Austin North');
  assert.equal(c.zipCode, '78701');
  assert.equal(c.country, 'USA');
  assert.equal(c.radius, 25);
  assert.equal(c.slug, 'austin-tx');
  assert.equal(c.isActive, true);
  assert.equal(parseCenter({ center_id: 'C', center_name: 'N', is_active: 'false', radius: '40' }, 's').isActive, false);
  assert.throws(() => parseCenter({ center_name: 'x' }, 's'), /center_id is missing/);
  assert.throws(() => parseCenter({ center_id: 'x' }, 's'), /center_name is missing/);
  assert.throws(() => parseCenter({ center_id: 'x', center_name: 'y', radius: 'far' }, 's'), /radius/);
  assert.throws(() => parseCenter('nope', 's'), /not a JSON object/);
});

test('JSON from model text: bare, fenced, after prose; none is an error', () => {
  assert.deepEqual(extractJson('{"events": []}'), { events: [] });
  assert.deepEqual(extractJson('Here you go:\n```json\n{"events": [1]}\n```\nEnjoy'), { events: [1] });
  assert.deepEqual(extractJson('Sure! The events are {"events": [{"name": "a } b"}]} as requested.'), { events: [{ name: 'a } b' }] });
  assert.throws(() => extractJson('I could not find any events, sorry.'), /no parsable JSON/);
  assert.throws(() => extractJson('{"events": [{"name": "cut'), /no parsable JSON/);
});

test('events: valid ones kept, invalid ones dropped with a reason', () => {
  const content = JSON.stringify({
    events: [
      {
        name: 'Jazz Night',
        date: '2026-12-01',
        start_time: '19:00',
        end_time: null,
        venue: 'Hall',
        address: '1 Main',
        city: 'Austin',
        url: 'https://e.test/j',
        category: 'Music',
        description: 'x',
      },
      { name: '', date: '2026-12-01' },
      { name: 'Bad date', date: 'next Saturday' },
      { name: 'Feb 30', date: '2026-02-30' },
      { name: 'Bad url', date: '2026-12-02', url: 'not a url' },
      { name: 'Bad time', date: '2026-12-02', start_time: '7pm' },
    ],
  });
  const { events, dropped } = parseLocalEvents(content);
  assert.equal(events.length, 1);
  assert.equal(events[0].category, 'music');
  assert.deepEqual(
    dropped.map((d) => d.reason.split(' ')[0]),
    ['name', 'date', 'date', 'url', 'start_time'],
  );
  assert.throws(() => parseLocalEvents('{"items": []}'), /no "events" list/);
});

test('CSV: fixed header, formula cells neutralised, file names stay inside the folder', () => {
  for (const bad of ['=HYPERLINK("x")', '+1', '-2', '@SUM(A1)', '\tx', '\rx']) assert.equal(neutraliseFormula(bad)[0], "'");
  assert.equal(neutraliseFormula('Jazz'), 'Jazz');
  const text = csvText([
    {
      center_id: 'C1',
      center_name: 'N',
      name: '=cmd|calc',
      date: '2026-12-01',
      start_time: null,
      end_time: null,
      venue: 'a, b',
      address: null,
      city: null,
      url: null,
      category: null,
      description: 'say "hi"',
    },
  ]);
  const [header, row] = text.trim().split('\n');
  assert.equal(header, 'center_id,center_name,name,date,start_time,end_time,venue,address,city,url,category,description');
  assert.equal(row, `C1,N,'=cmd|calc,2026-12-01,,,"a, b",,,,,"say ""hi"""`);
  const taken = new Set<string>();
  const folder = '/tmp/out/events/run1';
  assert.equal(csvPathFor(folder, '../../etc/x', taken), '/tmp/out/events/run1/etc-x.csv');
  assert.equal(csvPathFor(folder, 'a/b', taken), '/tmp/out/events/run1/a-b.csv');
  assert.equal(csvPathFor(folder, 'münchen-by', taken), '/tmp/out/events/run1/munchen-by.csv');
  assert.equal(csvPathFor(folder, 'munchen-by', taken), '/tmp/out/events/run1/munchen-by-2.csv');
});

test('prompt template: placeholders filled, version is a hash, unknown placeholder refused', () => {
  const t = loadPromptTemplate();
  assert.match(t.version, /^[0-9a-f]{12}$/);
  const user = renderPrompt(t.user, { location: '78701, Austin, TX', radius: 25, start_date: '2026-12-01', end_date: '2026-12-31', max_events: 20 });
  assert.match(user, /^Location: 78701, Austin, TX$/m);
  assert.match(user, /^Dates: 2026-12-01 to 2026-12-31$/m);
  assert.throws(() => renderPrompt('{{nope}}', { location: '', radius: 1, start_date: '', end_date: '', max_events: 1 }), /\{\{nope\}\}/);
});

test('a custom prompt file: read, versioned, and refused clearly when unusable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ops-prompt-'));
  const good = join(dir, 'good.txt');
  writeFileSync(good, 'SYSTEM:\nBe brief.\nUSER:\nEvents near {{location}} within {{radius}} miles.');
  const t = loadPromptTemplate(good);
  assert.equal(t.system, 'Be brief.');
  assert.notEqual(t.version, loadPromptTemplate().version);
  const noLocation = join(dir, 'bad.txt');
  writeFileSync(noLocation, 'SYSTEM:\nx\nUSER:\nno placeholder');
  assert.throws(
    () => loadPromptTemplate(noLocation),
    (e: unknown) => e instanceof ConfigError && e.variable === 'LLM_PROMPT_FILE' && /no \{\{location\}\}/.test(e.message),
  );
  assert.throws(() => loadPromptTemplate(join(dir, 'missing.txt')), /cannot be read: .*missing\.txt \(ENOENT\)/);
});

test('prices: defaults, overrides, malformed table names LLM_PRICES', () => {
  const prices = parsePriceTable('{"my-model":[1,2]}');
  assert.equal(estimateCost(prices, 'my-model', 1_000_000, 500_000), 2);
  assert.equal(estimateCost(prices, 'gpt-4o-mini-2024-07-18', 1_000_000, 0), 0.15);
  assert.equal(estimateCost(prices, 'unknown', 1000, 1000), 0);
  assert.throws(() => parsePriceTable('{"x": 3}'), /LLM_PRICES/);
});

test('natural key of an event ignores case, accents and punctuation', () => {
  assert.equal(normaliseKey('The Jazz  Night!'), normaliseKey('the jazz night'));
  assert.equal(normaliseKey('Café Müller'), 'cafe muller');
  assert.equal(normaliseKey(null), '');
});
