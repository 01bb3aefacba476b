/** A yes/no question on the terminal, when there is one (stdin and stderr both a TTY); undefined otherwise. */
import { createInterface } from 'node:readline/promises';
import { isAbortError } from '../core/errors.js';
import { holdSpinners } from '../core/output.js';

/** Resolves true only for "y" or "yes"; the signal (the run's) takes the question back. */
export type Confirm = (question: string, signal?: AbortSignal) => Promise<boolean>;

export function terminalConfirm(): Confirm | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return async (question, signal) => {
    const resume = holdSpinners();
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    // readline puts the terminal in raw mode: Ctrl+C reaches it as a key, not as
    // SIGINT. Sent on, so the run stops as on any Ctrl+C (interrupted, exit 130);
    // the run's signal then takes the question back.
    rl.on('SIGINT', () => process.kill(process.pid, 'SIGINT'));
    try {
      return /^y(es)?$/i.test((await rl.question(`${question}\n[y/N] `, { signal })).trim());
    } catch (err) {
      // Ctrl+D (end of input) closes the question: no answer is no, not an interruption.
      if (isAbortError(err) && !signal?.aborted) {
        process.stderr.write('\n');
        return false;
      }
      throw err;
    } finally {
      rl.close();
      resume();
    }
  };
}
