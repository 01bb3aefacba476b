/**
 * run-batch: for every active center, ask the LLM for local events, keep the
 * valid ones, write one CSV per center and store the events; the run is
 * tracked in batch_runs (counters true while it runs) and batch_run_centers.
 * One transaction per center; a center that fails still gets its CSV (header
 * only) and the batch goes on. An interrupted run can be resumed.
 */
import pLimit from 'p-limit';
import type { Kysely } from 'kysely';
import { errorMessage, InterruptedError, isAbortError, UpstreamError, UsageError } from '../core/errors.js';
import { defineTask, type TaskContext } from '../core/task.js';
import {
  closeAbandonedRuns,
  closeBatchRun,
  createBatchRun,
  finishBatchRun,
  getBatchRun,
  recordCenterOutcome,
  unsuccessfulCenterIds,
} from '../db/queries/batch-runs.js';
import { listActiveCenters } from '../db/queries/centers.js';
import { upsertEvents } from '../db/queries/discovered-events.js';
import type { Database } from '../db/schema.js';
import type { SettingsOf } from '../core/config.js';
import { ValidationError } from '../core/errors.js';
import { localEventsSchema, parseLocalEvents, type DroppedEvent, type LocalEvent } from '../integrations/local-events.js';
import { PROMPT_MAX_CHARS } from '../integrations/limits.js';
import type { LlmClient } from '../integrations/llm.js';
import { csvPathFor, runFolder, sweepTempFiles, writeCsv, type CsvRow } from './batch/csv.js';
import { estimateCost, hasPrice, parsePriceTable, type PriceTable } from './batch/pricing.js';
import { loadPromptTemplate, locationLine, renderPrompt, type PromptTemplate } from './batch/prompt.js';
import { batchSettings, llmClientFrom, llmConfigFrom } from './batch/settings.js';
import { screenEvents, type DateWindow } from './batch/screen.js';

export interface RunBatchOptions {
  centers?: string[];
  limit?: number;
  concurrency?: number;
  resume?: string;
  dryRun?: boolean;
  /** How the run was started: "cli", "sync-and-run", "resume". */
  trigger?: string;
}

type Ctx = TaskContext<Kysely<Database>, SettingsOf<typeof batchSettings>>;
type Center = Awaited<ReturnType<typeof listActiveCenters>>[number];

function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function dateWindow(ctx: Ctx): DateWindow {
  const start = ctx.now();
  return { start: isoDate(start), end: isoDate(new Date(start.getTime() + ctx.config.windowDays * 86_400_000)) };
}

function promptFor(template: PromptTemplate, center: Center, ctx: Ctx, window: DateWindow): { system: string; user: string } {
  const values = {
    location: locationLine(center),
    radius: center.radius,
    start_date: window.start,
    end_date: window.end,
    max_events: ctx.config.maxEvents,
    center_name: center.center_name,
  };
  return { system: renderPrompt(template.system, values), user: renderPrompt(template.user, values) };
}

async function selectCenters(ctx: Ctx, options: RunBatchOptions): Promise<Center[]> {
  const db = ctx.db;
  if (options.resume) {
    const previous = await getBatchRun(db, options.resume);
    if (!previous) throw new UsageError(`--resume: there is no batch run "${options.resume}" (ops batch-status --latest shows the newest)`);
    const ids = await unsuccessfulCenterIds(db, options.resume);
    if (ids.length === 0) return [];
    const centers = await listActiveCenters(db, { centerIds: ids, limit: options.limit });
    if (centers.length < ids.length) ctx.note(`${ids.length - centers.length} center(s) of ${options.resume} are no longer active and are left out`);
    return centers;
  }
  const centers = await listActiveCenters(db, { slugs: options.centers, limit: options.limit });
  for (const slug of options.centers ?? []) {
    if (!centers.some((c) => c.slug === slug)) ctx.failItem(slug, 'no active center with this slug');
  }
  return centers;
}

