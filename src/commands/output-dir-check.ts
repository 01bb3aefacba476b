/**
 * OPS_OUTPUT_DIR checked before any work for a task that writes there: a file
 * in its place or a read-only folder must not be found after every LLM call
 * has been paid for.
 */
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError, errorMessage } from '../core/errors.js';

export function checkOutputDir(dir: string): void {
  const folder = resolve(dir);
  const probe = join(folder, `.ops-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(folder, { recursive: true });
    writeFileSync(probe, '', { flag: 'wx' });
    unlinkSync(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'EEXIST' || code === 'ENOTDIR'
        ? 'a file is in the way (not a folder)'
        : code === 'EROFS'
          ? 'it is on a read-only file system'
          : errorMessage(err);
    throw new ConfigError('OPS_OUTPUT_DIR', `OPS_OUTPUT_DIR ${folder} cannot be written: ${why}`);
  }
}
