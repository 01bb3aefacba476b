/**
 * `ops doctor`'s look at the timing partners: each enabled partner's
 * variables, and one call with its credentials (taken from its hourly budget
 * like any other). A partner that cannot be served is named with the reason.
 */
import type { Kysely } from 'kysely';
import { readSettings } from '../core/config.js';
import { errorMessage } from '../core/errors.js';
import { silentLogger } from '../core/log.js';
import { listPartners } from '../db/queries/partners.js';
import type { Database } from '../db/schema.js';
import { PartnerSession } from '../tasks/races/partner-session.js';
import { providerSettings } from '../tasks/races/settings.js';

export interface PartnerCheck {
  check: string;
  verdict: 'ok' | 'fail' | 'skip';
  detail: string;
}

export async function checkPartners(
  db: Kysely<Database>,
  timed: <T>(ms: number, fn: (signal: AbortSignal) => Promise<T>) => Promise<T>,
): Promise<PartnerCheck[]> {
  const partners = await listPartners(db);
  if (partners.length === 0) return [];
  let config: ReturnType<typeof readSettings<typeof providerSettings>>;
  try {
    config = readSettings(providerSettings);
  } catch (err) {
    return [{ check: 'partners', verdict: 'fail', detail: errorMessage(err) }];
  }
  const checks: PartnerCheck[] = [];
  for (const partner of partners) {
    const check = `partner: ${partner.name}`;
    if (!partner.enabled) {
      checks.push({ check, verdict: 'skip', detail: 'disabled' });
      continue;
    }
    const session = PartnerSession.open(partner, process.env, { db, config, now: () => new Date(), log: silentLogger });
    if (typeof session === 'string') {
      checks.push({ check, verdict: 'fail', detail: session });
      continue;
    }
    try {
      checks.push({ check, verdict: 'ok', detail: await timed(8000, (signal) => session.client().probe(signal)) });
    } catch (err) {
      checks.push({ check, verdict: 'fail', detail: errorMessage(err) });
    }
  }
  return checks;
}
