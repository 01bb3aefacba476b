/**
 * Event tasks of a team's folder for the run-due tests: items come from the
 * JSON file ITEMS_FILE ({ id, at, mode }), and every execution appends
 * "<job key> <attempt>" to EXEC_FILE, so a test counts what ran. Modes: ok,
 * fail (throws), defer (returns deferred), hang-first (hangs on its first
 * attempt until a signal: a process killed or stopped there), slow (a short pause).
 */
import { existsSync, readFileSync } from 'node:fs';

const module = (name: string, extra: string) => `
import { appendFileSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineEventTask } from 'ops';
export default defineEventTask({
  name: '${name}',
  summary: 'an event task of the tests',
  offset: { hours: 1 },
  misfireGrace: { hours: 2 },
  maxAttempts: 2,
  leaseSeconds: 60,
  ${extra}
  async query() {
    return JSON.parse(readFileSync(process.env.ITEMS_FILE, 'utf8')).map((i) => ({ ...i, at: new Date(i.at) }));
  },
  eventTime: (item) => item.at,
  async execute(ctx, item) {
    if ((item.mode === 'hang-first' && ctx.job.attempt === 1) || item.mode === 'hang') {
      ctx.log.info('hanging');
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 600000);
        ctx.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
      });
      if (ctx.signal.aborted) throw ctx.signal.reason;
    }
    if (item.mode === 'slow') await sleep(50);
    appendFileSync(process.env.EXEC_FILE, ctx.job.key + ' ' + ctx.job.attempt + '\\n');
    if (item.mode === 'fail') throw new Error('the mail server said no to ' + item.id);
    if (item.mode === 'defer') return { deferred: 'budget spent' };
  },
});
`;

export const REMIND = module('remind', '');
export const REMIND_LATE = module('remind-late', 'runLate: true,');

export function executions(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
}
