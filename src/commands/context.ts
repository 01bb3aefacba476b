/** What every command gets from the global flags: output, and how to fail. */
import { ConfigError, ExitCode, OpsError, errorMessage } from '../core/errors.js';
import type { Setting } from '../core/config.js';
import { Output } from '../core/output.js';
import { runtimeSettings } from '../core/runtime-settings.js';

export interface GlobalFlags {
  json?: boolean;
  color?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/** A setting's value when it parses; undefined when unset or malformed (the runner's validation reports that, exit 78). */
function lenient<T>(setting: Setting<T>, env: NodeJS.ProcessEnv): T | undefined {
  const raw = env[setting.name];
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    return setting.parse(raw);
  } catch {
    return undefined;
  }
}

/**
 * Output is made before settings are validated (it must be able to print their
 * errors), so it reads OPS_LOG_LEVEL and OPS_ENV through the same setting
 * definitions, leniently.
 */
export function createOutput(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env): Output {
  const development = lenient(runtimeSettings.env, env) === 'development';
  const level = lenient(runtimeSettings.logLevel, env) ?? (development ? 'debug' : undefined);
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
