/** `ops migrate [--status]`: apply pending migrations, or list them. */
import { migrateToLatest, migrationStatus } from '../db/migrations.js';
import { createOutput, type GlobalFlags } from './context.js';
import { withStorage } from './storage.js';

export async function migrateCommand(flags: GlobalFlags, options: { statusOnly: boolean }): Promise<number> {
  const output = createOutput(flags);
  return withStorage(
    output,
    async ({ db, location }) => {
      if (!options.statusOnly) {
        const applied = await migrateToLatest(db);
        if (!flags.json)
          output.print(applied.length ? `applied ${applied.length} migration(s) to ${location}: ${applied.join(', ')}` : `${location} is up to date`);
      }
      const list = await migrationStatus(db);
      if (flags.json) output.printJson({ database: location, migrations: list.map((m) => ({ name: m.name, applied_at: m.executedAt ?? null })) });
      else if (options.statusOnly)
        for (const m of list)
          output.print(
            `${m.executedAt ? output.color.green('applied') : output.color.yellow('pending')}  ${m.name}${m.executedAt ? output.color.gray(`  ${m.executedAt.toISOString()}`) : ''}`,
          );
      return 0;
    },
    { migrate: false },
  );
}
