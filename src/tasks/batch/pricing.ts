/**
 * Estimated cost of LLM calls. Prices are US dollars per million tokens,
 * input and output. The defaults are list prices when this was written and
 * will drift: set LLM_PRICES to yours, e.g. '{"gpt-4o-mini":[0.15,0.6]}'.
 */
import { ConfigError } from '../../core/errors.js';
import { PRICE_MAX_PER_MILLION } from '../../integrations/limits.js';

export type PriceTable = Record<string, [input: number, output: number]>;

export const DEFAULT_PRICES: PriceTable = {
  'gpt-4o-mini': [0.15, 0.6],
  'gpt-4o': [2.5, 10],
  'gpt-4.1-mini': [0.4, 1.6],
  'grok-4.3': [3, 15],
};

export function parsePriceTable(raw: string | undefined): PriceTable {
  if (!raw) return DEFAULT_PRICES;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('LLM_PRICES', 'LLM_PRICES is malformed: expected JSON like {"gpt-4o-mini":[0.15,0.6]}');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConfigError('LLM_PRICES', 'LLM_PRICES is malformed: expected a JSON object of model → [input, output] dollars per million tokens');
  for (const [model, price] of Object.entries(parsed)) {
    // A price is checked before any call: an absurd one would overflow the cost column after the LLM was paid.
    if (
      !Array.isArray(price) ||
      price.length !== 2 ||
      !price.every((p) => typeof p === 'number' && Number.isFinite(p) && p >= 0 && p <= PRICE_MAX_PER_MILLION)
    ) {
      throw new ConfigError(
        'LLM_PRICES',
        `LLM_PRICES is malformed: the price of "${model}" must be [input, output] dollars per million tokens, each from 0 to ${PRICE_MAX_PER_MILLION}`,
      );
    }
  }
  return { ...DEFAULT_PRICES, ...(parsed as PriceTable) };
}

/** Dollars for these tokens; 0 for a model with no known price (the summary says so). */
export function estimateCost(prices: PriceTable, model: string, tokensIn: number, tokensOut: number): number {
  const price = prices[model] ?? Object.entries(prices).find(([name]) => model.startsWith(name))?.[1];
  if (!price) return 0;
  return Math.round(((tokensIn * price[0] + tokensOut * price[1]) / 1_000_000) * 1e6) / 1e6;
}

export function hasPrice(prices: PriceTable, model: string): boolean {
  return model in prices || Object.keys(prices).some((name) => model.startsWith(name));
}
