/**
 * Chat completions through the official `openai` package, for OpenAI and for
 * xAI Grok (OpenAI-compatible: only key, base URL and model differ). The
 * package's own retries are off (they honour Retry-After without a cap and
 * ignore the AbortSignal while sleeping); ours are capped and abortable.
 */
import type OpenAI from 'openai';
import { withAttemptSignal } from '../core/attempt-signal.js';
import { UpstreamError, ValidationError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { classifyUpstream, parseRetryAfter, PauseGate, withRetry } from '../core/retry.js';

export type LlmProvider = 'openai' | 'grok';

export interface LlmConfig {
  provider: LlmProvider;
  apiKey: string;
  baseURL: string;
  model: string;
  timeoutMs: number;
  attempts: number;
  temperature: number;
  /** Ask for json_schema structured output (turned off for a provider that refuses it). */
  structuredOutput: boolean;
}

export interface JsonSchemaFormat {
  name: string;
  schema: Record<string, unknown>;
}

export interface Completion {
  content: string;
  finishReason: string | null;
  refusal: string | null;
  model: string;
  promptTokens: number;
  completionTokens: number;
  attempts: number;
}

export interface CompleteRequest {
  system: string;
  user: string;
  format?: JsonSchemaFormat;
  signal?: AbortSignal;
}

const SYSTEM_NAME: Record<LlmProvider, string> = { openai: 'OpenAI', grok: 'xAI' };

export class LlmClient {
  private client: OpenAI | undefined;
  private structured: boolean;
  /** A 429's Retry-After holds every concurrent call of this client, not just the one that got it. */
  private readonly gate = new PauseGate();

  constructor(
    private readonly config: LlmConfig,
    private readonly log?: Logger,
  ) {
    this.structured = config.structuredOutput;
  }

  get system(): string {
    return SYSTEM_NAME[this.config.provider];
  }

  /** Loads the SDK now (it is a large module), so that the first call does not pay for it. */
  async load(): Promise<void> {
    await this.sdk();
  }

  private async sdk(): Promise<OpenAI> {
    if (!this.client) {
      const { default: OpenAIClient } = await import('openai');
      // apiKey and baseURL always explicit: an undefined key would fall back to OPENAI_API_KEY.
      this.client = new OpenAIClient({ apiKey: this.config.apiKey, baseURL: this.config.baseURL, maxRetries: 0, timeout: this.config.timeoutMs });
    }
    return this.client;
  }

  /** Turns whatever the SDK threw into an UpstreamError that says whether to retry. */
  async toUpstreamError(error: unknown): Promise<unknown> {
    const { APIError, APIConnectionError, APIConnectionTimeoutError, APIUserAbortError } = await import('openai');
    if (error instanceof APIUserAbortError) return error;
    const system = this.system;
    if (error instanceof APIConnectionTimeoutError)
      return new UpstreamError(`${system}: no answer within ${this.config.timeoutMs}ms`, { system, retriable: true, code: 'timeout' }, { cause: error });
    if (error instanceof APIConnectionError)
      return new UpstreamError(`${system}: connection failed (${error.message})`, { system, retriable: true, code: 'connection' }, { cause: error });
    if (error instanceof APIError) {
      const status = error.status ?? 0;
      const headers = error.headers ? Object.fromEntries(error.headers.entries()) : undefined;
      // Out of credit is final: retrying only burns time.
      const quota = error.code === 'insufficient_quota';
      const retriable = !quota && (status === 408 || status === 409 || status === 429 || status >= 500);
      // The SDK's message already starts with the status ("400 Invalid parameter…"): say it once.
      const message = error.message.replace(new RegExp(`^${status}\\s*`), '');
      return new UpstreamError(
        `${system}: ${status}${message ? ` ${message}` : ''}`,
        { system, status, retriable, retryAfterMs: parseRetryAfter(headers), code: error.code ?? undefined },
        { cause: error },
      );
    }
    return error;
  }

  /**
   * One request with its own signal: the timeout covers the whole answer
   * (the SDK's own stops once headers arrive), and the caller's signal gets
   * no listener that outlives the request (openai@6 never removes its own).
   */
  private async send<T>(signal: AbortSignal | undefined, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withAttemptSignal(this.config.timeoutMs, signal, async (attempt) => {
      try {
        return await call(attempt.signal);
      } catch (error) {
        throw attempt.timedOut() ? this.timeoutError(error) : await this.toUpstreamError(error);
      }
    });
  }

  private timeoutError(cause: unknown): UpstreamError {
    return new UpstreamError(
      `${this.system}: no answer within ${this.config.timeoutMs}ms`,
      { system: this.system, retriable: true, code: 'timeout' },
      { cause },
    );
  }

  async complete(request: CompleteRequest): Promise<Completion> {
    const sdk = await this.sdk();
    let attempts = 0;
    const call = async () => {
      attempts += 1;
      const body: OpenAI.ChatCompletionCreateParamsNonStreaming = {
        model: this.config.model,
        temperature: this.config.temperature,
        messages: [
          { role: 'system', content: request.system },
          { role: 'user', content: request.user },
        ],
      };
      if (request.format && this.structured) {
        body.response_format = { type: 'json_schema', json_schema: { name: request.format.name, strict: true, schema: request.format.schema } };
      }
      try {
        return await this.send(request.signal, (signal) => sdk.chat.completions.create(body, { signal }));
      } catch (error) {
        // A provider that does not take json_schema: ask again in plain text and
        // parse. Part of the same attempt: the provider did not fail, we asked wrong.
        if (body.response_format && refusesStructuredOutput(error)) {
          this.structured = false;
          this.log?.warn('the provider refused structured output; parsing JSON from text from now on', { system: this.system });
          delete body.response_format;
          return await this.send(request.signal, (signal) => sdk.chat.completions.create(body, { signal }));
        }
        throw error;
      }
    };
    const response = await withRetry(call, {
      policy: { attempts: this.config.attempts },
      signal: request.signal,
      gate: this.gate,
      classify: classifyUpstream,
      onRetry: ({ attempt, error, waitMs }) =>
        this.log?.debug('retrying LLM call', { attempt, wait_ms: waitMs, reason: error instanceof Error ? error.message : String(error) }),
    }).catch((error: unknown) => {
      // The caller records how many attempts a failure took.
      if (error instanceof UpstreamError) error.details.attempts = attempts;
      throw error;
    });
    const choice = response.choices?.[0];
    if (!choice) throw new ValidationError(`${this.system}: the response has no choices`);
    return {
      content: choice.message?.content ?? '',
      finishReason: choice.finish_reason ?? null,
      refusal: (choice.message as { refusal?: string | null } | undefined)?.refusal ?? null,
      model: response.model ?? this.config.model,
      promptTokens: response.usage?.prompt_tokens ?? 0,
      completionTokens: response.usage?.completion_tokens ?? 0,
      attempts,
    };
  }

  /** One cheap call: is the provider there and does the key work? */
  async probe(signal?: AbortSignal): Promise<string> {
    const sdk = await this.sdk();
    const started = Date.now();
    await this.send(signal, (attemptSignal) => sdk.models.list({ signal: attemptSignal }));
    return `models listed in ${Date.now() - started}ms`;
  }
}

function refusesStructuredOutput(error: unknown): boolean {
  return error instanceof UpstreamError && error.details.status === 400 && /response_format|json_schema/i.test(error.message);
}

/**
 * JSON out of a model's text: bare, inside ```json fences, or after a sentence
 * of prose. Throws ValidationError when there is none.
 */
export function extractJson(content: string): unknown {
  const text = content.trim();
  if (!text) throw new ValidationError('the response is empty');
  try {
    return JSON.parse(text);
  } catch {
    /* not bare JSON */
  }
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  if (fenced) {
    try {
      return JSON.parse(fenced[1].trim());
    } catch {
      /* a broken fence: try the braces below */
    }
  }
  for (const open of ['{', '[']) {
    const start = text.indexOf(open);
    if (start < 0) continue;
    const candidate = balanced(text, start);
    if (candidate) {
      try {
        return JSON.parse(candidate);
      } catch {
        /* keep looking */
      }
    }
  }
  throw new ValidationError(`no parsable JSON in the response (${text.slice(0, 60).replace(/\s+/g, ' ')}…)`);
}

/** The substring from `start` to its matching close bracket, strings respected. */
function balanced(text: string, start: number): string | undefined {
  const stack: string[] = [];
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') stack.push(ch === '{' ? '}' : ']');
    else if (ch === '}' || ch === ']') {
      if (stack.pop() !== ch) return undefined;
      if (stack.length === 0) return text.slice(start, i + 1);
    }
  }
  return undefined;
}
