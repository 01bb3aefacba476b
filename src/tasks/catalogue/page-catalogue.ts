/**
 * What the LLM is asked about a landing page, and how its answer is checked:
 * a JSON schema to OpenAI's strict rules (both providers accept it) and a zod
 * validator. The page goes in as text (html-to-text), cut to a size.
 */
import { compile } from 'html-to-text';
import { z } from 'zod';
import { ValidationError } from '../../core/errors.js';
import { extractJson } from '../../integrations/llm.js';
import type { CatalogueEntry } from '../../db/queries/catalogue-urls.js';

export const PAGE_TYPES = ['product', 'service', 'category', 'location', 'article', 'home', 'other'] as const;

const nullableString = { type: ['string', 'null'] };

export const pageCatalogueSchema = {
  name: 'page_catalogue',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['page_type', 'product_or_service', 'category', 'location', 'keywords', 'summary'],
    properties: {
      page_type: { type: 'string', enum: [...PAGE_TYPES] },
      product_or_service: { ...nullableString, description: 'the product or service the page sells, if any' },
      category: nullableString,
      location: { ...nullableString, description: 'the place the page is about, if any' },
      keywords: { type: 'array', items: { type: 'string' }, description: '3 to 10 search keywords' },
      summary: { type: 'string', description: 'one or two sentences' },
    },
  },
};

const optional = (max: number) =>
  z
    .union([z.string(), z.null()])
    .optional()
    .transform((v) => (v == null || v.trim() === '' ? null : v.trim()))
    .refine((v) => v === null || v.length <= max, { message: `is longer than ${max} characters` });

const entrySchema = z.object({
  page_type: z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => (PAGE_TYPES as readonly string[]).includes(v), { message: `must be one of ${PAGE_TYPES.join(', ')}` }),
  product_or_service: optional(300),
  category: optional(200),
  location: optional(200),
  keywords: z.array(z.string().trim().min(1).max(100)).max(20, 'has more than 20 keywords'),
  summary: z.string().trim().min(1, 'is empty').max(1000, 'is longer than 1000 characters'),
});

export function parseCatalogueEntry(content: string): CatalogueEntry {
  const parsed = entrySchema.safeParse(extractJson(content));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError(`the answer is not a valid catalogue entry: ${issue ? `${issue.path.join('.') || 'entry'} ${issue.message}` : 'invalid'}`);
  }
  const e = parsed.data;
  return {
    pageType: e.page_type,
    productOrService: e.product_or_service,
    category: e.category,
    location: e.location,
    keywords: e.keywords,
    summary: e.summary,
  };
}

// Compiled once: convert() compiles its selectors on every call, which costs
// more than the conversion of a landing page (hundreds of pages a run).
let toText: ((html: string) => string) | undefined;

/** The page as text: scripts, styles and images left out, links as their text. */
export function pageText(html: string, maxChars: number): { title: string; text: string } {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1]?.replace(/\s+/g, ' ').trim() ?? '';
  toText ??= compile({
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'nav', format: 'skip' },
    ],
  });
  const text = toText(html)
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return { title: title.slice(0, 300), text: text.slice(0, maxChars) };
}

const SYSTEM = `You catalogue landing pages for a search-marketing team. Read the page and answer with JSON only:
page_type (one of ${PAGE_TYPES.join(', ')}), product_or_service (what the page sells, or null), category (or null),
location (the place the page is about, or null), keywords (3 to 10 search keywords) and summary (one or two sentences).`;

export function cataloguePrompt(url: string, page: { title: string; text: string }): { system: string; user: string } {
  return { system: SYSTEM, user: `Page URL: ${url}\nTitle: ${page.title}\nPage text:\n${page.text}` };
}
