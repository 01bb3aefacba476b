/** Time, injectable: tasks ask `ctx.now()` so that rules can be tested at any instant. */
import { setTimeout as delay } from 'node:timers/promises';
import { InterruptedError } from './errors.js';

export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** A clock that starts at `start` (OPS_NOW, validated as a setting: tests, replays) and runs on; the system clock without it. */
export function clockStartingAt(start: Date | undefined): Clock {
  if (!start) return systemClock;
  const fixed = start;
  const offset = fixed.getTime() - Date.now();
  return () => new Date(Date.now() + offset);
}

/** Sleeps, but wakes with InterruptedError as soon as the signal fires. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    if (!signal?.aborted) throw err;
    throw signal.reason instanceof InterruptedError ? signal.reason : new InterruptedError(String(signal.reason ?? 'abort'));
  }
}
