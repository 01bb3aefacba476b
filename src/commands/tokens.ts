/**
 * `ops tokens create|list|revoke`: the write keys of the tracking ingest. A
 * key is shown once, when it is made; only its hash is stored, so a lost key
 * is revoked and replaced, never recovered.
 */
import { UsageError } from '../core/errors.js';
import { findIngestToken, insertIngestToken, listIngestTokens, revokeIngestToken } from '../db/queries/ingest-tokens.js';
import { newWriteKey } from '../server/write-keys.js';
import { createOutput, type GlobalFlags } from './context.js';
import { withStorage } from './storage.js';

const CUSTOMER = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export async function tokensCreateCommand(flags: GlobalFlags, options: { customer: string; name: string }): Promise<number> {
  const output = createOutput(flags);
  return withStorage(output, async ({ db }) => {
    if (!CUSTOMER.test(options.customer)) throw new UsageError('--customer must be 1 to 128 letters, digits or _ . : - (the customer_id its events get)');
    const name = options.name.trim();
    if (name === '' || name.length > 200) throw new UsageError('--name must be 1 to 200 characters');
    const { key, hash, prefix } = newWriteKey();
    const row = await insertIngestToken(db, { customerId: options.customer, name, keyHash: hash, keyPrefix: prefix }, new Date());
    if (flags.json) output.printJson({ id: row.id, customer_id: row.customer_id, name: row.name, key_prefix: row.key_prefix, write_key: key });
    else {
      output.print(`Token ${row.id} for customer ${row.customer_id} (${row.name}). Write key, shown this once (only its hash is kept):`);
      output.print(key);
    }
    return 0;
  });
}

export async function tokensListCommand(flags: GlobalFlags): Promise<number> {
  const output = createOutput(flags);
  return withStorage(
    output,
    async ({ db }) => {
      const rows = await listIngestTokens(db);
      if (flags.json) {
        output.printJson(rows.map((r) => ({ ...r, revoked: r.revoked_at !== null })));
        return 0;
      }
      if (rows.length === 0) {
        output.print('No tokens yet. Make one: ops tokens create --customer one_spa --name site');
        return 0;
      }
      const c = output.color;
      for (const r of rows) {
        const state = r.revoked_at ? c.red(`revoked ${r.revoked_at.toISOString()}`) : c.green('active');
        output.print(
          `${String(r.id).padStart(4)}  ${r.customer_id.padEnd(20)} ${r.name.padEnd(16)} ${r.key_prefix}…  created ${r.created_at.toISOString()}  ${state}`,
        );
      }
      return 0;
    },
    { readOnly: true },
  );
}

export async function tokensRevokeCommand(flags: GlobalFlags, id: number): Promise<number> {
  const output = createOutput(flags);
  return withStorage(output, async ({ db }) => {
    const token = await findIngestToken(db, id);
    if (!token) throw new UsageError(`no token ${id} (ops tokens list)`);
    const changed = await revokeIngestToken(db, id, new Date());
    if (flags.json) output.printJson({ id, revoked: true, already: changed === 0 });
    else
      output.print(
        changed === 0 ? `Token ${id} was revoked already.` : `Token ${id} (${token.customer_id}, ${token.name}) revoked: its key is refused from now on.`,
      );
    return 0;
  });
}
