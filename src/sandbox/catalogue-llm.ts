/**
 * The LLM simulator's answer to a landing-page cataloguing prompt ("Page URL:"
 * line): a deterministic catalogue entry read from the page text the sandbox's
 * ScrapingBee served ("Kind: …. City: ….").
 */
import { randomBytes } from 'node:crypto';

export function cataloguePageUrl(prompt: string): string | undefined {
  return /^Page URL:\s*(\S+)/m.exec(prompt)?.[1];
}

export function catalogueCompletion(model: string | undefined, messages: unknown, prompt: string) {
  const title =
    /^Title:\s*(.*)$/m
      .exec(prompt)?.[1]
      ?.replace(/\s*\|.*$/, '')
      .trim() || 'Untitled page';
  const kind = /Kind:\s*(\w+)/.exec(prompt)?.[1] ?? 'other';
  const city = /City:\s*([A-Za-z ]+?)\./.exec(prompt)?.[1] ?? null;
  const offer = title.replace(/ in .*$/, '');
  const entry = {
    page_type: ['product', 'service', 'category', 'location'].includes(kind) ? kind : 'other',
    product_or_service: kind === 'product' || kind === 'service' ? offer : null,
    category: kind === 'category' ? offer : 'Spa & Wellness',
    location: city,
    keywords: [offer.toLowerCase(), ...(city ? [`${offer.toLowerCase()} ${city.toLowerCase()}`, `spa ${city.toLowerCase()}`] : [])],
    summary: `${title}: a ${kind} page of Example Spa.`,
  };
  const content = JSON.stringify(entry);
  const promptTokens = Math.ceil(JSON.stringify(messages ?? []).length / 4);
  const completionTokens = Math.ceil(content.length / 4);
  return {
    id: `chatcmpl-${randomBytes(12).toString('hex')}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: model ?? 'gpt-4o-mini',
    choices: [{ index: 0, finish_reason: 'stop', logprobs: null, message: { role: 'assistant', content, refusal: null } }],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
}
