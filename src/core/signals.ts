/**
 * Graceful, then forceful (as graphile-worker does it): the first SIGTERM or
 * SIGINT aborts the shared AbortSignal so the task stops between items and the
 * runner records `interrupted`; a second signal, or the grace period running
 * out, ends the process at once with 143 / 130.
 */
import { ExitCode, InterruptedError } from './errors.js';
import type { Logger } from './log.js';

export interface SignalScope {
  signal: AbortSignal;
  /** The signal that stopped us, if any. */
  received(): NodeJS.Signals | undefined;
  exitCode(): number;
  dispose(): void;
}

export function exitCodeFor(signal: NodeJS.Signals | undefined): number {
  return signal === 'SIGINT' ? ExitCode.sigint : ExitCode.sigterm;
}

export function installSignalHandlers(log: Logger, graceMs = 8000, onForce?: () => void): SignalScope {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals) => {
    if (received) {
      log.warn('second signal: exiting now', { signal: sig });
      onForce?.();
      process.exit(exitCodeFor(received));
    }
    received = sig;
    log.warn('stopping: finishing the current step and recording the run as interrupted', { signal: sig, grace_ms: graceMs });
    controller.abort(new InterruptedError(sig));
    // Unref'd: it never keeps a finished process alive, but it guarantees an end.
    setTimeout(() => {
      log.error('grace period over: exiting without a clean stop', { signal: sig });
      onForce?.();
      process.exit(exitCodeFor(sig));
    }, graceMs).unref();
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return {
    signal: controller.signal,
    received: () => received,
    exitCode: () => exitCodeFor(received),
    dispose() {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
    },
  };
}
