/** Queries on centers, on both databases: an empty selection selects nothing (and never sends a NUL byte to Postgres). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { listActiveCenters, upsertCenter } from '../src/db/queries/centers.js';
import { backends } from './helpers/db.js';

for (const backend of backends) {
  describe(`centers queries on ${backend.name}`, { skip: backend.skip }, () => {
    test('an empty list of slugs or center ids selects no center; a given one selects it', async () => {
      const db = await backend.create();
      await db.use(async (k) => {
        const row = {
          centerId: 'C-1',
          centerName: 'Austin',
          slug: 'austin-tx',
          zipCode: '78701',
          city: 'Austin',
          state: 'TX',
          country: 'USA',
          radius: 25,
          ownerEmail: null,
          isActive: true,
          locationData: {},
        };
        await upsertCenter(k, row, new Date('2026-11-30T10:00:00Z'));
        assert.deepEqual(await listActiveCenters(k, { slugs: [] }), []);
        assert.deepEqual(await listActiveCenters(k, { centerIds: [] }), []);
        assert.deepEqual(
          (await listActiveCenters(k, { slugs: ['austin-tx'] })).map((c) => c.center_id),
          ['C-1'],
        );
        assert.equal((await listActiveCenters(k)).length, 1);
      });
    });
  });
}
