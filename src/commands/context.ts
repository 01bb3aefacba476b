/** What every command gets from the global flags: output, and how to fail. */
import { ConfigError, ExitCode, OpsError, errorMessage } from '../core/errors.js';
import { Output } from '../core/output.js';

export interface GlobalFlags {
  json?: boolean;
  color?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export function createOutput(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env): Output {
  // OPS_LOG_LEVEL is validated with the other settings; an invalid value here just means the default.
  const development = env.OPS_ENV?.trim().toLowerCase() === 'development';
  const level = LEVELS.find((l) => l === env.OPS_LOG_LEVEL?.trim().toLowerCase()) ?? (development ? 'debug' : undefined);
  return new Output({ json: flags.json, color: flags.color, quiet: flags.quiet, verbose: flags.verbose, level });
}

/** Prints an error the way the operator needs it and returns the exit code. */
export function reportError(output: Output, err: unknown): number {
  if (err instanceof ConfigError) {
    output.log.error(`configuration error: ${err.message}`, { variable: err.variable });
    return ExitCode.config;
  }
  if (err instanceof OpsError) {
    output.log.error(err.message);
    return err.exitCode;
  }
  output.log.error(`internal error: ${errorMessage(err)} (a bug: please report it with this message)`, {
    stack: err instanceof Error ? err.stack : undefined,
  });
  return ExitCode.failed;
}
