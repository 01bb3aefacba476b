/** The JavaScript parts of the tracking pipeline: URL facts, byte lines, what ingest keeps as bytes and why. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { classifyBody, urlFacts } from '../src/tasks/tracking/enrich.js';
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
