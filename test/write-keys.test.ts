/** Write keys: what newWriteKey makes is looked up; a string that cannot be a key never reaches the database. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import type { Database } from '../src/db/schema.js';
import { newWriteKey, WriteKeys } from '../src/server/write-keys.js';

/** A database that refuses every query: a lookup shows as this error. */
const noDatabase = new Proxy(
  {},
  {
    get: () => () => {
      throw new Error('looked up');
    },
  },
) as unknown as Kysely<Database>;

test('junk is refused without a lookup; a key of the right shape is looked up', async () => {
  const keys = new WriteKeys(noDatabase, 5_000);
  for (const junk of [
    '',
    'x',
    'ops_wk_nope',
    `ops_wk_${'a'.repeat(31)}`,
    `ops_wk_${'a'.repeat(33)}`,
    `OPS_WK_${'a'.repeat(32)}`,
    `ops_wk_${'a'.repeat(31)}!`,
    'a'.repeat(10_000),
  ])
    assert.equal(await keys.resolve(junk), null, junk.slice(0, 40));
  for (let i = 0; i < 50; i++) await assert.rejects(keys.resolve(newWriteKey().key), /looked up/);
});
