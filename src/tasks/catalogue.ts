/**
 * catalogue: every URL not yet catalogued whose status is 0 or 200 (only
 * those: cost control) is fetched through ScrapingBee and catalogued by the
 * LLM. A 301/302 on fetch records the code and the URL is never sent to the
 * LLM; a 404/500 is recorded and the URL tried again on a later run. An
 * entry is stored as soon as its answer is in (answers arriving together
 * share one statement), so a rerun makes no call for what is catalogued.
 */
import pLimit from 'p-limit';
import type { Kysely } from 'kysely';
import { errorMessage, isAbortError, InterruptedError, OpsError, UpstreamError, UsageError, ValidationError } from '../core/errors.js';
import { defineTask, type TaskContext } from '../core/task.js';
import type { SettingsOf } from '../core/config.js';
import { settings } from '../core/config.js';
import { normalizeUrl } from '../core/url-normalize.js';
import {
  type CatalogueEntry,
  type CataloguedRow,
  findUrl,
  recordCatalogued,
  recordCatalogueFailure,
  recordFetchOutcome,
  waitingUrls,
} from '../db/queries/catalogue-urls.js';
import type { Database } from '../db/schema.js';
import type { LlmClient } from '../integrations/llm.js';
import type { ScrapingBeeClient } from '../integrations/scrapingbee.js';
import { estimateCost, hasPrice, parsePriceTable, type PriceTable } from './batch/pricing.js';
import { llmClientFrom, llmConfigFrom, llmSettings } from './batch/settings.js';
import { cataloguePrompt, pageCatalogueSchema, pageText, parseCatalogueEntry } from './catalogue/page-catalogue.js';
import { GroupWriter } from './catalogue/group-writer.js';
import { scrapingbeeFrom, scrapingbeeSettings } from './catalogue/settings.js';

export interface CatalogueOptions {
  /** Catalogue exactly this many (fewer only when fewer are waiting). */
  count?: number;
  url?: string;
  concurrency?: number;
  dryRun?: boolean;
}

const catalogueSettings = {
  ...llmSettings,
  ...scrapingbeeSettings,
  concurrency: settings.int('CATALOGUE_CONCURRENCY', 'URLs fetched and catalogued at once', { min: 1, max: 100 }, { default: 5 }),
  pageChars: settings.int('CATALOGUE_PAGE_CHARS', 'most characters of page text sent to the LLM', { min: 500, max: 30_000 }, { default: 8000 }),
};

type Ctx = TaskContext<Kysely<Database>, SettingsOf<typeof catalogueSettings>>;
type Totals = {
  errorPages: string[];
  fetched: number;
  catalogued: number;
  redirects: number;
  fetch_errors: number;
  llm_failed: number;
  tokens_in: number;
  tokens_out: number;
  cost: number;
};

const REDIRECTS = new Set([301, 302]);

