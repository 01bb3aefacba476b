/**
 * The location APIs: a list of center slugs, and one center's details per
 * slug. Accepts every response shape upstreams.md names; a record that does
 * not validate is a ValidationError (a failed item), never a crash.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import { createHttpClient, type HttpClient } from '../core/http.js';
import type { Logger } from '../core/log.js';
import { CENTER_LIMITS, ENTRY_PREVIEW_CHARS } from './limits.js';

export interface LocationApiConfig {
  slugApiUrl: string;
  dataApiUrl: string;
  apiKey?: string;
  timeoutMs?: number;
  attempts?: number;
  ratePerSecond?: number;
}

export interface CenterRecord {
  centerId: string;
  centerName: string;
  slug: string;
  zipCode: string | null;
  city: string | null;
  state: string | null;
  country: string;
  radius: number;
  ownerEmail: string | null;
  isActive: boolean;
  /** The whole record as the API sent it. */
  raw: Record<string, unknown>;
}

export interface SlugList {
  slugs: string[];
  /** Entries of the list that were not slugs, with the reason. */
  rejected: Array<{ entry: string; reason: string }>;
  pages: number;
}

const MAX_PAGES = 1000;

const text = z.union([z.string(), z.number()]).transform((v) => String(v).trim());
const optionalText = z
  .union([z.string(), z.number(), z.null()])
  .optional()
  .transform((v) => (v === null || v === undefined || String(v).trim() === '' ? null : String(v).trim()));
const flag = z
  .union([z.boolean(), z.number(), z.string()])
  .optional()
  .transform((v, ctx) => {
    if (v === undefined) return true;
    if (typeof v === 'boolean') return v;
    const s = String(v).trim().toLowerCase();
    if (['1', 'true', 'yes', 'active'].includes(s)) return true;
    if (['0', 'false', 'no', 'inactive'].includes(s)) return false;
    ctx.addIssue({ code: 'custom', message: `is_active must be true or false, found ${JSON.stringify(v)}` });
    return z.NEVER;
  });

const centerSchema = z
  .object({
    center_id: text.optional(),
    id: text.optional(),
    center_name: text.optional(),
    name: text.optional(),
    slug: text.optional(),
    zip_code: optionalText,
    zip: optionalText,
    postal_code: optionalText,
    city: optionalText,
    state: optionalText,
    country: optionalText,
    radius: z.union([z.number(), z.string(), z.null()]).optional(),
    owner_email: optionalText,
    is_active: flag,
  })
  .passthrough();

/** The record as JSON, or why it cannot be one (a cycle-free but deeply nested value overflows JSON.stringify). */
function recordSize(body: object): number | string {
  try {
    return Buffer.byteLength(JSON.stringify(body));
  } catch (err) {
    return err instanceof RangeError ? 'it is nested too deeply' : 'it cannot be written as JSON';
  }
}

