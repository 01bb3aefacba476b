/**
 * Settings come from environment variables (a `.env` file is read first when
 * present; real variables win). Each task declares the settings it needs;
 * they are all validated before any work, and a problem is a ConfigError that
 * names the variable, what was expected and what was found — never a secret.
 */
import { existsSync } from 'node:fs';
import { ConfigError } from './errors.js';
import { redact, registerSecret } from './redact.js';

export type Env = Record<string, string | undefined>;

export interface Setting<T> {
  name: string;
  description: string;
  /** true: must be set; a string: must be set, and says for what. */
  required?: boolean | string;
  default?: T;
  secret?: boolean;
  /** Returns the parsed value or throws an Error whose message says what was expected. */
  parse(raw: string): T;
  /** Shown in docs and in `ops doctor`. */
  example?: string;
}

type SettingValue<S> = S extends Setting<infer T> ? (S extends { default: T } | { required: true | string } ? T : T | undefined) : never;
export type SettingsOf<S extends Record<string, Setting<any>>> = { [K in keyof S]: SettingValue<S[K]> };

function expect(what: string): never {
  throw new Error(`expected ${what}`);
}

export const settings = {
  string<E extends Partial<Setting<string>>>(name: string, description: string, extra: E = {} as E): Setting<string> & E {
    return { name, description, parse: (raw: string) => raw, ...extra };
  },
  secret<E extends Partial<Setting<string>>>(name: string, description: string, extra: E = {} as E): Setting<string> & E {
    return { name, description, secret: true, parse: (raw: string) => raw, ...extra };
  },
  url<E extends Partial<Setting<string>> & { protocols?: string[] }>(name: string, description: string, extra: E = {} as E): Setting<string> & E {
    const protocols = extra.protocols ?? ['http:', 'https:'];
    return {
      name,
      description,
      parse(raw: string) {
        let url: URL;
        try {
          url = new URL(raw);
        } catch {
          // user:password@ in it: the usual cause is a password character that must be encoded.
          const hint = /:\/\/[^\s]*@/.test(raw) ? '; percent-encode / ? # @ : and % in the user name and password (e.g. / as %2F)' : '';
          return expect(`a URL (${protocols.map((p) => p.replace(':', '://')).join(' or ')}…)${hint}`);
        }
        if (!protocols.includes(url.protocol)) expect(`a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
        return raw.replace(/\/+$/, '');
      },
      ...extra,
    };
  },
  int<E extends Partial<Setting<number>>>(name: string, description: string, range: { min: number; max: number }, extra: E = {} as E): Setting<number> & E {
    return {
      name,
      description,
      parse(raw: string) {
        const value = Number(raw.trim());
        if (!/^-?\d+$/.test(raw.trim()) || value < range.min || value > range.max) {
          expect(`an integer from ${range.min} to ${range.max}`);
        }
        return value;
      },
      ...extra,
    };
  },
  number<E extends Partial<Setting<number>>>(name: string, description: string, range: { min: number; max: number }, extra: E = {} as E): Setting<number> & E {
    return {
      name,
      description,
      parse(raw: string) {
        const value = Number(raw.trim());
        if (raw.trim() === '' || !Number.isFinite(value) || value < range.min || value > range.max) {
          expect(`a number from ${range.min} to ${range.max}`);
        }
        return value;
      },
      ...extra,
    };
  },
  oneOf<T extends string, E extends Partial<Setting<T>> = Record<never, never>>(
    name: string,
    description: string,
    values: readonly T[],
    extra: E = {} as E,
  ): Setting<T> & E {
    return {
      name,
      description,
      parse(raw: string) {
        const value = raw.trim().toLowerCase() as T;
        if (!values.includes(value)) expect(`one of ${values.join(', ')}`);
        return value;
      },
      ...extra,
    };
  },
  bool<E extends Partial<Setting<boolean>>>(name: string, description: string, extra: E = {} as E): Setting<boolean> & E {
    return {
      name,
      description,
      parse(raw: string) {
        const value = raw.trim().toLowerCase();
        if (['1', 'true', 'yes', 'on'].includes(value)) return true;
        if (['0', 'false', 'no', 'off'].includes(value)) return false;
        return expect('true or false');
      },
      ...extra,
    };
  },
};

function describeFound(setting: Setting<unknown>, raw: string): string {
  if (setting.secret) return `a value of ${raw.length} characters (not shown)`;
  const clean = redact(raw);
  const shown = clean.length > 80 ? `${clean.slice(0, 77)}...` : clean;
  return JSON.stringify(shown);
}

/** Validates every setting; the first problem (in declaration order) is thrown. */
export function readSettings<S extends Record<string, Setting<any>>>(specs: S, env: Env = process.env): SettingsOf<S> {
  const out: Record<string, unknown> = {};
  // Register every secret first, so that no later message can leak one.
  for (const spec of Object.values(specs)) if (spec.secret) registerSecret(env[spec.name]);
  for (const [key, spec] of Object.entries(specs)) {
    const raw = env[spec.name];
    if (raw === undefined || raw.trim() === '') {
      if (spec.required) {
        const why = typeof spec.required === 'string' ? ` (${spec.required})` : '';
        throw new ConfigError(spec.name, `${spec.name} is not set${why}: ${spec.description}${spec.example ? `, e.g. ${spec.example}` : ''}`);
      }
      out[key] = spec.default;
      continue;
    }
    try {
      out[key] = spec.parse(raw);
    } catch (err) {
      const expected = err instanceof Error ? err.message : String(err);
      throw new ConfigError(spec.name, `${spec.name} is malformed: ${expected}, found ${describeFound(spec, raw)}`);
    }
  }
  return out as SettingsOf<S>;
}

/** Reads `.env` from the working directory when present; real variables win. */
export function loadDotEnv(path = '.env'): void {
  if (!existsSync(path)) return;
  try {
    process.loadEnvFile(path);
  } catch (err) {
    throw new ConfigError('.env', `.env could not be read: ${(err as Error).message}`);
  }
}
