/**
 * Errors typed by what the caller must do. Only the runner (and the CLI for
 * usage errors) maps them to exit codes; tasks and integrations just throw.
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  partial: 2,
  usage: 64,
  config: 78,
  sigint: 130,
  sigterm: 143,
} as const;

export class OpsError extends Error {
  readonly exitCode: number = ExitCode.failed;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad flag or argument: exit 64 with a hint. */
export class UsageError extends OpsError {
  override readonly exitCode = ExitCode.usage;
}

/** Missing or malformed setting, found before any work: exit 78. */
export class ConfigError extends OpsError {
  override readonly exitCode = ExitCode.config;
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A call to an outside system failed. `retriable` says whether the same call
 * may succeed later (network error, 5xx, 429); `retryAfterMs` is what the
 * server asked us to wait, when it said.
 */
export class UpstreamError extends OpsError {
  constructor(
    message: string,
    readonly details: { system: string; status?: number; retriable: boolean; retryAfterMs?: number; code?: string; attempts?: number },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  get retriable(): boolean {
    return this.details.retriable;
  }
}

/** A record from an outside system did not have the expected shape. */
export class ValidationError extends OpsError {}

/** The run was stopped by a signal; the runner records `interrupted`. */
export class InterruptedError extends OpsError {
  constructor(readonly signal: string = 'SIGTERM') {
    super(`interrupted by ${signal}`);
  }
}

/** Another process holds what this run needs (task lock, embedded database). */
export class BusyError extends OpsError {
  override readonly exitCode = ExitCode.ok;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export function isAbortError(err: unknown): boolean {
  if (err instanceof InterruptedError) return true;
  const name = (err as { name?: string } | null)?.name;
  return name === 'AbortError' || name === 'APIUserAbortError' || name === 'CanceledError';
}

/** Throws InterruptedError when the signal has fired; call it between items. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) {
    const reason = signal.reason;
    throw reason instanceof InterruptedError ? reason : new InterruptedError(String(reason ?? 'abort'));
  }
}
