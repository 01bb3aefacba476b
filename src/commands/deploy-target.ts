/**
 * What every exported scheduler file shares: where the image is, which AWS
 * account and region, and which variables a job needs (plain settings in a
 * config map or the task definition, secrets only as references). The values
 * here are placeholders to replace (or pass as flags): nothing real, no secret.
 */
import type { Setting } from '../core/config.js';
import { runtimeSettings } from '../core/runtime-settings.js';
import type { ScheduledJob } from '../tasks/schedules.js';

export interface DeployTarget {
  /** The image for Kubernetes. */
  image: string;
  awsAccount: string;
  awsRegion: string;
}

export const PLACEHOLDER_TARGET: DeployTarget = {
  image: 'registry.example.com/ops:latest',
  awsAccount: '123456789012',
  awsRegion: 'us-east-1',
};

/** ECS stops a container with SIGTERM, then SIGKILL this many seconds later; ops needs ≤ 10 s to record `interrupted`. */
export const STOP_TIMEOUT_SECONDS = 30;

/** A variable a deployment must provide, and whether it is a secret (referenced, never written down). */
export interface DeployVariable {
  name: string;
  secret: boolean;
  required: boolean;
  example?: string;
}

// DATABASE_URL carries a password: always a secret reference; and a deployed ops needs it (the embedded database is for a laptop).
const SECRET_BY_NATURE = new Set([runtimeSettings.databaseUrl.name]);

function variableOf(setting: Setting<unknown>): DeployVariable {
  return {
    name: setting.name,
    secret: Boolean(setting.secret) || SECRET_BY_NATURE.has(setting.name),
    required: Boolean(setting.required) || SECRET_BY_NATURE.has(setting.name),
    ...(setting.example ? { example: setting.example } : {}),
  };
}

/** The variables of these jobs: DATABASE_URL first, then each setting once, in declaration order. */
export function variablesOf(jobs: ScheduledJob[]): DeployVariable[] {
  const seen = new Set<string>();
  const out: DeployVariable[] = [];
  for (const setting of [runtimeSettings.databaseUrl, ...jobs.flatMap((j) => j.settings)]) {
    if (seen.has(setting.name)) continue;
    seen.add(setting.name);
    out.push(variableOf(setting));
  }
  return out;
}

/** ops-sync-event, … (a name every scheduler accepts: lower case, digits and dashes). */
export function resourceName(job: ScheduledJob): string {
  return `ops-${job.name}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
}

export function commandOf(job: ScheduledJob): string[] {
  return [job.name, ...job.args];
}
