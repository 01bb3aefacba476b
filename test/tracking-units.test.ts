/** The JavaScript parts of the tracking pipeline: URL facts, byte lines, what ingest keeps as bytes and why. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { classifyBody, enrichment, urlFacts } from '../src/tasks/tracking/enrich.js';
import { formatInstant, minus, parseIsoTime, plus } from '../src/tasks/tracking/event-time.js';
import { checkRow } from '../src/tasks/tracking/validate.js';
import { byteLines, toRawLine } from '../src/tasks/track-ingest.js';

test('urlFacts: normal form, path apart from query, campaign parameters and click ids in their own fields', () => {
  const f = urlFacts('HTTP://Example.COM:80/Spa/?utm_source=Google&fbclid=F1&msclkid=M2&utm_term=#frag');
  assert.equal(f.error, null);
  assert.equal(f.url, 'http://example.com/Spa?fbclid=F1&msclkid=M2&utm_source=Google&utm_term=');
  assert.deepEqual(
    [f.origin, f.path, f.utm_source, f.utm_term, f.fbclid, f.msclkid, f.gclid],
    ['http://example.com', '/Spa', 'Google', null, 'F1', 'M2', null],
  );
  assert.match(urlFacts('javascript:alert(1)').error ?? '', /not an http\(s\) URL/);
  assert.match(urlFacts(`https://x.example/${'%C3%A9'.repeat(1000)}`).error ?? '', /once normalised/);
});

test('toRawLine: JSON as text; not UTF-8, not JSON, or unstorable in jsonb as the bytes; blank lines skipped', () => {
  assert.deepEqual(toRawLine(Buffer.from('{"a":1}')), { json: '{"a":1}' });
  assert.equal(toRawLine(Buffer.from('   ')), null);
  for (const bad of [Buffer.from([0x7b, 0xff, 0x7d]), Buffer.from('{"a":'), Buffer.from('{"a":"\\u0000"}'), Buffer.from('{"a":"\\ud800"}')]) {
    const line = toRawLine(bad);
    assert.ok(line && 'bytes' in line && Buffer.from(line.bytes).equals(bad), bad.toString('hex'));
  }
  assert.deepEqual(classifyBody(Buffer.from([0xff])), ['invalid_encoding', '1 bytes that are not valid UTF-8']);
  assert.equal(classifyBody(Buffer.from('{"a":'))[0], 'not_json');
  assert.equal(classifyBody(Buffer.from('{"a":"\\u0000"}'))[0], 'invalid_encoding');
});

test('byteLines splits on \\n across chunk boundaries, drops \\r, never decodes', async () => {
  const chunks = [Buffer.from('ab\r\nc'), Buffer.from([0xff, 0x0a]), Buffer.from('\nlast')];
  const out: string[] = [];
  for await (const l of byteLines(Readable.from(chunks))) out.push(l.toString('hex'));
  assert.deepEqual(out, [Buffer.from('ab').toString('hex'), Buffer.from([0x63, 0xff]).toString('hex'), '', Buffer.from('last').toString('hex')]);
});

test('event times to the microsecond, as Postgres reads them: rounding halves to even, zones, the calendar, BC and five-digit years', () => {
  const at = (text: string) => {
    const t = parseIsoTime(text);
    return t === null ? null : formatInstant(t);
  };
  assert.equal(at('2026-11-20T10:00:00.1234565Z'), '2026-11-20 10:00:00.123456+00');
  assert.equal(at('2026-11-20T10:00:00.1234575Z'), '2026-11-20 10:00:00.123458+00');
  assert.equal(at('2026-11-20T23:59:59.9999995Z'), '2026-11-21 00:00:00.000000+00');
  assert.equal(at('2026-11-20 10:00:00+0530'), '2026-11-20 04:30:00.000000+00');
  assert.equal(at('2026-11-20T10:00-05'), '2026-11-20 15:00:00.000000+00');
  assert.equal(at('0099-03-01T00:00:00z'), '0099-03-01 00:00:00.000000+00');
  assert.equal(at('2024-02-29T00:00:00Z'), '2024-02-29 00:00:00.000000+00');
  for (const bad of ['2100-02-29T00:00:00Z', '0000-01-01T00:00:00Z', '2026-11-20T10:00:00', '2026-11-20', '2026-11-31T00:00:00Z', 'now'])
    assert.equal(at(bad), null, bad);
  const received = parseIsoTime('2026-11-21T06:00:00Z')!;
  assert.equal(formatInstant(minus(received, minus(parseIsoTime('9999-01-01T00:00:00Z')!, parseIsoTime('0001-01-01T00:00:00Z')!))).endsWith(' BC'), true);
  assert.equal(formatInstant(plus(parseIsoTime('9999-12-31T23:59:59Z')!, { sec: 86_400, us: 0 })), '10000-01-01 23:59:59.000000+00');
});

test('checkRow: a valid event typed for staging; the first problem named with its path; a corrected time out of range is invalid_time', () => {
  const opts = { enrich: enrichment(), maxFutureSeconds: 86_400 };
  const received = { receivedSec: Date.parse('2026-11-21T06:00:00Z') / 1000, receivedUs: 250 };
  const row = (payload: Record<string, unknown>) => {
    const { sent_at, ...doc } = payload;
    return {
      id: 7,
      ...received,
      body: null,
      doc: JSON.stringify(doc),
      sentAt: sent_at === undefined ? null : JSON.stringify(sent_at),
      properties: null,
      value: null,
    };
  };
  const base = {
    event_id: 'e1',
    customer_id: 'c1',
    event_type: 'page_view',
    occurred_at: '2026-11-20T10:00:00Z',
    session_id: 's1',
    page_url: 'HTTPS://A.example/x/',
  };
  const ok = checkRow(row({ ...base, referrer: 'https://WWW.Google.com/search' }), opts);
  assert.ok(ok.ok);
  assert.deepEqual(
    [ok.event.visitorKey, ok.event.url?.url, ok.event.referrerHost, ok.event.eventTime],
    ['s:s1', 'https://a.example/x', 'www.google.com', '2026-11-20 10:00:00.000000+00'],
  );
  const skewed = checkRow(row({ ...base, occurred_at: '2026-11-21T09:00:00Z', sent_at: '2026-11-21T09:00:05Z' }), opts);
  assert.ok(skewed.ok);
  assert.equal(skewed.event.eventTime, '2026-11-21 05:59:55.000250+00', 'received − (sent − occurred)');
  const problem = (payload: Record<string, unknown>) => {
    const c = checkRow(row(payload), opts);
    return c.ok ? null : c.problem;
  };
  assert.deepEqual(problem({ ...base, zz: 1, aa: 2 }), ['unknown_field', 'aa', 'not a field of the event contract']);
  assert.deepEqual(problem({ ...base, event_id: ' ' }), ['invalid_value', 'event_id', 'empty']);
  assert.deepEqual(problem({ ...base, customer_id: '𝕏'.repeat(129) }), ['too_large', 'customer_id', '129 characters, at most 128']);
  assert.deepEqual(problem({ ...base, occurred_at: '0001-01-01T00:00:00Z', sent_at: '9999-01-01T00:00:00Z' }), [
    'invalid_time',
    'sent_at',
    'received − (sent_at − occurred_at) is before 4713 BC, out of range',
  ]);
  assert.equal(problem({ ...base, occurred_at: '2026-11-22T06:00:00.000250Z' }), null, 'exactly the limit after its arrival');
  assert.deepEqual(problem({ ...base, occurred_at: '2026-11-22T06:00:00.000251Z' }), [
    'future_time',
    'occurred_at',
    'the event time 2026-11-22T06:00:00Z is more than 86400 s after its arrival',
  ]);
});