export const catalogue = defineTask({
  name: 'catalogue',
  summary: 'fetch every waiting URL through ScrapingBee and catalogue it with the LLM',
  settings: catalogueSettings,
  deadlineSeconds: 3 * 3600,
  validate(config) {
    llmConfigFrom(config);
    parsePriceTable(config.prices);
  },
  checks: (config) => [{ name: `LLM (${config.provider})`, run: (signal) => llmClientFrom(config).probe(signal) }],
  async run(ctx: Ctx, options: CatalogueOptions) {
    const { config, signal } = ctx;
    const prices = parsePriceTable(config.prices);
    let only: string | undefined;
    if (options.url) {
      try {
        only = normalizeUrl(options.url);
      } catch (err) {
        throw new UsageError(`--url: ${errorMessage(err)}`);
      }
      const row = await findUrl(ctx.db, only);
      if (!row) throw new UsageError(`--url: ${only} is not in the catalogue (ops airtable-sync adds the view's URLs)`);
      if (row.catalogued || ![0, 200].includes(row.status_code)) {
        ctx.note(`${only} is not waiting (catalogued: ${row.catalogued}, status ${row.status_code}): nothing to do`);
        return { selected: 0 };
      }
    }
    if (ctx.dryRun) {
      const waiting = await waitingUrls(ctx.db, { limit: options.count, url: only });
      ctx.note(
        `would catalogue ${waiting.length} URL(s)${
          waiting.length
            ? `: ${waiting
                .slice(0, 20)
                .map((w) => w.url)
                .join(', ')}`
            : ''
        }`,
      );
      return { selected: waiting.length, dry_run: true };
    }

    const llm = llmClientFrom(config, ctx.log);
    const pages = scrapingbeeFrom(config, ctx.log);
    const totals: Totals = { errorPages: [], fetched: 0, catalogued: 0, redirects: 0, fetch_errors: 0, llm_failed: 0, tokens_in: 0, tokens_out: 0, cost: 0 };
    const attempted = new Set<number>();
    // Two stages, each C wide: pages are fetched while the LLM slots are busy, so an LLM slot waits only for the LLM.
    // A URL holds an LLM slot for the call alone; its row is written after, beside the next call,
    // in one statement with the answers that arrived with it.
    // At most 2C URLs are in the pipeline (C at the LLM, C fetched or being fetched): the fetches
    // spread over the run instead of taking the CPU from the first LLM answers, and no more than
    // C pages wait in memory.
    const width = options.concurrency ?? config.concurrency;
    const pipeline = pLimit(2 * width);
    const fetchSlots = pLimit(width);
    const llmSlots = pLimit(width);
    const writer = new GroupWriter<CataloguedRow>((rows) => recordCatalogued(ctx.db, rows));
    let fatal: unknown;
    let sdkReady: Promise<void> | undefined;
    const want = options.count ?? Number.POSITIVE_INFINITY;
    ctx.log.info('cataloguing started', { count: options.count ?? 'all', concurrency: options.concurrency ?? config.concurrency });
    // Rounds: with --count, a URL that redirects or fails leaves room for the next one waiting.
    for (;;) {
      const need = want - totals.catalogued;
      if (need <= 0 || signal.aborted || fatal) break;
      const batch = (await waitingUrls(ctx.db, { url: only, limit: Number.isFinite(need) ? need + attempted.size : undefined })).filter(
        (w) => !attempted.has(w.id),
      );
      const round = batch.slice(0, Number.isFinite(need) ? need : undefined);
      if (round.length === 0) break;
      // The SDK (a large module) loads while the first pages are fetched.
      sdkReady ??= llm.load();
      sdkReady.catch(() => {}); // awaited by the LLM stage; unused when no page reaches it
      for (const w of round) attempted.add(w.id);
      await Promise.all(
        round.map((w) =>
          pipeline(async () => {
            try {
              const fetched = await fetchSlots(() => (signal.aborted || fatal ? undefined : fetchPage(ctx, pages, w, totals)));
              if (fetched) await sdkReady;
              const answer = fetched && (await llmSlots(() => (signal.aborted || fatal ? undefined : askLlm(ctx, llm, w, fetched))));
              if (answer) await storeAnswer(ctx, prices, llm, w, fetched.resolvedUrl, answer, totals, writer);
            } catch (err) {
              if (!fatal) fatal = err;
            }
            ctx.progress.update({ done: attempted.size, total: Number.isFinite(want) ? want : undefined, noun: 'URL', label: w.url });
          }),
        ),
      );
    }
    if (signal.aborted) throw new InterruptedError();
    if (fatal) throw fatal instanceof OpsError ? fatal : new OpsError(`the catalogue could not be stored: ${errorMessage(fatal)}`, { cause: fatal });

    if (totals.errorPages.length)
      ctx.note(
        `${totals.errorPages.length} page(s) answered an error status, recorded and tried again on a later run: ${totals.errorPages.slice(0, 20).join(', ')}`,
      );
    const cost = Math.round(totals.cost * 1e6) / 1e6;
    const model = llmConfigFrom(config).model;
    if (attempted.size === 0) ctx.note(only ? `${only} is not waiting` : 'nothing waiting: every URL with status 0 or 200 is catalogued');
    else
      ctx.note(
        `tokens ${totals.tokens_in} in / ${totals.tokens_out} out · estimated cost $${cost.toFixed(4)}${hasPrice(prices, model) ? '' : ` (no price known for ${model}: set LLM_PRICES)`}`,
      );
    const stats = {
      selected: attempted.size,
      fetched: totals.fetched,
      catalogued: totals.catalogued,
      redirects: totals.redirects,
      fetch_errors: totals.fetch_errors,
      llm_failed: totals.llm_failed,
      tokens_in: totals.tokens_in,
      tokens_out: totals.tokens_out,
      estimated_cost_usd: cost,
    };
    if (totals.catalogued === 0 && ctx.failureCount > 0) {
      return { stats, status: 'failed' as const, error: `every URL failed (${ctx.failureCount}); first reason: ${ctx.failures[0]?.reason ?? 'unknown'}` };
    }
    return stats;
  },
});

/**
 * One URL's fetch: the page as text when it answered 200 (ready for the LLM),
 * undefined when it redirected, failed or answered an error (recorded here).
 * Item failures are reported; only a database failure throws.
 */
