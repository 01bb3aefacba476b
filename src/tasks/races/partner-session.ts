/**
 * One partner's side of a run: its credentials (read from the variables its
 * row names), its hourly budget and its two in-flight slots (both kept in the
 * database, so they hold across processes and hosts), a shared slow-down when
 * the provider throttles, and at most two of its events synced at once here.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import pLimit, { type LimitFunction } from 'p-limit';
import { sleep, type Clock } from '../../core/clock.js';
import { OpsError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { PartnerRow } from '../../db/queries/partners.js';
import {
  credentialKey,
  ensureProviderSlots,
  pruneProviderCalls,
  releaseProviderSlot,
  takeProviderCall,
  takeProviderCallAndSlot,
} from '../../db/queries/provider-calls.js';
import type { Database } from '../../db/schema.js';
import { RunSignUpApi } from '../../integrations/runsignup.js';
import type { ProviderConfig } from './settings.js';

/** The credential's calls for this rolling hour are spent: work is deferred, not failed. */
export class BudgetExhaustedError extends OpsError {
  constructor(
    readonly partner: string,
    readonly freeAt: Date | undefined,
    perHour: number,
  ) {
    super(`${partner}: the hourly budget of ${perHour} calls is spent${freeAt ? `; the next call is free at ${freeAt.toISOString()}` : ''}`);
  }
}

/** Events of one partner in flight at once (each fetches its pages one by one). */
export const EVENTS_IN_FLIGHT_PER_PARTNER = 2;

export class PartnerSession {
  readonly limit: LimitFunction = pLimit(EVENTS_IN_FLIGHT_PER_PARTNER);
  exhausted?: BudgetExhaustedError;
  private pausedUntil = 0;
  private readonly credential: string;
  private readonly holderPrefix = randomUUID();
  private calls = 0;
  private slotsMade = false;
  /** Calls taken from the budget ahead of a client's first calls (reserve). */
  private readonly prepaid = new WeakMap<RunSignUpApi, number>();

  private constructor(
    readonly partner: PartnerRow,
    private readonly apiKey: string,
    private readonly apiSecret: string,
    private readonly deps: { db: Kysely<Database>; config: ProviderConfig; now: Clock; log: Logger },
  ) {
    this.credential = credentialKey(apiKey);
  }

  /** The session, or why the partner cannot be served (a variable its row names is not set). */
  static open(partner: PartnerRow, env: NodeJS.ProcessEnv, deps: PartnerSession['deps']): PartnerSession | string {
    const missing = [partner.key_env, partner.secret_env].filter((name) => !env[name]?.trim());
    if (missing.length > 0)
      return `${missing.map((m) => `$${m}`).join(' and ')} not set: partner skipped (ops partners list shows where its credentials come from)`;
    return new PartnerSession(partner, env[partner.key_env]!.trim(), env[partner.secret_env]!.trim(), deps);
  }

  /** A client of its own per event sync (so that its call count is that sync's), sharing the budget and the slow-down. */
  client(): RunSignUpApi {
    const { config, log } = this.deps;
    const api: RunSignUpApi = new RunSignUpApi({
      baseUrl: config.baseUrl,
      credentials: { apiKey: this.apiKey, apiSecret: this.apiSecret },
      label: `RunSignUp (${this.partner.name})`,
      timeoutMs: config.timeoutSeconds * 1000,
      attempts: config.attempts,
      maxInFlight: EVENTS_IN_FLIGHT_PER_PARTNER,
      beforeCall: (signal) => this.beforeCall(api, signal),
      onThrottle: (waitMs) => {
        this.pausedUntil = Math.max(this.pausedUntil, Date.now() + waitMs);
        log.warn('throttled by the provider: slowing down', { partner: this.partner.name, wait_ms: waitMs });
      },
      log,
    });
    return api;
  }

  /**
   * Takes the calls a sync cannot do without from the budget at once, before
   * its first call (an incremental sync: its participants and its removals),
   * so that syncs started side by side in several processes do not each spend
   * a call and then all stop short; the client's first calls use them.
   */
  async reserve(api: RunSignUpApi, calls: number): Promise<void> {
    await this.takeCalls(calls);
    this.prepaid.set(api, (this.prepaid.get(api) ?? 0) + calls);
  }

  async pruneLedger(): Promise<void> {
    await pruneProviderCalls(this.deps.db, this.deps.now());
  }

  /**
   * Before every call: wait out a throttle another call of this partner met,
   * then take one call from the budget (or a reserved one) together with one
   * of the credential's in-flight slots, shared with every other process
   * through the database (RunSignUp: at most 2 calls at once); waits for a
   * slot. A slot outlives a dead holder by the call's timeout at most. The
   * function returned frees the slot once the answer is in.
   */
  private async beforeCall(api: RunSignUpApi, signal?: AbortSignal): Promise<() => Promise<void>> {
    const wait = this.pausedUntil - Date.now();
    if (wait > 0) await sleep(wait, signal);
    const { db, config, now } = this.deps;
    if (!this.slotsMade) {
      await ensureProviderSlots(db, this.credential, EVENTS_IN_FLIGHT_PER_PARTNER);
      this.slotsMade = true;
    }
    const holder = `${this.holderPrefix}/${++this.calls}`;
    const leaseMs = config.timeoutSeconds * 1000 + 5000;
    for (;;) {
      if (this.exhausted) throw this.exhausted;
      const prepaid = this.prepaid.get(api) ?? 0;
      const taken = await takeProviderCallAndSlot(db, this.credential, {
        now: now(),
        perHour: config.callsPerHour,
        count: prepaid > 0 ? 0 : 1,
        slots: EVENTS_IN_FLIGHT_PER_PARTNER,
        holder,
        leaseMs,
      });
      if (taken.refused) {
        this.exhausted = new BudgetExhaustedError(this.partner.name, taken.refused.freeAt, config.callsPerHour);
        throw this.exhausted;
      }
      if (taken.slot !== undefined) {
        if (prepaid > 0) this.prepaid.set(api, prepaid - 1);
        const slot = taken.slot;
        return () => releaseProviderSlot(db, this.credential, slot, holder).catch(() => {});
      }
      await sleep(40 + Math.random() * 60, signal);
    }
  }

  private async takeCalls(count: number): Promise<void> {
    if (this.exhausted) throw this.exhausted;
    const { config, db, now } = this.deps;
    const taken = await takeProviderCall(db, this.credential, now(), config.callsPerHour, count);
    if (!taken.taken) {
      this.exhausted = new BudgetExhaustedError(this.partner.name, taken.freeAt, config.callsPerHour);
      throw this.exhausted;
    }
  }
}
