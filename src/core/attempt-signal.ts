/**
 * One attempt's AbortSignal: it fires when the caller's signal does, or when
 * the attempt has lasted `timeoutMs`, whatever the attempt is doing (waiting
 * for headers or reading a body that trickles in). Client libraries' own
 * timeouts do not cover that: axios' is an idle-socket timer reset by every
 * byte, the openai SDK's stops once the headers are in.
 *
 * It is also what we hand to a client library instead of the caller's
 * long-lived signal: some (openai@6) add an abort listener to the signal of
 * every request and never remove it, which piles up on a run-wide signal.
 * Ours is linked to the caller's with one listener that dispose() removes,
 * so the caller's signal ends every attempt as clean as it started.
 */

export interface AttemptSignal {
  readonly signal: AbortSignal;
  /** True when this attempt's own time ran out (not when the caller aborted). */
  timedOut(): boolean;
  /** Stops the timer and unlinks from the caller's signal; call it when the attempt is over. */
  dispose(): void;
}

/** The reason an attempt's signal carries when its time ran out. */
export class AttemptTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no complete answer within ${timeoutMs}ms`);
    this.name = 'AttemptTimeout';
  }
}

export function attemptSignal(timeoutMs: number | undefined, parent?: AbortSignal): AttemptSignal {
  const controller = new AbortController();
  let expired = false;
  const onParentAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  const timer =
    timeoutMs && timeoutMs > 0 && Number.isFinite(timeoutMs)
      ? setTimeout(() => {
          expired = true;
          controller.abort(new AttemptTimeout(timeoutMs));
        }, timeoutMs)
      : undefined;
  return {
    signal: controller.signal,
    timedOut: () => expired && !parent?.aborted,
    dispose() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}

/** Runs `fn` with a fresh attempt signal, disposed however `fn` ends. */
export async function withAttemptSignal<T>(
  timeoutMs: number | undefined,
  parent: AbortSignal | undefined,
  fn: (attempt: AttemptSignal) => Promise<T>,
): Promise<T> {
  const attempt = attemptSignal(timeoutMs, parent);
  try {
    return await fn(attempt);
  } finally {
    attempt.dispose();
  }
}
