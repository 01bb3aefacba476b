/** Settings of the LLM and of batch discovery, and the LLM client they describe. */
import { settings, type SettingsOf } from '../../core/config.js';
import { ConfigError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { LlmClient, type LlmConfig } from '../../integrations/llm.js';

export const llmSettings = {
  provider: settings.oneOf('LLM_PROVIDER', 'which LLM answers', ['openai', 'grok'] as const, { default: 'openai' }),
  openaiKey: settings.secret('OPENAI_API_KEY', 'OpenAI API key'),
  openaiBaseUrl: settings.url('OPENAI_BASE_URL', 'OpenAI API base URL', { default: 'https://api.openai.com/v1' }),
  openaiModel: settings.string('OPENAI_MODEL', 'OpenAI model', { default: 'gpt-4o-mini' }),
  xaiKey: settings.secret('XAI_API_KEY', 'xAI API key'),
  xaiBaseUrl: settings.url('XAI_BASE_URL', 'xAI API base URL', { default: 'https://api.x.ai/v1' }),
  xaiModel: settings.string('XAI_MODEL', 'xAI model (names change: a setting, never code)', { default: 'grok-4.3' }),
  timeoutSeconds: settings.number('LLM_TIMEOUT_SECONDS', 'timeout of one LLM call', { min: 1, max: 900 }, { default: 120 }),
  attempts: settings.int('LLM_ATTEMPTS', 'attempts per center on 429, 5xx and timeouts', { min: 1, max: 10 }, { default: 3 }),
  temperature: settings.number('LLM_TEMPERATURE', 'sampling temperature', { min: 0, max: 2 }, { default: 0.2 }),
  structuredOutput: settings.bool('LLM_STRUCTURED_OUTPUT', 'ask for json_schema output (false: parse JSON from text)', { default: true }),
  prices: settings.string('LLM_PRICES', 'dollars per million tokens by model, JSON: {"gpt-4o-mini":[0.15,0.6]}'),
};

export const batchSettings = {
  ...llmSettings,
  promptFile: settings.string('LLM_PROMPT_FILE', 'prompt template file (default: prompts/local-events.txt)'),
  concurrency: settings.int('BATCH_CONCURRENCY', 'centers asked at once', { min: 1, max: 100 }, { default: 5 }),
  windowDays: settings.int('BATCH_WINDOW_DAYS', 'days ahead to ask events for', { min: 1, max: 365 }, { default: 30 }),
  maxEvents: settings.int('BATCH_MAX_EVENTS', 'most events asked per center', { min: 1, max: 200 }, { default: 20 }),
};

type LlmSettings = SettingsOf<typeof llmSettings>;

/** The provider's key, base URL and model; a missing key names its variable. */
export function llmConfigFrom(config: LlmSettings): LlmConfig {
  const grok = config.provider === 'grok';
  const apiKey = grok ? config.xaiKey : config.openaiKey;
  if (!apiKey) {
    const variable = grok ? 'XAI_API_KEY' : 'OPENAI_API_KEY';
    throw new ConfigError(variable, `${variable} is not set (LLM_PROVIDER=${config.provider} needs it)`);
  }
  return {
    provider: config.provider,
    apiKey,
    baseURL: grok ? config.xaiBaseUrl : config.openaiBaseUrl,
    model: grok ? config.xaiModel : config.openaiModel,
    timeoutMs: config.timeoutSeconds * 1000,
    attempts: config.attempts,
    temperature: config.temperature,
    structuredOutput: config.structuredOutput,
  };
}

export function llmClientFrom(config: LlmSettings, log?: Logger): LlmClient {
  return new LlmClient(llmConfigFrom(config), log);
}
