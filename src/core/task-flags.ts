/**
 * A task's flags from its declared `options` (util.parseArgs): what `ops run
 * NAME --flag` and a triggered run of a folder task give the task. Unknown
 * flags and malformed numbers are usage errors; unset flags take their default.
 */
import { parseArgs } from 'node:util';
import { UsageError, errorMessage } from './errors.js';
import type { TaskDefinition, TaskOption } from './task.js';

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The task's flags, by its options: unknown flags and malformed numbers are usage errors. */
export function parseTaskFlags(task: TaskDefinition, args: string[]): Record<string, unknown> {
  const spec: Record<string, TaskOption> = { dryRun: { type: 'boolean', description: 'read, write nothing' }, ...(task.options ?? {}) };
  const byFlag = new Map(Object.entries(spec).map(([name, o]) => [kebab(name), { name, option: o }]));
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: false,
      strict: true,
      options: Object.fromEntries([...byFlag].map(([flag, { option }]) => [flag, { type: option.type === 'boolean' ? 'boolean' : 'string' }])),
    });
  } catch (err) {
    throw new UsageError(`${task.name}: ${errorMessage(err)}`);
  }
  const options: Record<string, unknown> = {};
  for (const [flag, { name, option }] of byFlag) {
    const raw = parsed.values[flag];
    if (raw === undefined) {
      if (option.default !== undefined) options[name] = option.default;
      continue;
    }
    if (option.type === 'number') {
      const n = Number(raw);
      if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${task.name}: --${flag} expects a number, found "${raw}"`);
      options[name] = n;
    } else options[name] = raw;
  }
  options.dryRun = Boolean(options.dryRun);
  return options;
}
