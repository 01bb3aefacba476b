/** The RunSignUp client's public shapes (upstreams.md, "RunSignUp"): what the tasks receive, already validated. */
import type { Logger } from '../../core/log.js';

export interface RunSignUpCredentials {
  apiKey: string;
  apiSecret: string;
}

export interface RunSignUpConfig {
  /** RUNSIGNUP_BASE_URL: the origin; the client adds /Rest/… */
  baseUrl: string;
  credentials: RunSignUpCredentials;
  /** Name used in errors/logs, e.g. the partner's name ("RunSignUp (Acme Timing)"). */
  label?: string;
  /** Per attempt, default 30000. */
  timeoutMs?: number;
  /** Per call incl. retries, default 4. */
  attempts?: number;
  /** Calls of this credential in flight at once in this process, default 2. */
  maxInFlight?: number;
  /**
   * Called before EVERY HTTP attempt (first tries and retries alike: each is an API call the provider counts).
   * May throw (e.g. a budget that is spent): the client rethrows that error unchanged and makes no request.
   * May also wait (e.g. for one of the calls in flight that the provider allows, shared with other processes).
   * The function it may return is called once the answer is in (or the request failed).
   */
  beforeCall?: (signal?: AbortSignal) => Promise<void | (() => Promise<void>)>;
  /** Told after a throttle answer (429 or error 14) with the wait applied, so a caller can slow everything down. */
  onThrottle?: (waitMs: number) => void;
  log?: Logger;
}

export interface RaceEvent {
  eventId: number;
  raceId: number;
  name: string;
  /** Parsed in the race's IANA time zone → UTC instant. */
  startTime: Date | null;
  endTime: Date | null;
  eventType: string | null;
  distance: string | null;
  raw: Record<string, unknown>;
}

export interface Race {
  raceId: number;
  name: string;
  /** IANA zone as sent; 'America/New_York' when absent (the provider's own zone, and what its other times use). */
  timezone: string;
  /** 'YYYY-MM-DD' */
  nextDate: string | null;
  nextEndDate: string | null;
  /** US Eastern on the wire. */
  lastModified: Date | null;
  address: Record<string, unknown> | null;
  events: RaceEvent[];
  raw: Record<string, unknown>;
}

/** item: "race 123", "event 67890 of race 123", "registration 555001", "participant #17 of page 3". */
export interface Rejected {
  item: string;
  reason: string;
}

export interface RacePage {
  page: number;
  races: Race[];
  rejected: Rejected[];
}

export interface Participant {
  registrationId: number;
  userId: number | null;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  /** 'YYYY-MM-DD' */
  dob: string | null;
  gender: string | null;
  age: number | null;
  bibNum: string | null;
  chipNum: string | null;
  /** US Eastern on the wire. */
  registrationDate: Date | null;
  /** Unix seconds on the wire. */
  lastModified: Date | null;
  /** Decimal text without currency sign: "$45.00" -> "45.00"; null when empty. */
  amountPaid: string | null;
  teamInfo: unknown | null;
  city: string | null;
  state: string | null;
  zipcode: string | null;
  countryCode: string | null;
}

export interface ParticipantPage {
  page: number;
  participants: Participant[];
  rejected: Rejected[];
  /** Rows on the wire (valid + rejected). */
  received: number;
  /** Fewer rows than asked for: no page follows. */
  last: boolean;
}

export interface RemovedParticipant {
  registrationId: number;
  userId: number | null;
  /** From last_modified_ts when sent, else the US Eastern last_modified text. */
  lastModified: Date | null;
  /** cleared | removed | transferred | deferred | other text as sent */
  reason: string;
  newRegistrationId: number | null;
}

export interface RemovedPage {
  page: number;
  removed: RemovedParticipant[];
  rejected: Rejected[];
  received: number;
  last: boolean;
}

/** The provider's largest page of participants; a larger results_per_page is cut to this. */
export const MAX_RESULTS_PER_PAGE = 2500;
