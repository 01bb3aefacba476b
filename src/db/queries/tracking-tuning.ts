/**
 * Settings local to one pipeline transaction (`set local`: gone at commit).
 * JIT off: the planner's row estimates on a fresh temporary table are far off,
 * which pushed small statements over jit_above_cost; compiling them cost
 * ~350 ms a chunk, more than running them (measured with EXPLAIN ANALYZE).
 * More work_mem: the chunk's sorts and hashes (distinct keys, sessions per
 * visitor) stay in memory instead of spilling to temporary files.
 */
import { sql, type Kysely } from 'kysely';

export async function tuneTransaction(trx: Kysely<any>): Promise<void> {
  await sql`select set_config('jit', 'off', true), set_config('work_mem', '64MB', true)`.execute(trx);
}
