/** What the race-event suites share: the variables that point ops at a RunSignUp simulator, and its partners stored. */
import { addPartner } from '../../src/db/queries/partners.js';
import type { RunSignUpSim } from '../../src/sandbox/runsignup-sim.js';
import type { TestDatabase } from './db.js';
import { baseEnv } from './ops.js';

/** Each partner's key and secret in P<n>_KEY / P<n>_SECRET, the clock at `when`, pages of 100. */
export function runSignUpEnv(db: TestDatabase, s: RunSignUpSim, when: Date, extra: Record<string, string> = {}) {
  const creds: Record<string, string> = {};
  s.partners.forEach((p, i) => {
    creds[`P${i + 1}_KEY`] = p.apiKey;
    creds[`P${i + 1}_SECRET`] = p.apiSecret;
  });
  return baseEnv({
    ...db.env,
    ...creds,
    RUNSIGNUP_BASE_URL: s.baseUrl,
    OPS_NOW: when.toISOString(),
    RUNSIGNUP_PAGE_SIZE: '100',
    DISCOVER_DAYS_BACK: '30',
    ...extra,
  });
}

/** The first `count` partners of the simulator, stored with the names of their variables. */
export async function addSimPartners(db: TestDatabase, s: RunSignUpSim, at: Date, count = s.partners.length): Promise<void> {
  await db.use(async (k) => {
    for (let i = 0; i < count; i++) {
      await addPartner(k, { name: s.partners[i]!.name, provider: 'runsignup', keyEnv: `P${i + 1}_KEY`, secretEnv: `P${i + 1}_SECRET` }, at);
    }
  });
}
