/**
 * ECS + EventBridge Scheduler: one task definition (the image, its
 * variables, secrets as Secrets Manager references) and one schedule per job
 * that starts it with the job's command. Neither starts a finished run again:
 * no container restart, no schedule retry (exit 2, partial, is a finished run).
 */
import { ConfigError } from '../core/errors.js';
import { toEventBridgeCron } from '../core/eventbridge-cron.js';
import { settingPrefix } from '../core/schedule.js';
import type { ScheduledJob } from '../tasks/schedules.js';
import { commandOf, resourceName, STOP_TIMEOUT_SECONDS, variablesOf, type DeployTarget } from './deploy-target.js';

const FAMILY = 'ops';
const CONTAINER = 'ops';

function secretArn(target: DeployTarget, name: string): string {
  return `arn:aws:secretsmanager:${target.awsRegion}:${target.awsAccount}:secret:ops/${name.toLowerCase().replace(/_/g, '-')}`;
}

export function ecsTaskDefinition(jobs: ScheduledJob[], target: DeployTarget) {
  const variables = variablesOf(jobs);
  return {
    family: FAMILY,
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: '512',
    memory: '1024',
    executionRoleArn: `arn:aws:iam::${target.awsAccount}:role/ops-task-execution`,
    containerDefinitions: [
      {
        name: CONTAINER,
        image: `${target.awsAccount}.dkr.ecr.${target.awsRegion}.amazonaws.com/ops:latest`,
        essential: true,
        // Each schedule gives the command; alone, the image prints its help.
        command: ['--help'],
        stopTimeout: STOP_TIMEOUT_SECONDS,
        restartPolicy: { enabled: false },
        environment: [
          // OPS_DATA_DIR and OPS_OUTPUT_DIR: the image's own (/var/lib/ops, writable by its user).
          { name: 'OPS_ENV', value: 'production' },
          ...variables.filter((v) => !v.secret && v.required).map((v) => ({ name: v.name, value: v.example?.replace(/^"|"$/g, '') ?? 'CHANGE_ME' })),
        ],
        secrets: variables.filter((v) => v.secret).map((v) => ({ name: v.name, valueFrom: secretArn(target, v.name) })),
        logConfiguration: {
          logDriver: 'awslogs',
          options: { 'awslogs-group': '/ecs/ops', 'awslogs-region': target.awsRegion, 'awslogs-stream-prefix': 'ops' },
        },
      },
    ],
  };
}

/** A schedule EventBridge cannot express is a configuration problem of the setting that made it. */
function eventBridgeCron(job: ScheduledJob): string {
  try {
    return toEventBridgeCron(job.cron);
  } catch (err) {
    const variable = `${settingPrefix(job.name)}_SCHEDULE`;
    throw new ConfigError(variable, `${variable}: ${(err as Error).message}`);
  }
}

export function eventBridgeSchedules(jobs: ScheduledJob[], target: DeployTarget) {
  return jobs.map((job) => ({
    Name: resourceName(job),
    Description: `ops ${commandOf(job).join(' ')}: ${job.summary}`,
    ScheduleExpression: eventBridgeCron(job),
    ScheduleExpressionTimezone: job.timeZone,
    State: 'ENABLED',
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: {
      Arn: `arn:aws:ecs:${target.awsRegion}:${target.awsAccount}:cluster/ops`,
      RoleArn: `arn:aws:iam::${target.awsAccount}:role/ops-scheduler`,
      EcsParameters: {
        TaskDefinitionArn: `arn:aws:ecs:${target.awsRegion}:${target.awsAccount}:task-definition/${FAMILY}`,
        LaunchType: 'FARGATE',
        NetworkConfiguration: { awsvpcConfiguration: { Subnets: ['subnet-0123456789abcdef0'], AssignPublicIp: 'DISABLED' } },
      },
      Input: JSON.stringify({ containerOverrides: [{ name: CONTAINER, command: commandOf(job) }] }),
      RetryPolicy: { MaximumRetryAttempts: 0 },
    },
  }));
}
