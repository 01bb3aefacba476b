/** The LLM client on the official openai package, against the simulator. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LlmClient, type LlmConfig } from '../src/integrations/llm.js';
import { localEventsSchema, parseLocalEvents } from '../src/integrations/local-events.js';
import { UpstreamError } from '../src/core/errors.js';
import { startLlmSim, type LlmSim } from '../src/sandbox/llm-sim.js';
import { trickle } from '../src/sandbox/http-sim.js';
import { getEventListeners } from 'node:events';
import { startHostileServer } from './helpers/hostile.js';

let sim: LlmSim;
before(async () => {
  sim = await startLlmSim({ apiKey: 'sk-test-key-123456' });
});
after(async () => {
  await sim.close();
});

const client = (extra: Partial<LlmConfig> = {}) =>
  new LlmClient({
    provider: 'openai',
    apiKey: 'sk-test-key-123456',
    baseURL: sim.baseUrl,
    model: 'gpt-4o-mini',
    timeoutMs: 5000,
    attempts: 3,
    temperature: 0.2,
    structuredOutput: true,
    ...extra,
  });
const ask = (c: LlmClient, where = '78701, Austin, TX') =>
  c.complete({ system: 's', user: `Location: ${where}\nDates: 2026-12-01 to 2026-12-31`, format: localEventsSchema });
const reset = () => sim.setOptions({ rateLimitRate: 0, errorRate: 0, latencyMs: 0, rejectResponseFormat: false, quotaExceeded: false, failFirst: 0 });

test('structured output: events and usage figures', async () => {
  reset();
  const completion = await ask(client());
  assert.equal(completion.finishReason, 'stop');
  assert.ok(completion.promptTokens > 0 && completion.completionTokens > 0);
  assert.equal(parseLocalEvents(completion.content).events.length, 6);
});

test('429 with Retry-After, then an answer', async () => {
  reset();
  sim.setOptions({ failFirst: 0, rateLimitRate: 1, retryAfterSeconds: 1 });
  setTimeout(() => sim.setOptions({ rateLimitRate: 0 }), 300);
  const started = Date.now();
  const completion = await ask(client(), '83702, Boise, ID');
  assert.ok(completion.attempts >= 2);
  assert.ok(Date.now() - started >= 1000, 'waited the Retry-After');
});

test('5xx is retried up to the attempt count, then fails as retriable', async () => {
  reset();
  sim.setOptions({ failFirst: 5 });
  await assert.rejects(
    ask(client({ attempts: 2 }), '80202, Denver, CO'),
    (e: unknown) => e instanceof UpstreamError && e.details.status === 503 && e.retriable,
  );
  assert.equal(sim.stats().perLocation['80202, Denver, CO'], 2);
});

test('out of quota and a bad key are final: one attempt each', async () => {
  reset();
  sim.setOptions({ quotaExceeded: true });
  await assert.rejects(
    ask(client(), '97204, Portland, OR'),
    (e: unknown) => e instanceof UpstreamError && e.details.code === 'insufficient_quota' && !e.retriable,
  );
  assert.equal(sim.stats().perLocation['97204, Portland, OR'], 1);
  reset();
  await assert.rejects(
    ask(client({ apiKey: 'sk-wrong-key-0000' })),
    (e: unknown) => e instanceof UpstreamError && e.details.status === 401 && !e.message.includes('sk-wrong-key-0000'),
  );
});

test('a provider without json_schema: asked again in plain text, JSON parsed from prose', async () => {
  reset();
  sim.setOptions({ rejectResponseFormat: true });
  const c = client();
  const completion = await ask(c, '98101, Seattle, WA');
  assert.match(completion.content, /```json/);
  assert.equal(parseLocalEvents(completion.content).events.length, 6);
  // Remembered: the next call goes straight to plain text.
  sim.resetStats();
  await ask(c, '85004, Phoenix, AZ');
  assert.equal(sim.stats().byStatus['400'] ?? 0, 0);
});

test('an abort cancels the call in flight', async () => {
  reset();
  sim.setOptions({ latencyMs: 3000 });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  const started = Date.now();
  await assert.rejects(client().complete({ system: 's', user: 'Location: x', signal: controller.signal }));
  assert.ok(Date.now() - started < 1500);
  reset();
});

test('a call slower than the timeout is a retriable timeout', async () => {
  reset();
  sim.setOptions({ latencyMs: 800 });
  await assert.rejects(
    ask(client({ timeoutMs: 200, attempts: 1 })),
    (e: unknown) => e instanceof UpstreamError && e.retriable && /no answer within 200ms/.test(e.message),
  );
  reset();
});

test('an answer whose body trickles in is timed out (the SDK stops timing once headers arrive)', async () => {
  const completion = {
    id: 'c1',
    object: 'chat.completion',
    created: 0,
    model: 'm',
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: '{"events":[]}' } }],
  };
  const server = await startHostileServer((_req, res) => trickle(res, 200, completion, 200));
  try {
    const started = Date.now();
    await assert.rejects(
      client({ baseURL: server.url, timeoutMs: 500, attempts: 2 }).complete({ system: 's', user: 'Location: x' }),
      (e: unknown) => e instanceof UpstreamError && e.retriable && e.details.code === 'timeout' && /no answer within 500ms/.test(e.message),
    );
    const took = Date.now() - started;
    assert.ok(took < 2500, `took ${took}ms`);
    assert.equal(server.requests.length, 2, 'a timeout is retried');
  } finally {
    await server.close();
  }
});

test('200 calls on one signal leave no abort listener on it', async () => {
  reset();
  const c = client();
  const controller = new AbortController();
  for (let i = 0; i < 200; i++) await c.complete({ system: 's', user: `Location: ${i}`, signal: controller.signal });
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
});

test('falling back to plain output is not a retry: it works with one attempt', async () => {
  reset();
  sim.setOptions({ rejectResponseFormat: true });
  const completion = await ask(client({ attempts: 1 }), '37203, Nashville, TN');
  assert.equal(parseLocalEvents(completion.content).events.length, 6);
  assert.equal(completion.attempts, 1);
  reset();
});

test('an error names its status once', async () => {
  reset();
  sim.setOptions({ failFirst: 5 });
  await assert.rejects(
    ask(client({ attempts: 1 }), '73102, Oklahoma City, OK'),
    (e: unknown) => e instanceof UpstreamError && e.details.status === 503 && !/\b(\d{3}) \1\b/.test(e.message) && /503/.test(e.message),
  );
  reset();
});
