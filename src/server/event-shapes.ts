/**
 * What a request body holds, for each endpoint family, turned into events of
 * the raw contract (README, "tracking events"). Accept first, validate later:
 * nothing here rejects an event for its content; a field of the wrong type is
 * copied as it is and process-tracking quarantines it with its reason.
 *
 * Native (/api/v1/track…): one event, an array, or {events | batch: [...]};
 * the key may ride along as write_key / writeKey and is taken out.
 * Segment (/api/v1/batch, /b, /t, /p, /i…): analytics-node and analytics.js
 * messages, mapped to the contract (messageId is the event id, a track call's
 * name its event type, a page call a page_view, sentAt and timestamp kept).
 * Either way the customer is the write key's: a body cannot write for another.
 */

type Json = Record<string, unknown>;

export interface Extracted {
  /** The write key found in the body, if any. */
  writeKey?: string;
  /** Objects, or any other JSON value as it came (the pipeline quarantines it as not_object). */
  events: unknown[];
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const keyOf = (o: Json): string | undefined => {
  const k = o.writeKey ?? o.write_key;
  return typeof k === 'string' ? k : undefined;
};

/** A body that is neither an object nor an array of them cannot hold events: it is a bad request. */
export class ShapeError extends Error {}

/** The write key's customer on every event that is an object. */
export function withCustomer(event: unknown, customerId: string): unknown {
  return isObject(event) ? { ...event, customer_id: customerId } : event;
}

export function nativeEvents(body: unknown): Extracted {
  let list: unknown[];
  let writeKey: string | undefined;
  if (Array.isArray(body)) list = body;
  else if (isObject(body) && (Array.isArray(body.events) || Array.isArray(body.batch))) {
    list = (Array.isArray(body.events) ? body.events : body.batch) as unknown[];
    writeKey = keyOf(body);
  } else if (isObject(body)) list = [body];
  else throw new ShapeError('expected a JSON object (one event), an array of events, or {"events": [...]}');
  const events = list.map((item) => {
    if (!isObject(item)) return item;
    writeKey ??= keyOf(item);
    const { write_key: _a, writeKey: _b, ...event } = item;
    return event;
  });
  return { writeKey, events };
}

const SEGMENT_TYPES: Record<string, string> = { t: 'track', p: 'page', i: 'identify', s: 'screen', g: 'group', a: 'alias' };

/** `single`: the path's letter (t, p, i…) for a one-message endpoint; undefined for a batch. */
export function segmentMessages(body: unknown, single?: string): Extracted {
  if (!isObject(body)) throw new ShapeError('expected a JSON object');
  const writeKey = keyOf(body);
  if (single) {
    const { writeKey: _k, ...message } = body;
    return { writeKey, events: [message] };
  }
  if (!Array.isArray(body.batch)) throw new ShapeError('expected {"batch": [...]}');
  const sentAt = body.sentAt;
  const events = body.batch.map((m) => (isObject(m) ? { ...m, sentAt: m.sentAt ?? sentAt } : m));
  return { writeKey, events };
}

const id = (v: unknown) => (typeof v === 'number' ? String(v) : v);
const get = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), o);
const time = (v: unknown) => (v instanceof Date ? v.toISOString() : v);

/** A Segment event name as an event type: characters outside the contract's set become _ ("Order Completed" → Order_Completed). */
function eventType(type: unknown, name: unknown): unknown {
  switch (type) {
    case 'track':
      return typeof name === 'string' ? name.trim().replace(/[^A-Za-z0-9_.:-]+/g, '_') : name;
    case 'page':
      return 'page_view';
    case 'screen':
      return 'screen_view';
    case 'identify':
    case 'group':
    case 'alias':
      return type;
    default:
      return type;
  }
}

/** One Segment message as a contract event; `single` is the endpoint's letter when the message has no type. Not an object: as it came. */
export function fromSegment(message: unknown, receivedAt: Date, single?: string): unknown {
  if (!isObject(message)) return message;
  const type = message.type ?? (single ? SEGMENT_TYPES[single] : undefined);
  const properties = type === 'identify' || type === 'group' ? message.traits : message.properties;
  const event: Json = {
    event_id: message.messageId,
    event_type: eventType(type, message.event),
    occurred_at: time(message.timestamp ?? message.originalTimestamp) ?? receivedAt.toISOString(),
    sent_at: time(message.sentAt),
    session_id: id(get(message, 'context', 'sessionId') ?? get(message, 'context', 'session_id')),
    anonymous_id: id(message.anonymousId),
    user_id: id(message.userId),
    page_url: get(message, 'properties', 'url') ?? get(message, 'context', 'page', 'url'),
    referrer: get(message, 'properties', 'referrer') ?? get(message, 'context', 'page', 'referrer'),
    user_agent: get(message, 'context', 'userAgent'),
    properties,
  };
  for (const k of Object.keys(event)) if (event[k] === undefined || event[k] === null) delete event[k];
  return event;
}