export const runBatch = defineTask({
  name: 'run-batch',
  summary: 'ask the LLM for local events of every active center; one CSV per center',
  settings: batchSettings,
  outputs: true,
  deadlineSeconds: 3 * 3600,
  validate(config) {
    llmConfigFrom(config);
    parsePriceTable(config.prices);
    loadPromptTemplate(config.promptFile || undefined);
  },
  checks: (config) => [{ name: `LLM (${config.provider})`, run: (signal) => llmClientFrom(config).probe(signal) }],
  async run(ctx: Ctx, options: RunBatchOptions) {
    const { config, signal } = ctx;
    const template = loadPromptTemplate(config.promptFile || undefined);
    const llmConfig = llmConfigFrom(config);
    const prices = parsePriceTable(config.prices);

    const abandoned = await closeAbandonedRuns(ctx.db, ctx.now());
    if (abandoned.length) ctx.log.warn('batch runs left running by a process that died were marked interrupted', { runs: abandoned.map((r) => r.run_id) });

    const centers = await selectCenters(ctx, options);
    if (!ctx.dryRun) {
      // Temporary CSVs of a process that died mid-write: in the folders of the runs it left, and of the run resumed.
      const previous = options.resume ? await getBatchRun(ctx.db, options.resume) : undefined;
      const folders = [...abandoned.map((r) => r.output_dir), previous?.output_dir].filter((f): f is string => !!f);
      for (const folder of new Set(folders)) {
        const removed = sweepTempFiles(folder);
        if (removed.length) ctx.log.info('temporary CSV files of a process that died were removed', { folder, files: removed.length });
      }
    }
    if (ctx.dryRun) {
      for (const center of centers) {
        const prompt = promptFor(template, center, ctx, dateWindow(ctx));
        const chars = prompt.system.length + prompt.user.length;
        const body =
          chars > PROMPT_MAX_CHARS
            ? `(not shown: the prompt is ${chars} characters, more than the ${PROMPT_MAX_CHARS} allowed; this center would fail)`
            : prompt.user;
        ctx.note(`--- ${center.slug} (${center.center_id}) · ${llmConfig.provider} ${llmConfig.model} · prompt ${template.version}\n${body}`);
      }
      return { centers: centers.length, dry_run: true, prompt_version: template.version };
    }
    if (centers.length === 0) {
      ctx.note(options.resume ? `nothing to resume: every center of ${options.resume} succeeded` : 'no active centers: run ops sync-centers first');
      return { centers: 0 };
    }

    const llm = llmClientFrom(config, ctx.log);
    await llm.load();
    const folder = runFolder(ctx.runtime.outputDir, ctx.runId);
    await createBatchRun(ctx.db, {
      runId: ctx.runId,
      trigger: options.resume ? 'resume' : (options.trigger ?? 'cli'),
      resumedFrom: options.resume ?? null,
      provider: llmConfig.provider,
      model: llmConfig.model,
      promptVersion: template.version,
      outputDir: folder,
      startedAt: ctx.now(),
      centers: centers.map((c) => ({ centerId: c.center_id, slug: c.slug })),
    });
    ctx.log.info('batch started', {
      centers: centers.length,
      model: llmConfig.model,
      prompt_version: template.version,
      concurrency: options.concurrency ?? config.concurrency,
    });

    const totals = { succeeded: 0, failed: 0, events_found: 0, events_new: 0, events_dropped: 0, tokens_in: 0, tokens_out: 0, cost: 0 };
    const taken = new Set<string>();
    let done = 0;
    const limit = pLimit(options.concurrency ?? config.concurrency);
    ctx.progress.update({ done, total: centers.length, noun: 'center' });
    // The first center whose database write failed: it stops every other center (stop), and fails the run.
    let fatal: { center: Center; error: unknown; startedAt: Date } | undefined;
    const stop = new AbortController();
    const stopOrSignal = AbortSignal.any([signal, stop.signal]);

    const work = Promise.all(
      centers.map((center) =>
        limit(async () => {
          if (stopOrSignal.aborted) return;
          const csvPath = csvPathFor(folder, center.slug, taken);
          const startedAt = ctx.now();
          let outcome: CenterResult | undefined;
          try {
            outcome = await discoverForCenter(ctx, llm, template, prices, center, csvPath, stopOrSignal);
          } catch (err) {
            // Not an item failure: the database failed. Stop the others; the run is closed below, once they are done.
            if (!fatal) fatal = { center, error: err, startedAt };
            stop.abort();
            try {
              writeCsv(csvPath, []);
            } catch {
              // The header-only CSV is a courtesy here; the run fails either way.
            }
            return;
          }
          if (outcome) {
            totals[outcome.ok ? 'succeeded' : 'failed'] += 1;
            totals.events_found += outcome.found;
            totals.events_new += outcome.inserted;
            totals.events_dropped += outcome.dropped;
            totals.tokens_in += outcome.tokensIn;
            totals.tokens_out += outcome.tokensOut;
            totals.cost += outcome.cost;
          }
          done += 1;
          ctx.progress.update({ done, total: centers.length, noun: 'center', label: center.slug });
        }),
      ),
    );
    // Every center's work catches its own failure: this waits for all of them, in flight or stopped.
    await work;

    if (fatal) {
      const reason = `the database write of center ${fatal.center.slug} failed: ${errorMessage(fatal.error)}`;
      const closing = {
        status: 'failed' as const,
        error: reason,
        skipReason: `the batch stopped: ${reason}`,
        failedCenter: { centerId: fatal.center.center_id, error: errorMessage(fatal.error), startedAt: fatal.startedAt },
      };
      // When the database is down this fails too: the next run closes the batch (closeAbandonedRuns).
      await closeBatchRun(ctx.db, ctx.runId, closing, ctx.now()).catch((err) =>
        ctx.log.error('the failed batch could not be closed', { error: errorMessage(err) }),
      );
      throw fatal.error;
    }
    if (signal.aborted) {
      const notRun = centers.length - totals.succeeded - totals.failed;
      const error = `interrupted: ${notRun} center(s) not run; ops run-batch --resume ${ctx.runId}`;
      await closeBatchRun(ctx.db, ctx.runId, { status: 'interrupted', error, skipReason: 'interrupted before this center ran' }, ctx.now());
      throw new InterruptedError();
    }
    const status = totals.failed === 0 ? 'completed' : totals.succeeded === 0 ? 'failed' : 'partial';
    const error = status === 'failed' ? `every center failed (${totals.failed}); first reason: ${ctx.failures[0]?.reason ?? 'unknown'}` : null;
    await finishBatchRun(ctx.db, ctx.runId, status, ctx.now(), error);

    const cost = Math.round(totals.cost * 1e6) / 1e6;
    ctx.note(`CSV files: ${folder}`);
    ctx.note(
      `tokens ${totals.tokens_in} in / ${totals.tokens_out} out · estimated cost $${cost.toFixed(4)}${hasPrice(prices, llmConfig.model) ? '' : ` (no price known for ${llmConfig.model}: set LLM_PRICES)`}`,
    );
    ctx.note(`details: ops batch-status ${ctx.runId}${totals.failed ? ` · retry the failed: ops run-batch --resume ${ctx.runId}` : ''}`);
    return {
      stats: {
        centers: centers.length,
        succeeded: totals.succeeded,
        failed: totals.failed,
        events_found: totals.events_found,
        events_new: totals.events_new,
        events_dropped: totals.events_dropped,
        tokens_in: totals.tokens_in,
        tokens_out: totals.tokens_out,
        estimated_cost_usd: cost,
      },
      status: status === 'failed' ? 'failed' : status === 'partial' ? 'partial' : 'success',
      error: error ?? undefined,
    };
  },
});

