/** A yes/no question on the terminal, when there is one (stdin and stderr both a TTY); undefined otherwise. */
import { createInterface } from 'node:readline/promises';

export function terminalConfirm(): ((question: string) => Promise<boolean>) | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return /^y(es)?$/i.test((await rl.question(`${question}\n[y/N] `)).trim());
    } finally {
      rl.close();
    }
  };
}
