/**
 * An OpenAI-compatible chat completions simulator (OpenAI and xAI speak the
 * same wire format). It finds the `Location:` and `Dates:` lines in the prompt
 * and answers deterministic events for that place, with usage figures, and
 * fault knobs: latency, 429 with Retry-After, 5xx, outage, truncated or
 * non-JSON content, fenced JSON, invalid events, formula-like cells.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { delay, sendJson, startSimServer } from './http-sim.js';
import { draw, hash32, prng } from './seed.js';
import { catalogueCompletion, cataloguePageUrl } from './catalogue-llm.js';

export interface LlmSimOptions {
  latencyMs?: number;
  rateLimitRate?: number;
  retryAfterSeconds?: number;
  errorRate?: number;
  /** Share of requests that never answer (held until the client gives up). */
  timeoutRate?: number;
  outage?: boolean;
  truncateRate?: number;
  nonJsonRate?: number;
  fenceRate?: number;
  invalidEventRate?: number;
  formulaEvents?: boolean;
  /** Add a near-duplicate of the first event and one dated a year before the window. */
  noisyEvents?: boolean;
  ignoreResponseFormat?: boolean;
  eventsPerLocation?: number;
  /** Add one event whose venue is this many characters long (0: none). */
  hugeVenueChars?: number;
  failFirst?: number;
  /** Answer 400 to a request with response_format json_schema (a provider without structured output). */
  rejectResponseFormat?: boolean;
  /** Answer 429 insufficient_quota: out of credit, final. */
  quotaExceeded?: boolean;
  apiKey?: string;
  seed?: number;
}

export interface LlmSimStats {
  requests: number;
  byStatus: Record<string, number>;
  perLocation: Record<string, number>;
  promptTokens: number;
  completionTokens: number;
  maxConcurrent: number;
  /** Cataloguing calls per page URL (URL catalogue). */
  perPage: Record<string, number>;
}

export interface LlmSim {
  baseUrl: string;
  setOptions(patch: Partial<LlmSimOptions>): void;
  stats(): LlmSimStats;
  resetStats(): void;
  close(): Promise<void>;
}

const DEFAULTS: Required<Omit<LlmSimOptions, 'apiKey'>> = {
  latencyMs: 0,
  rateLimitRate: 0,
  retryAfterSeconds: 1,
  errorRate: 0,
  timeoutRate: 0,
  outage: false,
  truncateRate: 0,
  nonJsonRate: 0,
  fenceRate: 0,
  invalidEventRate: 0,
  formulaEvents: false,
  noisyEvents: false,
  ignoreResponseFormat: false,
  eventsPerLocation: 6,
  hugeVenueChars: 0,
  failFirst: 0,
  rejectResponseFormat: false,
  quotaExceeded: false,
  seed: 7,
};

/** Every fault off, answers as by default: what a test resets to before it turns one knob on. */
export const QUIET_LLM: LlmSimOptions = (({ seed: _seed, ...quiet }) => quiet)(DEFAULTS);

const KINDS = [
  ['Farmers Market', 'market', 'Town Square'],
  ['Jazz Night', 'music', 'Blue Note Hall'],
  ['Fun Run 5K', 'sports', 'Riverside Park'],
  ['Food Truck Rally', 'food', 'Civic Plaza'],
  ['Art Walk', 'arts', 'Gallery Row'],
  ['Family Movie Night', 'family', 'Central Library'],
  ['Community Cleanup', 'community', 'Memorial Park'],
  ['Craft Fair', 'market', 'Expo Center'],
] as const;

const DAY_MS = 86_400_000;

function eventsFor(location: string, from: string, to: string, count: number, seed: number) {
  const random = prng(hash32(`${seed}|${location}`));
  const city = location.split(',')[1]?.trim() || 'Springfield';
  const start = Date.parse(`${from}T00:00:00Z`);
  // Both ends of the window are valid dates; never more than 30 days ahead.
  const days = Math.min(30, Math.max(1, Math.round((Date.parse(`${to}T00:00:00Z`) - start) / DAY_MS) + 1));
  return Array.from({ length: count }, (_, i) => {
    const [title, category, venue] = KINDS[(hash32(location) + i) % KINDS.length];
    // Past the list of kinds, number the repeats so they are distinct events, not duplicates.
    const round = Math.floor(i / KINDS.length);
    const name = `${city} ${title}${round > 0 ? ` ${round + 1}` : ''}`;
    const date = new Date(start + Math.floor(random() * days) * DAY_MS).toISOString().slice(0, 10);
    const hour = 8 + Math.floor(random() * 12);
    const allDay = random() < 0.15;
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    return {
      name,
      date,
      start_time: allDay ? null : `${String(hour).padStart(2, '0')}:00`,
      end_time: allDay || random() < 0.3 ? null : `${String(Math.min(23, hour + 2)).padStart(2, '0')}:30`,
      venue,
      address: `${100 + Math.floor(random() * 900)} Main St`,
      city,
      url: `https://events.example.com/${slug}-${i}`,
      category,
      description: `A ${category} event in ${city}, open to everyone.`,
    };
  });
}

