/** Units of the runtime: redaction, settings, retry, safe names. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clearSecretsForTest, redact, redactDeep, registerSecret } from '../src/core/redact.js';
import { readSettings, settings } from '../src/core/config.js';
import { ConfigError, UpstreamError } from '../src/core/errors.js';
import { parseRetryAfter, PauseGate, withRetry } from '../src/core/retry.js';
import { sleep } from '../src/core/clock.js';
import { toSafeFileName, unsafeSegmentReason } from '../src/core/safe-name.js';
import { createLogger, memorySink } from '../src/core/log.js';

test('redact masks registered secrets, URL passwords, api keys and bearer tokens', () => {
  clearSecretsForTest();
  registerSecret('hunter2-very-secret');
  assert.equal(redact('key is hunter2-very-secret!'), 'key is ***!');
  assert.equal(redact('postgres://ops:pa55word@db:5432/ops'), 'postgres://ops:***@db:5432/ops');
  assert.equal(redact('GET /Rest/races?api_key=abc123&api_secret=def456&format=json'), 'GET /Rest/races?api_key=***&api_secret=***&format=json');
  assert.equal(redact('Authorization: Bearer abcdefghijk'), 'Authorization: Bearer ***');
  assert.equal(redact('used sk-proj-ABCDEFGH12345678'), 'used sk-***');
  assert.equal(redact('xai-Zq81kd92KD0s9dkq02KdkQ'), 'xai-***');
  assert.equal(redact('center sk-regina-north-downtown failed'), 'center sk-regina-north-downtown failed', 'a slug is not a key');
  assert.deepEqual(redactDeep({ api_key: 'x1234', nested: { password: 'p', note: 'hunter2-very-secret' }, list: ['Bearer zzzzzzzz'] }), {
    api_key: '***',
    nested: { password: '***', note: '***' },
    list: ['Bearer ***'],
  });
});

test('a logger never writes a registered secret', () => {
  clearSecretsForTest();
  registerSecret('s3cr3t-token-value');
  const sink = memorySink();
  const log = createLogger(sink, 'debug');
  log.info('calling with s3cr3t-token-value', { header: 'x s3cr3t-token-value', token: 'anything' });
  const line = JSON.stringify(sink.records);
  assert.ok(!line.includes('s3cr3t-token-value'), line);
  assert.ok(!line.includes('anything'), 'a field named token is masked');
});

test('settings: defaults, parsing, and errors that name the variable', () => {
  const spec = {
    url: settings.url('SOME_URL', 'an endpoint', { required: 'for testing' }),
    n: settings.int('SOME_N', 'a count', { min: 1, max: 10 }, { default: 5 }),
    key: settings.secret('SOME_KEY', 'a key'),
    mode: settings.oneOf('SOME_MODE', 'a mode', ['a', 'b'] as const, { default: 'a' }),
  };
  assert.deepEqual(readSettings(spec, { SOME_URL: 'https://x.test/api/' }), { url: 'https://x.test/api', n: 5, key: undefined, mode: 'a' });
  assert.throws(
    () => readSettings(spec, {}),
    (e: unknown) => e instanceof ConfigError && e.variable === 'SOME_URL' && /not set \(for testing\)/.test(e.message),
  );
  assert.throws(
    () => readSettings(spec, { SOME_URL: 'https://x', SOME_N: '11' }),
    (e: unknown) => e instanceof ConfigError && e.variable === 'SOME_N' && /integer from 1 to 10, found "11"/.test(e.message),
  );
  assert.throws(() => readSettings(spec, { SOME_URL: 'https://x', SOME_MODE: 'c' }), /SOME_MODE is malformed: expected one of a, b/);
  // A malformed secret is described, never shown.
  const secretSpec = { key: settings.int('SECRET_NUMBER_KEY', 'a numeric key', { min: 0, max: 9 }, { secret: true }) };
  assert.throws(
    () => readSettings(secretSpec, { SECRET_NUMBER_KEY: 'topsecretvalue' }),
    (e: unknown) => e instanceof ConfigError && !e.message.includes('topsecretvalue') && /14 characters \(not shown\)/.test(e.message),
  );
});

test('withRetry retries retriable errors, honours Retry-After, stops on fatal ones', async () => {
  let calls = 0;
  const started = Date.now();
  const value = await withRetry(
    async () => {
      calls += 1;
      if (calls === 1) throw new UpstreamError('429', { system: 't', status: 429, retriable: true, retryAfterMs: 300 });
      if (calls === 2) throw new UpstreamError('503', { system: 't', status: 503, retriable: true });
      return 'ok';
    },
    { policy: { attempts: 3, minDelayMs: 10, maxDelayMs: 20 } },
  );
  assert.equal(value, 'ok');
  assert.equal(calls, 3);
  assert.ok(Date.now() - started >= 300, 'waited at least the Retry-After');

  let fatalCalls = 0;
  await assert.rejects(
    withRetry(async () => {
      fatalCalls += 1;
      throw new UpstreamError('401', { system: 't', status: 401, retriable: false });
    }),
    /401/,
  );
  assert.equal(fatalCalls, 1);

  let exhausted = 0;
  await assert.rejects(
    withRetry(
      async () => {
        exhausted += 1;
        throw new UpstreamError('500', { system: 't', status: 500, retriable: true });
      },
      { policy: { attempts: 3, minDelayMs: 1, maxDelayMs: 2 } },
    ),
    /500/,
  );
  assert.equal(exhausted, 3);
});

test('withRetry caps a huge Retry-After', async () => {
  // Only a safety net: with the cap gone the wait is an hour, this abort ends it, and the test fails.
  const safety = new AbortController();
  const timer = setTimeout(() => safety.abort(new Error('the Retry-After was not capped')), 3000);
  const waits: Array<number | undefined> = [];
  let calls = 0;
  const started = Date.now();
  try {
    const value = await withRetry(
      async () => {
        calls += 1;
        if (calls === 1) throw new UpstreamError('429', { system: 't', status: 429, retriable: true, retryAfterMs: 3_600_000 });
        return 'ok';
      },
      { signal: safety.signal, policy: { attempts: 2, minDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 250 }, onRetry: ({ waitMs }) => waits.push(waitMs) },
    );
    assert.equal(value, 'ok');
  } finally {
    clearTimeout(timer);
  }
  assert.deepEqual(waits, [250]);
  assert.ok(Date.now() - started >= 250, 'waited the capped time');
});

test('withRetry wakes up on abort during a long Retry-After', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('stop')), 100);
  const started = Date.now();
  let calls = 0;
  await assert.rejects(
    withRetry(
      async () => {
        calls += 1;
        throw new UpstreamError('429', { system: 't', status: 429, retriable: true, retryAfterMs: 20_000 });
      },
      { signal: controller.signal, policy: { attempts: 3, maxRetryAfterMs: 30_000 } },
    ),
  );
  assert.equal(calls, 1, 'no second attempt: the abort ended the wait');
  assert.ok(Date.now() - started < 2000, 'the wait ended with the signal');
});

// A guard against catastrophic backtracking, not a speed test: quadratic work on a megabyte takes minutes,
// linear work milliseconds; the bound leaves room for a machine loaded many times over.
test('redact is linear: a megabyte of key-like text takes seconds at most, not minutes', () => {
  clearSecretsForTest();
  registerSecret('registered-secret-value');
  const shapes = [
    'a-'.repeat(500_000),
    'a'.repeat(1_000_000),
    'sk-'.repeat(340_000),
    'xai-a'.repeat(200_000),
    'a:'.repeat(500_000),
    'x://'.repeat(250_000),
    'ab://a:'.repeat(150_000),
    `a://${':'.repeat(1_000_000)}`,
    '?api_key='.repeat(110_000),
    'bearer '.repeat(150_000),
    `Bearer${' '.repeat(1_000_000)}`,
    'registered-secret-valu'.repeat(45_000),
  ];
  for (const text of shapes) {
    const started = performance.now();
    const out = redact(text);
    const took = performance.now() - started;
    assert.ok(took < 3000, `${JSON.stringify(text.slice(0, 12))}…: ${Math.round(took)}ms`);
    assert.ok(out.length <= text.length + 200);
  }
});

test('redact cuts what it does not need to scan, and still masks what it keeps', () => {
  clearSecretsForTest();
  const huge = `postgres://ops:pa55word@db/x ${'z'.repeat(2_000_000)} sk-proj-ABCDEFGH12345678`;
  const out = redact(huge);
  assert.ok(out.length < 300_000, `kept ${out.length} characters`);
  assert.match(out, /^postgres:\/\/ops:\*\*\*@db\/x /);
  assert.match(out, /characters cut/);
  assert.ok(!out.includes('pa55word') && !out.includes('ABCDEFGH12345678'));
});

test('a URL with credentials is redacted even when it does not parse', () => {
  clearSecretsForTest();
  assert.equal(redact('postgres://ops:pa/ss@db/x'), 'postgres://ops:***@db/x');
  assert.equal(redact('DATABASE_URL=postgres://ops:p@ss/w?rd#x@db:5432/ops failed'), 'DATABASE_URL=postgres://ops:***@db:5432/ops failed');
  assert.equal(redact('"postgres://ops:a/b@db/x","mail":"a@b"'), '"postgres://ops:***@db/x","mail":"a@b"');
  // Innocent URLs are left alone.
  assert.equal(redact('GET http://127.0.0.1:8080/location/data/slug/austin'), 'GET http://127.0.0.1:8080/location/data/slug/austin');
  const spec = { url: settings.url('SOME_DB_URL', 'a database', { protocols: ['postgres:'] }) };
  assert.throws(
    () => readSettings(spec, { SOME_DB_URL: 'postgres://ops:pa/ss@db/x' }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.variable === 'SOME_DB_URL' &&
      !e.message.includes('pa/ss') &&
      !e.message.includes('ss@') &&
      /percent-encode/.test(e.message),
  );
});

test('parseRetryAfter reads seconds, milliseconds and HTTP dates', () => {
  assert.equal(parseRetryAfter({ 'retry-after': '2' }), 2000);
  assert.equal(parseRetryAfter({ 'retry-after-ms': '150', 'retry-after': '2' }), 150);
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }, now), 5000);
  assert.equal(parseRetryAfter({}), undefined);
});

test('untrusted names: path tricks are refused, file names are safe', () => {
  for (const bad of ['../../etc/x', 'a/b', 'a\\b', '..', '.hidden', 'x\u0000y', '']) assert.ok(unsafeSegmentReason(bad), bad);
  for (const good of ['austin-tx', 'münchen-by', 'C-1042']) assert.equal(unsafeSegmentReason(good), undefined, good);
  assert.equal(toSafeFileName('münchen-by'), 'munchen-by');
  assert.equal(toSafeFileName('../../etc/x'), 'etc-x');
  assert.equal(toSafeFileName('a/b'), 'a-b');
  assert.equal(toSafeFileName('...'), 'unnamed');
  assert.equal(toSafeFileName('東京'), 'unnamed');
});

test('a Retry-After pauses every call sharing the gate, not only the one that got it', async () => {
  const gate = new PauseGate();
  const sent: number[] = [];
  const started = Date.now();
  let first = true;
  const call = () =>
    withRetry(
      async () => {
        sent.push(Date.now() - started);
        if (first) {
          first = false;
          throw new UpstreamError('429', { system: 't', status: 429, retriable: true, retryAfterMs: 400 });
        }
        return 'ok';
      },
      { gate, policy: { attempts: 2, minDelayMs: 1, maxDelayMs: 2 } },
    );
  const a = call();
  await sleep(50);
  const b = call(); // starts while the pause is on: must not go out before it ends
  await Promise.all([a, b]);
  assert.equal(sent.length, 3);
  assert.ok(sent[1] >= 390 && sent[2] >= 390, `calls after the 429 went out at ${sent.slice(1).join(', ')}ms`);
});
