/**
 * RunSignUp, for a timing partner: its races with their events, and each
 * event's participants and removed participants, page by page
 * (upstreams.md, "RunSignUp"). Typed and validated records, nothing about our
 * tables. Retries, throttling, the in-flight limit and the per-attempt hook
 * live in runsignup/transport.ts; record validation in runsignup/parse.ts.
 */
import { UpstreamError } from '../core/errors.js';
import { eventRows, MalformedAnswer, parseRace, parseRows, raceEntries } from './runsignup/parse.js';
import { type Answer, Transport } from './runsignup/transport.js';
import {
  MAX_RESULTS_PER_PAGE,
  type Participant,
  type ParticipantPage,
  type Race,
  type RacePage,
  type Rejected,
  type RemovedPage,
  type RemovedParticipant,
  type RunSignUpConfig,
} from './runsignup/types.js';

export { parseProviderTime } from './runsignup/time.js';
export * from './runsignup/types.js';

/** The races listing is small; past this many pages the provider is looping. */
const MAX_RACE_PAGES = 1000;
const MAX_RACES_PER_PAGE = 1000;

export interface ParticipantPageOptions {
  /** Unix seconds, inclusive, sent as modified_after_timestamp. */
  modifiedAfter?: number;
  startPage?: number;
  /** Default (and at most) 2500. */
  perPage?: number;
}

export class RunSignUpApi {
  private readonly transport: Transport;

  constructor(config: RunSignUpConfig) {
    this.transport = new Transport(config);
  }

  /** Calls made by this client so far (every HTTP attempt). */
  get calls(): number {
    return this.transport.calls;
  }

  /** The partner's own races with their events (only_partner_races=T&events=T), every page, lazily. */
  async *partnerRaces(options: { startDate?: string; perPage?: number } = {}, signal?: AbortSignal): AsyncGenerator<RacePage> {
    const perPage = clampPage(options.perPage ?? 100, MAX_RACES_PER_PAGE);
    for (let page = 1; page <= MAX_RACE_PAGES; page++) {
      const answer = await this.transport.get(
        '/Rest/races',
        { events: 'T', only_partner_races: 'T', page, results_per_page: perPage, start_date: options.startDate },
        signal,
      );
      const entries = this.shape(answer, '/Rest/races', raceEntries);
      const rejected: Rejected[] = [];
      const races = entries.map((entry, i) => parseRace(entry, rejected, `race #${i + 1} of page ${page}`)).filter((r): r is Race => r !== undefined);
      yield { page, races, rejected };
      if (entries.length < perPage) return;
    }
    throw new UpstreamError(`${this.transport.label}: the races listing goes on past ${MAX_RACE_PAGES} pages`, {
      system: this.transport.label,
      retriable: false,
    });
  }

  async getRace(raceId: number, signal?: AbortSignal): Promise<Race> {
    const path = `/Rest/race/${encodeURIComponent(raceId)}`;
    const answer = await this.transport.get(path, { include_event_days: 'T', events: 'T' }, signal);
    const entry = this.shape(answer, path, (body) => {
      if (!body || typeof body !== 'object' || !('race' in body)) throw new MalformedAnswer('expected {"race": {…}}');
      return body;
    });
    const rejected: Rejected[] = [];
    const race = parseRace(entry, rejected, `race ${raceId}`);
    if (!race)
      throw new UpstreamError(`${this.transport.label}: race ${raceId} is malformed: ${rejected[0]?.reason}`, {
        system: this.transport.label,
        retriable: false,
        code: 'malformed',
      });
    // A race has no list of rejected events; say which were left out.
    for (const r of rejected) this.transport.log?.warn('event left out', { system: this.transport.label, item: r.item, reason: r.reason });
    return race;
  }

  /** Participants of one event sorted by registration_id ASC, page by page from `startPage` (default 1). */
  async *participantPages(raceId: number, eventId: number, options: ParticipantPageOptions = {}, signal?: AbortSignal): AsyncGenerator<ParticipantPage> {
    for await (const { page, rows, perPage } of this.rowPages(`/Rest/race/${encodeURIComponent(raceId)}/participants`, eventId, options, 'beside', signal)) {
      const { valid, rejected } = parseRows<Participant>(rows, page, 'participant');
      yield { page, participants: valid, rejected, received: rows.length, last: rows.length < perPage };
    }
  }

  /** Registrations removed (cleared, removed, transferred, deferred) since `modifiedAfter`, page by page. */
  async *removedPages(raceId: number, eventId: number, options: ParticipantPageOptions = {}, signal?: AbortSignal): AsyncGenerator<RemovedPage> {
    for await (const { page, rows, perPage } of this.rowPages(
      `/Rest/race/${encodeURIComponent(raceId)}/removed-participants`,
      eventId,
      options,
      'inside',
      signal,
    )) {
      const { valid, rejected } = parseRows<RemovedParticipant>(rows, page, 'removed');
      yield { page, removed: valid, rejected, received: rows.length, last: rows.length < perPage };
    }
  }

  /** One cheap call for `ops doctor`: "200 in 45ms", or throws with the reason (bad credentials say so). */
  async probe(signal?: AbortSignal): Promise<string> {
    const started = Date.now();
    const answer = await this.transport.get('/Rest/races', { only_partner_races: 'T', page: 1, results_per_page: 1 }, signal, 1);
    this.shape(answer, '/Rest/races', raceEntries);
    return `${answer.status} in ${Date.now() - started}ms`;
  }

  private async *rowPages(
    path: string,
    eventId: number,
    options: ParticipantPageOptions,
    where: 'beside' | 'inside',
    signal?: AbortSignal,
  ): AsyncGenerator<{ page: number; rows: unknown[]; perPage: number }> {
    // Asking for more than the provider serves would make every page look like the last.
    const perPage = clampPage(options.perPage ?? MAX_RESULTS_PER_PAGE, MAX_RESULTS_PER_PAGE);
    for (let page = Math.max(1, Math.floor(options.startPage ?? 1)); ; page++) {
      const answer = await this.transport.get(
        path,
        {
          event_id: eventId,
          page,
          results_per_page: perPage,
          sort: 'registration_id ASC',
          modified_after_timestamp: options.modifiedAfter === undefined ? undefined : Math.floor(options.modifiedAfter),
        },
        signal,
      );
      const rows = this.shape(answer, path, (body) => eventRows(body, eventId, where));
      // Nothing of the page is used after the yield, so none of it stays alive while the caller works on it.
      const last = rows.length < perPage;
      yield { page, rows, perPage };
      if (last) return;
    }
  }

  /** The documented shape of a body, or a final 'malformed answer' error. */
  private shape<T>(answer: Answer, path: string, read: (body: unknown) => T): T {
    try {
      if (typeof answer.data === 'string') throw new MalformedAnswer(answer.data.trim() === '' ? 'the body is empty' : 'the body is not JSON');
      return read(answer.data);
    } catch (err) {
      if (!(err instanceof MalformedAnswer)) throw err;
      throw new UpstreamError(`${this.transport.label}: malformed answer to GET ${path}: ${err.message}`, {
        system: this.transport.label,
        retriable: false,
        code: 'malformed',
      });
    }
  }
}

function clampPage(perPage: number, max: number): number {
  return Math.min(max, Math.max(1, Math.floor(perPage) || 1));
}