/** Every text field within its documented maximum (limits.ts), else the first one over it. */
function overLimit(fields: Partial<Record<keyof typeof CENTER_LIMITS, string | null>>): string | undefined {
  for (const [field, value] of Object.entries(fields) as Array<[keyof typeof CENTER_LIMITS, string | null | undefined]>) {
    if (value && value.length > CENTER_LIMITS[field]) return `${field} is longer than ${CENTER_LIMITS[field]} characters (${value.length})`;
  }
  return undefined;
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'record'}: ${issue.message}` : 'invalid record';
}

/** Validates one detail record (already unwrapped from `data`). */
export function parseCenter(body: unknown, requestedSlug: string): CenterRecord {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ValidationError('the record is not a JSON object');
  const parsed = centerSchema.safeParse(body);
  if (!parsed.success) throw new ValidationError(`malformed record: ${firstIssue(parsed.error)}`);
  const r = parsed.data;
  const centerId = r.center_id || r.id;
  const centerName = r.center_name || r.name;
  if (!centerId) throw new ValidationError('malformed record: center_id is missing');
  if (!centerName) throw new ValidationError('malformed record: center_name is missing');
  let radius = 25;
  if (r.radius !== undefined && r.radius !== null && r.radius !== '') {
    radius = Number(r.radius);
    if (!Number.isFinite(radius) || radius <= 0 || radius > 1000)
      throw new ValidationError(`malformed record: radius must be a positive number of miles, found ${JSON.stringify(r.radius)}`);
    radius = Math.round(radius);
  }
  const record: CenterRecord = {
    centerId,
    centerName,
    slug: r.slug || requestedSlug,
    zipCode: r.zip_code ?? r.zip ?? r.postal_code ?? null,
    city: r.city,
    state: r.state,
    country: r.country ?? 'USA',
    radius,
    ownerEmail: r.owner_email,
    isActive: r.is_active,
    raw: body as Record<string, unknown>,
  };
  const tooLong = overLimit({
    center_id: record.centerId,
    center_name: record.centerName,
    slug: record.slug,
    zip_code: record.zipCode,
    city: record.city,
    state: record.state,
    country: record.country,
    owner_email: record.ownerEmail,
  });
  if (tooLong) throw new ValidationError(`malformed record: ${tooLong}`);
  // The whole record is stored (location_data): its size is capped too. Checked after
  // the fields, so that an oversize field is named in the reason.
  const size = recordSize(body);
  if (typeof size === 'string') throw new ValidationError(`malformed record: ${size}`);
  if (size > CENTER_LIMITS.record_bytes) throw new ValidationError(`malformed record: it is larger than ${CENTER_LIMITS.record_bytes} bytes (${size})`);
  return record;
}

/** Reads one page of the slug list in any accepted shape; returns its slugs and where the next page is. */
export function parseSlugPage(body: unknown, currentUrl: string): { entries: unknown[]; next?: string } {
  if (Array.isArray(body)) return { entries: body };
  if (!body || typeof body !== 'object') throw new ValidationError('the slug list is neither a JSON array nor an object');
  const b = body as Record<string, unknown>;
  const entries = Array.isArray(b.slugs) ? b.slugs : Array.isArray(b.data) ? b.data : undefined;
  if (!entries) throw new ValidationError('the slug list has neither "slugs" nor "data"');
  let next: string | undefined;
  if (typeof b.next === 'string' && b.next) next = new URL(b.next, currentUrl).toString();
  else if (b.next_page !== undefined && b.next_page !== null && b.next_page !== false) next = withPage(currentUrl, Number(b.next_page));
  else if (typeof b.page === 'number' && typeof b.total_pages === 'number' && b.page < b.total_pages) next = withPage(currentUrl, b.page + 1);
  return { entries, next };
}

function withPage(url: string, page: number): string {
  const u = new URL(url);
  u.searchParams.set('page', String(page));
  return u.toString();
}

/**
 * A short preview of a rejected entry for its reason. Never throws: a deeply
 * nested entry overflows JSON.stringify, and that must reject the entry, not
 * fail the whole list.
 */
function previewOf(entry: unknown): string {
  try {
    return String(JSON.stringify(entry)).slice(0, ENTRY_PREVIEW_CHARS);
  } catch {
    return Array.isArray(entry) ? '[…nested too deeply…]' : '{…nested too deeply…}';
  }
}

function slugOf(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (entry && typeof entry === 'object' && typeof (entry as { slug?: unknown }).slug === 'string') return (entry as { slug: string }).slug;
  return undefined;
}

export class LocationApi {
  private readonly http: HttpClient;
  private readonly headers: Record<string, string> = {};

  constructor(
    private readonly config: LocationApiConfig,
    log?: Logger,
  ) {
    if (config.apiKey) {
      this.headers['X-API-Key'] = config.apiKey;
      this.headers.Authorization = `Bearer ${config.apiKey}`;
    }
    this.http = createHttpClient({
      system: 'location API',
      headers: this.headers,
      timeoutMs: config.timeoutMs,
      retry: { attempts: config.attempts ?? 3 },
      ratePerSecond: config.ratePerSecond,
      log,
    });
  }

  /** Every slug, following `next` / `next_page` / `page`+`total_pages` until done. */
  async listSlugs(signal?: AbortSignal): Promise<SlugList> {
    const slugs: string[] = [];
    const rejected: SlugList['rejected'] = [];
    const seenUrls = new Set<string>();
    let url: string | undefined = this.config.slugApiUrl;
    let pages = 0;
    while (url) {
      if (seenUrls.has(url) || pages >= MAX_PAGES) throw new ValidationError(`the slug list pages loop back to ${url}`);
      seenUrls.add(url);
      const { data } = await this.http.get<unknown>(url, { signal });
      pages += 1;
      const page = parseSlugPage(data, url);
      for (const entry of page.entries) {
        const slug = slugOf(entry);
        if (slug === undefined) rejected.push({ entry: previewOf(entry), reason: 'not a slug (expected a string or {"slug": …})' });
        else if (slug.trim().length > CENTER_LIMITS.slug)
          rejected.push({ entry: previewOf(slug), reason: `the slug is longer than ${CENTER_LIMITS.slug} characters` });
        else slugs.push(slug.trim());
      }
      url = page.next;
    }
    return { slugs: [...new Set(slugs)], rejected, pages };
  }

  /** One request to the slug list, no retries: is the API there? */
  async probe(signal?: AbortSignal): Promise<string> {
    const started = Date.now();
    const probeClient = createHttpClient({ system: 'location API', headers: this.headers, timeoutMs: 5000, retry: { attempts: 1 } });
    const { status } = await probeClient.get(this.config.slugApiUrl, { signal });
    return `${status} in ${Date.now() - started}ms`;
  }

  /** One center; `undefined` when the API says the slug is gone (404). */
  async getCenter(slug: string, signal?: AbortSignal): Promise<CenterRecord | undefined> {
    // The slug is untrusted: encoded as one path segment, never joined raw.
    const url = `${this.config.dataApiUrl}/slug/${encodeURIComponent(slug)}`;
    const response = await this.http.get<unknown>(url, { signal, acceptStatus: [404] });
    if (response.status === 404) return undefined;
    let body = response.data;
    if (typeof body === 'string') {
      const raw: string = body;
      try {
        body = JSON.parse(raw);
      } catch {
        throw new ValidationError(`the response is not JSON (${raw.slice(0, 40).replace(/\s+/g, ' ')}…)`);
      }
    }
    const record = body && typeof body === 'object' && 'data' in body ? (body as { data: unknown }).data : body;
    return parseCenter(record, slug);
  }
}
