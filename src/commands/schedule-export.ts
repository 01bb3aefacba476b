/**
 * `ops schedule export --format crontab|eventbridge|ecs|k8s`: the one schedule
 * source as ready-to-apply scheduler definitions, on stdout. scripts/deploy/
 * holds what it prints today (npm run deploy:generate; a test compares).
 */
import { readSettings } from '../core/config.js';
import { runtimeSettings } from '../core/runtime-settings.js';
import { createOutput, reportError, type GlobalFlags } from './context.js';
import { PLACEHOLDER_TARGET, type DeployTarget } from './deploy-target.js';

export const EXPORT_FORMATS = ['crontab', 'eventbridge', 'ecs', 'k8s'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export async function scheduleExportCommand(flags: GlobalFlags, options: { format: ExportFormat } & Partial<DeployTarget>): Promise<number> {
  const output = createOutput(flags);
  try {
    const runtime = readSettings(runtimeSettings);
    const { schedulables, resolveJobs } = await import('../tasks/schedules.js');
    const jobs = resolveJobs(await schedulables());
    const target: DeployTarget = {
      image: options.image ?? PLACEHOLDER_TARGET.image,
      awsAccount: options.awsAccount ?? PLACEHOLDER_TARGET.awsAccount,
      awsRegion: options.awsRegion ?? PLACEHOLDER_TARGET.awsRegion,
    };
    const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
    let text: string;
    switch (options.format) {
      case 'crontab':
        text = (await import('./export-crontab.js')).renderCrontab(jobs, target);
        break;
      case 'eventbridge':
        text = json((await import('./export-aws.js')).eventBridgeSchedules(jobs, target));
        break;
      case 'ecs':
        text = json((await import('./export-aws.js')).ecsTaskDefinition(jobs, target));
        break;
      case 'k8s':
        text = (await import('./export-kubernetes.js')).renderKubernetes(jobs, target, runtime.now ?? new Date());
        break;
    }
    process.stdout.write(text);
    return 0;
  } catch (err) {
    return reportError(output, err);
  }
}
