/**
 * The deployment examples, read against what each scheduler does with an exit
 * code: a finished run (0, and 2 = partial, and every failure) is never
 * started again by the scheduler, because a new start redoes the whole run,
 * paid LLM calls included. ops' own `--resume` is the way to retry what failed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const deploy = (name: string) => readFileSync(fileURLToPath(new URL(`../../scripts/deploy/${name}`, import.meta.url)), 'utf8');

test('Kubernetes: no exit code starts a replacement pod (no Ignore rule, backoffLimit 0, FailJob on every non-zero exit)', () => {
  const yaml = deploy('kubernetes-cronjob.yaml');
  const spec = yaml.replace(/#.*$/gm, '');
  // In a podFailurePolicy, `Ignore` means "do not count this failure and create a replacement pod".
  assert.doesNotMatch(spec, /action:\s*Ignore/, 'an Ignore rule restarts the run');
  assert.match(spec, /backoffLimit:\s*0\b/);
  assert.match(spec, /restartPolicy:\s*Never\b/);
  assert.match(spec, /concurrencyPolicy:\s*Forbid\b/);
  assert.match(spec, /action:\s*FailJob\s+onExitCodes:\s*\{[^}]*operator:\s*NotIn,\s*values:\s*\[0\]\s*\}/, 'every non-zero exit ends the Job');
  const grace = Number(/terminationGracePeriodSeconds:\s*(\d+)/.exec(spec)?.[1]);
  assert.ok(grace >= 10, 'ops needs up to 10 s to record `interrupted`');
});

test('ECS and EventBridge: the container is not restarted and a schedule is not retried', () => {
  const task = JSON.parse(deploy('ecs-task-definition.json'));
  for (const container of task.containerDefinitions) {
    // ECS container restart policy would start ops again on any non-zero exit, partial included.
    assert.equal(container.restartPolicy?.enabled, false, `${container.name}: restartPolicy.enabled must be false`);
    assert.ok(container.stopTimeout >= 10, 'ops needs up to 10 s after SIGTERM');
  }
  const schedules = JSON.parse(deploy('eventbridge-schedules.json'));
  assert.ok(schedules.length > 0);
  for (const schedule of schedules) {
    assert.equal(schedule.Target.RetryPolicy.MaximumRetryAttempts, 0, `${schedule.Name}: EventBridge must not start the task again`);
    assert.equal(schedule.FlexibleTimeWindow.Mode, 'OFF');
  }
});

test('crontab: each line runs a task once (no retry loop around ops)', () => {
  const lines = deploy('crontab')
    .split('\n')
    .filter((l) => /^[\d*]/.test(l));
  assert.ok(lines.length > 0);
  for (const line of lines) assert.doesNotMatch(line, /until |while |retry/i, line);
});

test('Dockerfile: the image holds the program, not its tests', () => {
  const docker = deploy('Dockerfile');
  const stages = docker.split(/^FROM /m);
  const final = stages[stages.length - 1];
  assert.doesNotMatch(final, /COPY (--from=\S+ )?\S*test/, 'no tests in the final image');
  assert.doesNotMatch(final, /COPY --from=\S+ \S*dist \S/, 'not the whole dist/ (it holds the compiled tests)');
  assert.match(final, /npm ci --omit=dev/);
  assert.match(final, /^USER node$/m);
  assert.match(final, /ENTRYPOINT \["node", "\/opt\/ops\/bin\/ops\.js"\]/);
});
