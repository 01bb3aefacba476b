import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeUrl, splitUrl } from '../src/core/url-normalize.js';
import { ValidationError } from '../src/core/errors.js';

const SAME: Array<[string, string]> = [
  ['HTTPS://Example.COM/Path', 'https://example.com/Path'],
  ['https://example.com:443/a', 'https://example.com/a'],
  ['http://example.com:80/a', 'http://example.com/a'],
  ['https://example.com:8443/a', 'https://example.com:8443/a'],
  ['https://example.com/a/', 'https://example.com/a'],
  ['https://example.com/', 'https://example.com'],
  ['https://example.com', 'https://example.com'],
  ['https://example.com/a#section', 'https://example.com/a'],
  ['https://example.com/a/#top', 'https://example.com/a'],
  ['https://example.com/a?b=2&a=1', 'https://example.com/a?a=1&b=2'],
  ['https://example.com/a?', 'https://example.com/a'],
  ['  https://example.com/a  ', 'https://example.com/a'],
  ['example.com/a', 'https://example.com/a'],
  ['https://www.example.com/a', 'https://www.example.com/a'],
  ['https://example.com/Services/Spa', 'https://example.com/Services/Spa'],
  ['https://user:secret@example.com/a', 'https://example.com/a'],
  ['https://example.com/a?utm_source=x', 'https://example.com/a?utm_source=x'],
  ['https://EXAMPLE.com./a', 'https://example.com/a'],
];

test('normalizeUrl: scheme and host lowercased, default port, fragment and trailing slash dropped, path case kept', () => {
  for (const [input, expected] of SAME) assert.equal(normalizeUrl(input), expected, input);
});

test('normalizeUrl: the same page written two ways compares equal', () => {
  assert.equal(normalizeUrl('HTTP://Shop.Example.com:80/deals/#x'), normalizeUrl('http://shop.example.com/deals'));
});

test('normalizeUrl refuses what is not an http(s) URL', () => {
  for (const bad of ['', '   ', 'ftp://example.com/a', 'mailto:a@b.c', 'http://', 'javascript:alert(1)']) {
    assert.throws(() => normalizeUrl(bad), ValidationError, bad);
  }
});

test('splitUrl keeps the path apart from the query', () => {
  assert.deepEqual(splitUrl('HTTPS://Example.com/A/b/?z=1&utm_medium=cpc#f'), {
    url: 'https://example.com/A/b?utm_medium=cpc&z=1',
    origin: 'https://example.com',
    path: '/A/b',
    query: 'utm_medium=cpc&z=1',
  });
  assert.equal(splitUrl('https://example.com').path, '/');
});