function spoil(event: Record<string, unknown>, kind: number): Record<string, unknown> {
  if (kind % 3 === 0) {
    const { name: _missing, ...rest } = event;
    return rest;
  }
  if (kind % 3 === 1) return { ...event, date: 'next Saturday' };
  return { ...event, url: 'not a url' };
}

function lastUserMessage(body: { messages?: Array<{ role?: string; content?: unknown }> }): string {
  const user = [...(body.messages ?? [])].reverse().find((m) => m.role === 'user');
  return typeof user?.content === 'string' ? user.content : '';
}

export async function startLlmSim(initial: LlmSimOptions & { port?: number; host?: string } = {}): Promise<LlmSim> {
  let options = { ...DEFAULTS, ...initial };
  let counters: LlmSimStats = { requests: 0, byStatus: {}, perLocation: {}, promptTokens: 0, completionTokens: 0, maxConcurrent: 0, perPage: {} };
  let inFlight = 0;

  const reply = (res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>) => {
    counters.byStatus[status] = (counters.byStatus[status] ?? 0) + 1;
    sendJson(res, status, body, headers);
  };
  const apiError = (res: ServerResponse, status: number, message: string, type: string, code: string | null, headers?: Record<string, string>) =>
    reply(res, status, { error: { message, type, param: null, code } }, headers);

  function authorised(req: IncomingMessage): boolean {
    return !options.apiKey || req.headers.authorization === `Bearer ${options.apiKey}`;
  }

  async function completions(_req: IncomingMessage, res: ServerResponse, raw: string) {
    let body: { model?: string; messages?: Array<{ role?: string; content?: unknown }>; response_format?: { type?: string } };
    try {
      body = JSON.parse(raw);
    } catch {
      return apiError(res, 400, 'We could not parse the JSON body of your request.', 'invalid_request_error', null);
    }
    const prompt = lastUserMessage(body);
    const pageUrl = cataloguePageUrl(prompt);
    if (pageUrl) {
      counters.perPage[pageUrl] = (counters.perPage[pageUrl] ?? 0) + 1;
      if (options.outage) return apiError(res, 503, 'The service is temporarily unavailable.', 'server_error', null);
      return reply(res, 200, catalogueCompletion(body.model, body.messages, prompt));
    }
    const location = /^Location:\s*(.+)$/m.exec(prompt)?.[1].trim() ?? 'unknown';
    const dates = /^Dates:\s*(\d{4}-\d{2}-\d{2})\s+to\s+(\d{4}-\d{2}-\d{2})/m.exec(prompt);
    const today = new Date().toISOString().slice(0, 10);
    const [from, to] = dates ? [dates[1], dates[2]] : [today, new Date(Date.now() + 30 * DAY_MS).toISOString().slice(0, 10)];
    const attempt = (counters.perLocation[location] ?? 0) + 1;
    counters.perLocation[location] = attempt;
    const seed = options.seed;

    if (options.outage) return apiError(res, 503, 'The service is temporarily unavailable.', 'server_error', null);
    if (options.quotaExceeded)
      return apiError(res, 429, 'You exceeded your current quota, please check your plan and billing details.', 'insufficient_quota', 'insufficient_quota');
    if (options.rejectResponseFormat && body.response_format) {
      return apiError(res, 400, "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.", 'invalid_request_error', null);
    }
    if (attempt <= options.failFirst) return apiError(res, 503, 'The service is temporarily unavailable.', 'server_error', null);
    if (draw(seed, '429', location, attempt) < options.rateLimitRate) {
      const seconds = options.retryAfterSeconds;
      return apiError(res, 429, 'Rate limit reached for requests', 'requests', 'rate_limit_exceeded', {
        'retry-after': String(seconds),
        'retry-after-ms': String(seconds * 1000),
      });
    }
    if (draw(seed, '5xx', location, attempt) < options.errorRate)
      return apiError(res, 500, 'The server had an error while processing your request.', 'server_error', null);
    if (draw(seed, 'timeout', location, attempt) < options.timeoutRate) return; // never answer

    let events: Array<Record<string, unknown>> = eventsFor(location, from, to, options.eventsPerLocation, seed);
    events = events.map((e, i) => (draw(seed, 'invalid', location, i) < options.invalidEventRate ? spoil(e, i) : e));
    if (options.formulaEvents) {
      // Cells a spreadsheet would run as formulas: every one must reach the CSV neutralised.
      events.push(
        { ...events[0], name: '=HYPERLINK("http://evil.example","click")', description: '@SUM(A1:A9)', venue: '+1 Hall', address: '-2 Road' },
        { ...events[0], name: `${events[0].name ?? 'Event'} Encore`, description: '+1 (555) 0100 for tickets' },
        { ...events[0], name: `${events[0].name ?? 'Event'} Late Show`, description: '-2 degrees expected, dress warm' },
      );
    }
    if (options.hugeVenueChars > 0) events.push({ ...events[0], name: `${events[0].name ?? 'Event'} Mega`, venue: 'v'.repeat(options.hugeVenueChars) });
    if (options.noisyEvents) {
      const first = events[0];
      const pastDate = `${Number(from.slice(0, 4)) - 1}${from.slice(4)}`;
      events.push({ ...first, name: `${String(first.name).toUpperCase()}!` }, { ...first, name: 'Last Year Gala', date: pastDate });
    }
    let content = JSON.stringify({ events });
    let finishReason = 'stop';
    // Structured output (json_schema, or the older json_object) gives bare JSON;
    // without it the model is chatty and wraps the JSON in prose and fences.
    const format = body.response_format?.type;
    const structured = (format === 'json_schema' || format === 'json_object') && !options.ignoreResponseFormat;
    if (draw(seed, 'truncate', location, attempt) < options.truncateRate) {
      content = content.slice(0, Math.floor(content.length / 2));
      finishReason = 'length';
    } else if (draw(seed, 'nonjson', location, attempt) < options.nonJsonRate) {
      content = `I'm sorry, I could not find reliable information about events near ${location} for those dates.`;
    } else if (!structured || draw(seed, 'fence', location, attempt) < options.fenceRate) {
      content = `Here are the events I found near ${location}:\n\n\`\`\`json\n${JSON.stringify({ events }, null, 2)}\n\`\`\`\nLet me know if you need more.`;
    }
    const promptTokens = Math.ceil(JSON.stringify(body.messages ?? []).length / 4);
    const completionTokens = Math.ceil(content.length / 4);
    counters.promptTokens += promptTokens;
    counters.completionTokens += completionTokens;
    return reply(res, 200, {
      id: `chatcmpl-${randomBytes(12).toString('hex')}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? 'gpt-4o-mini',
      choices: [{ index: 0, finish_reason: finishReason, logprobs: null, message: { role: 'assistant', content, refusal: null } }],
      usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    });
  }

  const server = await startSimServer(
    async (req, res, raw) => {
      counters.requests += 1;
      inFlight += 1;
      counters.maxConcurrent = Math.max(counters.maxConcurrent, inFlight);
      try {
        await delay(options.latencyMs);
        if (!authorised(req)) return apiError(res, 401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
        const path = (req.url ?? '/').split('?')[0];
        if (req.method === 'POST' && path === '/v1/chat/completions') return await completions(req, res, raw);
        if (req.method === 'GET' && path === '/v1/models')
          return reply(res, 200, {
            object: 'list',
            data: [
              { id: 'gpt-4o-mini', object: 'model', owned_by: 'sandbox' },
              { id: 'grok-4.3', object: 'model', owned_by: 'sandbox' },
            ],
          });
        return apiError(res, 404, `Unknown request URL: ${req.method} ${path}`, 'invalid_request_error', 'unknown_url');
      } finally {
        inFlight -= 1;
      }
    },
    { setOptions: (patch) => sim.setOptions(patch as Partial<LlmSimOptions>), stats: () => sim.stats() },
    initial,
  );

  const sim: LlmSim = {
    baseUrl: `${server.baseUrl}/v1`,
    setOptions(patch) {
      options = { ...options, ...patch };
      counters.perLocation = {};
    },
    stats: () => structuredClone(counters),
    resetStats() {
      counters = { requests: 0, byStatus: {}, perLocation: {}, promptTokens: 0, completionTokens: 0, maxConcurrent: 0, perPage: {} };
    },
    close: () => server.close(),
  };
  return sim;
}
