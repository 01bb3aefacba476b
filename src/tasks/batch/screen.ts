/**
 * What the validator cannot know: the date window we asked for, and that an
 * answer may name one event twice ("Jazz Night" and "jazz night!"). Such
 * events are dropped with their reason, like invalid ones.
 */
import { normaliseKey } from '../../db/queries/discovered-events.js';
import type { ParsedEvents } from '../../integrations/local-events.js';

export interface DateWindow {
  start: string;
  end: string;
}

export function screenEvents(parsed: ParsedEvents, window: DateWindow): ParsedEvents {
  const seen = new Set<string>();
  const events: ParsedEvents['events'] = [];
  const dropped = [...parsed.dropped];
  parsed.events.forEach((event, index) => {
    // ISO dates compare correctly as text.
    if (event.date < window.start || event.date > window.end) {
      dropped.push({ index, name: event.name, reason: `date ${event.date} is outside the requested ${window.start} to ${window.end}` });
      return;
    }
    const key = `${normaliseKey(event.name)}|${event.date}|${normaliseKey(event.venue)}`;
    if (seen.has(key)) {
      dropped.push({ index, name: event.name, reason: 'a duplicate of an earlier event in the same answer' });
      return;
    }
    seen.add(key);
    events.push(event);
  });
  return { events, dropped };
}