async function fetchPage(
  ctx: Ctx,
  pages: ScrapingBeeClient,
  w: { id: number; url: string },
  totals: Totals,
): Promise<{ title: string; text: string; resolvedUrl: string | null } | undefined> {
  const { signal } = ctx;
  let page: Awaited<ReturnType<ScrapingBeeClient['fetch']>>;
  try {
    page = await pages.fetch(w.url, signal);
  } catch (err) {
    if (signal.aborted || isAbortError(err)) return;
    if (!(err instanceof UpstreamError)) throw err;
    totals.fetch_errors += 1;
    await recordFetchOutcome(ctx.db, w.id, { status: err.details.status ?? 0, redirect: false, error: errorMessage(err), resolvedUrl: null }, ctx.now());
    ctx.failItem(w.url, errorMessage(err));
    return undefined;
  }
  totals.fetched += 1;
  if (REDIRECTS.has(page.status)) {
    // Recorded as its status: never selected again (cost control), never sent to the LLM.
    totals.redirects += 1;
    await recordFetchOutcome(ctx.db, w.id, { status: page.status, redirect: true, error: null, resolvedUrl: page.resolvedUrl }, ctx.now());
    ctx.log.info('redirect: skipped, not sent to the LLM', { url: w.url, status: page.status, resolved: page.resolvedUrl });
    return;
  }
  if (page.status !== 200) {
    // The page's state, not a failure of this run: recorded, and the URL stays waiting for a later run.
    totals.fetch_errors += 1;
    totals.errorPages.push(`${w.url} (${page.status})`);
    const reason = `the page answered ${page.status}: tried again on a later run`;
    await recordFetchOutcome(ctx.db, w.id, { status: page.status, redirect: false, error: reason, resolvedUrl: page.resolvedUrl }, ctx.now());
    ctx.log.info('the page answered an error status: kept for a later run', { url: w.url, status: page.status });
    return;
  }
  // Only the text goes on: a page's HTML is not kept while it waits for an LLM slot.
  return { ...pageText(page.html, ctx.config.pageChars), resolvedUrl: page.resolvedUrl };
}

type LlmAnswer =
  | { ok: true; entry: CatalogueEntry; model: string; tokensIn: number; tokensOut: number }
  | { ok: false; reason: string; model: string; tokensIn: number; tokensOut: number };

/**
 * One fetched page through the LLM to a validated entry, or the reason it has
 * none. Nothing is written here: the caller stores the answer after giving
 * the LLM slot back. Undefined when the run was interrupted.
 */
async function askLlm(ctx: Ctx, llm: LlmClient, w: { id: number; url: string }, page: { title: string; text: string }): Promise<LlmAnswer | undefined> {
  const { signal } = ctx;
  const prompt = cataloguePrompt(w.url, page);
  let tokensIn = 0;
  let tokensOut = 0;
  let model = '';
  try {
    const completion = await llm.complete({ system: prompt.system, user: prompt.user, format: pageCatalogueSchema, signal });
    ({ model } = completion);
    tokensIn = completion.promptTokens;
    tokensOut = completion.completionTokens;
    if (completion.refusal) throw new ValidationError(`the model refused: ${completion.refusal}`);
    if (completion.finishReason === 'length') throw new ValidationError('the answer was cut off (finish_reason "length")');
    return { ok: true, entry: parseCatalogueEntry(completion.content), model, tokensIn, tokensOut };
  } catch (err) {
    if (signal.aborted || isAbortError(err)) return;
    if (!(err instanceof UpstreamError || err instanceof ValidationError)) throw err;
    return { ok: false, reason: errorMessage(err), model, tokensIn, tokensOut };
  }
}

/** The LLM's answer stored: the entry, or the failure with what it cost. Only a database failure throws. */
async function storeAnswer(
  ctx: Ctx,
  prices: PriceTable,
  llm: LlmClient,
  w: { id: number; url: string },
  resolvedUrl: string | null,
  answer: LlmAnswer,
  totals: Totals,
  writer: GroupWriter<CataloguedRow>,
): Promise<void> {
  const { tokensIn, tokensOut } = answer;
  if (answer.ok) {
    const cost = estimateCost(prices, answer.model, tokensIn, tokensOut);
    await writer.add({ id: w.id, entry: answer.entry, model: answer.model, tokensIn, tokensOut, cost, resolvedUrl, status: 200, at: ctx.now() });
    totals.catalogued += 1;
    totals.tokens_in += tokensIn;
    totals.tokens_out += tokensOut;
    totals.cost += cost;
    return;
  }
  const cost = estimateCost(prices, answer.model || llm.system, tokensIn, tokensOut);
  totals.llm_failed += 1;
  totals.tokens_in += tokensIn;
  totals.tokens_out += tokensOut;
  totals.cost += cost;
  await recordCatalogueFailure(ctx.db, w.id, answer.reason, { tokensIn, tokensOut, cost }, ctx.now());
  ctx.failItem(w.url, answer.reason);
}
