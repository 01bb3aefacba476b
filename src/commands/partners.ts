/**
 * `ops partners add|list|enable|disable`: the timing partners whose races are
 * discovered and synced. A partner row holds the names of the variables that
 * carry its credentials, never the credentials: a secret stays where the
 * deployment keeps secrets (the environment, a secrets manager behind it).
 */
import { UsageError } from '../core/errors.js';
import { addPartner, findPartner, listPartners, setPartnerEnabled } from '../db/queries/partners.js';
import { createOutput, type GlobalFlags } from './context.js';
import { withStorage } from './storage.js';

export const PROVIDERS = ['runsignup'] as const;
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface AddPartnerOptions {
  name: string;
  provider: string;
  keyEnv: string;
  secretEnv: string;
}

function checkAdd(options: AddPartnerOptions): void {
  const name = options.name.trim();
  if (name === '' || name.length > 200) throw new UsageError('--name must be 1 to 200 characters');
  if (!(PROVIDERS as readonly string[]).includes(options.provider)) throw new UsageError(`--provider must be one of ${PROVIDERS.join(', ')}`);
  for (const [flag, value] of [
    ['--key-env', options.keyEnv],
    ['--secret-env', options.secretEnv],
  ] as const) {
    if (!VARIABLE.test(value)) {
      throw new UsageError(`${flag} takes the NAME of an environment variable (letters, digits, _), not its value: the secret itself is never stored`);
    }
  }
}

export async function partnersAddCommand(flags: GlobalFlags, options: AddPartnerOptions, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const output = createOutput(flags);
  return withStorage(
    output,
    async ({ db }) => {
      checkAdd(options);
      const name = options.name.trim();
      if (await findPartner(db, name)) throw new UsageError(`a partner named "${name}" exists already (ops partners list)`);
      const row = await addPartner(db, { name, provider: options.provider, keyEnv: options.keyEnv, secretEnv: options.secretEnv }, new Date());
      const missing = [options.keyEnv, options.secretEnv].filter((v) => !env[v]);
      if (flags.json)
        output.printJson({ name: row.name, provider: row.provider, key_env: row.key_env, secret_env: row.secret_env, enabled: row.enabled, missing });
      else output.print(`Added partner ${row.name} (${row.provider}); credentials from $${row.key_env} and $${row.secret_env}.`);
      if (missing.length > 0) {
        output.log.warn(
          `not set in this environment: ${missing.join(', ')}. Set them where ops runs (cron, ECS, Kubernetes); until then this partner is skipped with a reason.`,
        );
      }
      return 0;
    },
    { env },
  );
}

export async function partnersListCommand(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const output = createOutput(flags);
  return withStorage(
    output,
    async ({ db }) => {
      const rows = await listPartners(db);
      const described = rows.map((r) => ({
        name: r.name,
        provider: r.provider,
        enabled: r.enabled,
        key_env: r.key_env,
        key_set: Boolean(env[r.key_env]),
        secret_env: r.secret_env,
        secret_set: Boolean(env[r.secret_env]),
        created_at: r.created_at,
      }));
      if (flags.json) {
        output.printJson(described);
        return 0;
      }
      if (rows.length === 0) {
        output.print('No partners yet. Add one: ops partners add --name "Acme Timing" --provider runsignup --key-env ACME_KEY --secret-env ACME_SECRET');
        return 0;
      }
      const c = output.color;
      for (const p of described) {
        const variable = (name: string, set: boolean) => (set ? `$${name} ${c.green('set')}` : `$${name} ${c.red('not set')}`);
        output.print(
          `${c.bold(p.name.padEnd(24))} ${p.provider.padEnd(10)} ${p.enabled ? c.green('enabled ') : c.gray('disabled')}  key ${variable(p.key_env, p.key_set)}  secret ${variable(p.secret_env, p.secret_set)}`,
        );
      }
      return 0;
    },
    { readOnly: true },
  );
}

export async function partnersEnableCommand(flags: GlobalFlags, name: string, enabled: boolean): Promise<number> {
  const output = createOutput(flags);
  return withStorage(output, async ({ db }) => {
    const changed = await setPartnerEnabled(db, name, enabled, new Date());
    if (changed === 0) throw new UsageError(`no partner named "${name}" (ops partners list)`);
    if (flags.json) output.printJson({ name, enabled });
    else output.print(`${name}: ${enabled ? 'enabled' : 'disabled'}`);
    return 0;
  });
}
