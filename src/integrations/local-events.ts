/**
 * What we ask the LLM for, and how its answer is checked: a JSON schema
 * written to OpenAI's strict rules (every property required, nullable where
 * optional, no extra properties), which both providers accept, and a zod
 * validator that keeps each good event and drops each bad one with its reason.
 */
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import { extractJson } from './llm.js';
import { EVENT_LIMITS } from './limits.js';

export const EVENT_CATEGORIES = ['music', 'sports', 'food', 'arts', 'community', 'family', 'market', 'education', 'health', 'other'] as const;

const nullableString = { type: ['string', 'null'] };

export const localEventsSchema = {
  name: 'events',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['events'],
    properties: {
      events: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'date', 'start_time', 'end_time', 'venue', 'address', 'city', 'url', 'category', 'description'],
          properties: {
            name: { type: 'string' },
            date: { type: 'string', description: 'YYYY-MM-DD' },
            start_time: { ...nullableString, description: 'HH:MM, 24-hour, local' },
            end_time: { ...nullableString, description: 'HH:MM, 24-hour, local' },
            venue: nullableString,
            address: nullableString,
            city: nullableString,
            url: nullableString,
            category: nullableString,
            description: nullableString,
          },
        },
      },
    },
  },
};

const optional = z
  .union([z.string(), z.null()])
  .optional()
  .transform((v) => (v === undefined || v === null || v.trim() === '' ? null : v.trim()));

function isRealDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/** An optional text of at most `max` characters: a longer one drops the event. */
const capped = (max: number) => optional.refine((v) => v === null || v.length <= max, { message: `is longer than ${max} characters` });

const time = optional.refine((v) => v === null || /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/.test(v), { message: 'must be HH:MM' });

const eventSchema = z.object({
  name: z.string().trim().min(1, 'is empty').max(EVENT_LIMITS.name, `is longer than ${EVENT_LIMITS.name} characters`),
  date: z.string().trim().refine(isRealDate, { message: 'must be an ISO date (YYYY-MM-DD)' }),
  start_time: time,
  end_time: time,
  venue: capped(EVENT_LIMITS.venue),
  address: capped(EVENT_LIMITS.address),
  city: capped(EVENT_LIMITS.city),
  url: capped(EVENT_LIMITS.url).refine((v) => v === null || /^https?:\/\/[^\s]+$/i.test(v), { message: 'must be an http(s) URL' }),
  category: capped(EVENT_LIMITS.category).transform((v) => (v === null ? null : v.toLowerCase())),
  // The one field cut rather than refused: a long description is still a good event.
  description: optional.transform((v) => (v === null ? null : v.slice(0, EVENT_LIMITS.description))),
});

/** One valid event, as the validator leaves it. */
export type LocalEvent = z.infer<typeof eventSchema>;

export interface DroppedEvent {
  index: number;
  name: string | null;
  reason: string;
}

export interface ParsedEvents {
  events: LocalEvent[];
  dropped: DroppedEvent[];
}

/**
 * The events in a model's answer. No parsable JSON, or JSON without an events
 * list, is a ValidationError (the center failed); a bad event is only dropped.
 */
export function parseLocalEvents(content: string): ParsedEvents {
  const json = extractJson(content);
  const list = Array.isArray(json) ? json : json && typeof json === 'object' ? (json as { events?: unknown }).events : undefined;
  if (!Array.isArray(list)) throw new ValidationError('the JSON in the response has no "events" list');
  const events: LocalEvent[] = [];
  const dropped: DroppedEvent[] = [];
  list.forEach((raw, index) => {
    const parsed = eventSchema.safeParse(raw);
    if (parsed.success) {
      events.push(parsed.data);
      return;
    }
    const issue = parsed.error.issues[0];
    const name = raw && typeof raw === 'object' && typeof (raw as { name?: unknown }).name === 'string' ? (raw as { name: string }).name : null;
    dropped.push({
      index,
      name: name === null ? null : name.slice(0, EVENT_LIMITS.name),
      reason: issue ? `${issue.path.join('.') || 'event'} ${issue.message}` : 'invalid event',
    });
  });
  return { events, dropped };
}