interface CenterResult {
  ok: boolean;
  found: number;
  inserted: number;
  dropped: number;
  tokensIn: number;
  tokensOut: number;
  cost: number;
}

/** Keeps the first `max` valid events; the rest are dropped with the reason. */
function capEvents(events: LocalEvent[], dropped: DroppedEvent[], max: number): { events: LocalEvent[]; dropped: DroppedEvent[] } {
  if (events.length <= max) return { events, dropped };
  const reason = `beyond BATCH_MAX_EVENTS (${max}): only the first ${max} valid events of an answer are kept`;
  const over = events.slice(max).map((e, i) => ({ index: max + i, name: e.name, reason }));
  return { events: events.slice(0, max), dropped: [...dropped, ...over] };
}

/**
 * One center, start to end. Returns undefined when stopped (the center stays
 * pending until the run closes); throws only when the database fails.
 */
async function discoverForCenter(
  ctx: Ctx,
  llm: LlmClient,
  template: PromptTemplate,
  prices: PriceTable,
  center: Center,
  csvPath: string,
  signal: AbortSignal,
): Promise<CenterResult | undefined> {
  const startedAt = ctx.now();
  const window = dateWindow(ctx);
  const prompt = promptFor(template, center, ctx, window);
  let tokensIn = 0;
  let tokensOut = 0;
  let attempts = 0;
  let model = '';
  let events: LocalEvent[] = [];
  let dropped: ReturnType<typeof parseLocalEvents>['dropped'] = [];
  let failure: string | undefined;
  try {
    // A center field stored before its cap (or a long prompt file) must not become a huge paid prompt.
    const promptChars = prompt.system.length + prompt.user.length;
    if (promptChars > PROMPT_MAX_CHARS)
      throw new ValidationError(
        `the prompt is ${promptChars} characters, more than the ${PROMPT_MAX_CHARS} allowed: a field of this center is too long (run sync-centers)`,
      );
    const completion = await llm.complete({ system: prompt.system, user: prompt.user, format: localEventsSchema, signal });
    ({ attempts, model } = completion);
    tokensIn = completion.promptTokens;
    tokensOut = completion.completionTokens;
    if (completion.refusal) throw new ValidationError(`the model refused: ${completion.refusal}`);
    if (completion.finishReason === 'length') throw new ValidationError('the answer was cut off (finish_reason "length"): truncated JSON');
    ({ events, dropped } = screenEvents(parseLocalEvents(completion.content), window));
    ({ events, dropped } = capEvents(events, dropped, ctx.config.maxEvents));
  } catch (err) {
    if (signal.aborted || isAbortError(err)) return undefined;
    failure = errorMessage(err);
    if (err instanceof UpstreamError) attempts = err.details.attempts ?? attempts;
  }
  const cost = estimateCost(prices, model || llm.system, tokensIn, tokensOut);
  const rows: CsvRow[] = events.map((e) => ({ center_id: center.center_id, center_name: center.center_name, ...e }));
  // A failed center still gets its CSV: the header, no rows.
  try {
    writeCsv(csvPath, failure ? [] : rows);
  } catch (err) {
    failure = `${failure ? `${failure}; ` : ''}the CSV could not be written: ${errorMessage(err)}`;
  }
  let inserted = 0;
  await ctx.db.transaction().execute(async (trx) => {
    if (!failure) inserted = await upsertEvents(trx, center.center_id, ctx.runId, events, ctx.now());
    await recordCenterOutcome(trx, {
      runId: ctx.runId,
      centerId: center.center_id,
      status: failure ? 'failed' : 'success',
      eventsFound: events.length,
      eventsDropped: dropped.length,
      dropReasons: dropped,
      csvPath,
      tokensIn,
      tokensOut,
      cost,
      attempts,
      error: failure ?? null,
      startedAt,
      finishedAt: ctx.now(),
    });
  });
  if (failure) ctx.failItem(center.slug, failure);
  else if (dropped.length) ctx.log.info('invalid events dropped', { center: center.slug, dropped: dropped.length, first_reason: dropped[0].reason });
  return { ok: !failure, found: events.length, inserted, dropped: dropped.length, tokensIn, tokensOut, cost };
}
