/**
 * The migration check's short path (src/db/migrations.ts): with every migration
 * recorded it answers without Kysely's Migrator; a missing or an unknown row
 * in ops_migrations still goes through the Migrator and is reported as before.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { migrateToLatest, pendingMigrations } from '../src/db/migrations.js';
import { backends } from './helpers/db.js';

for (const backend of backends) {
  describe(`migration check on ${backend.name}`, { skip: backend.skip }, () => {
    test('up to date: nothing pending, nothing applied; a missing row is pending; migrating over an unknown row is refused', async () => {
      const db = await backend.create();
      await db.use(async (kdb) => {
        assert.deepEqual(await pendingMigrations(kdb), []);
        assert.deepEqual(await migrateToLatest(kdb), []);

        const last = await sql<{ name: string }>`select name from ops_migrations order by name desc limit 1`.execute(kdb);
        const name = last.rows[0].name;
        await sql`delete from ops_migrations where name = ${name}`.execute(kdb);
        assert.deepEqual(await pendingMigrations(kdb), [name]);
        await sql`insert into ops_migrations (name, timestamp) values (${name}, ${new Date().toISOString()})`.execute(kdb);
        assert.deepEqual(await pendingMigrations(kdb), []);

        await sql`insert into ops_migrations (name, timestamp) values ('9999_from_a_newer_ops', ${new Date().toISOString()})`.execute(kdb);
        // Not this version's to judge in a status; migrating over it is refused, as the Migrator always did.
        assert.deepEqual(await pendingMigrations(kdb), []);
        await assert.rejects(() => migrateToLatest(kdb), /9999_from_a_newer_ops/);
      });
    });
  });
}
