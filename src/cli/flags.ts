/**
 * What every group of commands shares: the argument parsers (each a usage
 * error, exit 64, with what was expected), the help's examples, and the
 * program with its global flags and exit code.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { GlobalFlags } from '../commands/context.js';

export interface Wiring {
  program: Command;
  globals: () => GlobalFlags;
  done: (code: number) => void;
}

export function example(...lines: string[]): string {
  return `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a positive integer.');
  return Number(value);
}

export function port(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65_535) throw new InvalidArgumentError('expected a port from 0 to 65535.');
  return Number(value);
}

export function share(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a number from 0 to 1.');
  return n;
}

export function milliseconds(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 600_000) throw new InvalidArgumentError('expected milliseconds from 0 to 600000.');
  return n;
}

export function batchOptions(opts: Record<string, unknown>) {
  return {
    centers: opts.centers as string[] | undefined,
    limit: opts.limit as number | undefined,
    concurrency: opts.concurrency as number | undefined,
    resume: opts.resume as string | undefined,
    dryRun: Boolean(opts.dryRun),
  };
}
