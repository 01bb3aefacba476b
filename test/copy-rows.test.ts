/**
 * copyRows on both databases: whole text, bytes, and slices made as the COPY
 * reads them (streamed on Postgres, joined on the embedded database), with
 * the characters COPY's text format escapes.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { copyField, copyRows } from '../src/db/copy.js';
import { backends } from './helpers/db.js';

const line = (id: number, note: string | null) => `${id}\t${copyField(note)}\n`;

for (const backend of backends) {
  describe(`copyRows on ${backend.name}`, { skip: backend.skip }, () => {
    test('text, bytes and slices insert the same rows; escapes and nulls survive; nothing is nothing', async () => {
      const db = await backend.create();
      await db.use(async (k) => {
        await sql`create table copied (id int primary key, note text)`.execute(k);
        assert.equal(await copyRows(k, 'copied', ['id', 'note'], line(1, 'tab\there') + line(2, null)), 2);
        assert.equal(await copyRows(k, 'copied', ['id', 'note'], Buffer.from(line(3, 'back\\slash'))), 1);
        function* slices() {
          for (let i = 10; i < 1010; i += 100) {
            let text = '';
            for (let j = i; j < i + 100; j++) text += line(j, `line\nbreak ${j}`);
            yield Buffer.from(text);
          }
        }
        assert.equal(await copyRows(k, 'copied', ['id', 'note'], slices()), 1000);
        assert.equal(await copyRows(k, 'copied', ['id', 'note'], ''), 0);
        assert.equal(await copyRows(k, 'copied', ['id', 'note'], [][Symbol.iterator]()), 0);
        const rows = (await sql<{ id: number; note: string | null }>`select id, note from copied order by id`.execute(k)).rows;
        assert.equal(rows.length, 1003);
        assert.deepEqual(rows.slice(0, 4), [
          { id: 1, note: 'tab\there' },
          { id: 2, note: null },
          { id: 3, note: 'back\\slash' },
          { id: 10, note: 'line\nbreak 10' },
        ]);
        assert.equal(rows[1002]?.note, 'line\nbreak 1009');
      });
    });

    test('a slice the table refuses fails the whole COPY: no row of it stays', async () => {
      const db = await backend.create();
      await db.use(async (k) => {
        await sql`create table copied (id int primary key, note text)`.execute(k);
        const slices = [Buffer.from(line(1, 'a')), Buffer.from(line(1, 'duplicate key'))];
        await assert.rejects(copyRows(k, 'copied', ['id', 'note'], slices));
        assert.equal((await sql<{ n: number }>`select count(*)::int as n from copied`.execute(k)).rows[0]?.n, 0);
      });
    });
  });
}
