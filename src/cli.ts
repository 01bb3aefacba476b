/**
 * The `ops` program: every command with its flags. Each action imports its
 * task or command module only when it runs, so `ops --help` loads none of
 * pg, PGlite, Kysely or openai.
 */
import { Command, CommanderError, Option } from 'commander';
import { ExitCode } from './core/errors.js';
import { dropOutputWhenClosed } from './core/closed-output.js';
import { loadDotEnv } from './core/config.js';
import { VERSION } from './core/version.js';
import type { GlobalFlags } from './commands/context.js';
import { registerCatalogueCommands } from './cli/catalogue-commands.js';
import { batchOptions, example, milliseconds, positiveInt, share } from './cli/flags.js';
import { registerRaceCommands } from './cli/race-commands.js';
import { registerServeCommands, registerTrackingCommands } from './cli/tracking-commands.js';

export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('ops');
  const globals = (): GlobalFlags => program.opts<GlobalFlags>();
  const done = (code: number) => setExitCode(code);
  const wiring = { program, globals, done };

  program
    .version(VERSION, '-V, --version')
    .description('Scheduler-driven operations: each command is one idempotent task, recorded in task_logs.')
    .option('--json', 'print the result as JSON on stdout')
    .option('--no-color', 'no colours (NO_COLOR is honoured too)')
    .option('-q, --quiet', 'only warnings and errors')
    .option('-v, --verbose', 'debug logging')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText('after', example('ops demo', 'ops sync-centers', 'ops run-batch --concurrency 8', 'ops status', 'ops logs --task sync-centers --failed'));

  program
    .command('sync-centers')
    .description('fetch centers from the location APIs and upsert them into centers')
    .option('--deactivate-missing', 'set is_active = false on centers the API no longer lists')
    .option('--dry-run', 'fetch and validate, write nothing to centers')
    .addHelpText(
      'after',
      example(
        'LOCATION_SLUG_API_URL=https://loc/slugs LOCATION_DATA_API_URL=https://loc/data ops sync-centers',
        'ops sync-centers --deactivate-missing --json',
      ),
    )
    .action(async (opts) => {
      const [{ runTasks }, { syncCenters }] = await Promise.all([import('./commands/run-tasks.js'), import('./tasks/sync-centers.js')]);
      done(await runTasks([{ task: syncCenters, options: { deactivateMissing: Boolean(opts.deactivateMissing), dryRun: Boolean(opts.dryRun) } }], globals()));
    });

  const batchFlags = (cmd: Command) =>
    cmd
      .option('--centers <slugs>', 'only these centers (comma-separated slugs)', (v: string) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .addOption(new Option('--limit <n>', 'at most this many centers').argParser(positiveInt))
      .addOption(new Option('--concurrency <n>', 'centers asked at once (default BATCH_CONCURRENCY, 5)').argParser(positiveInt))
      .option('--dry-run', 'print the prompts; call nothing, write nothing');

  batchFlags(program.command('run-batch'))
    .description('ask the LLM for local events of every active center; one CSV per center; tracked in batch_runs')
    .option('--resume <run-id>', 'only the centers that did not succeed in that run')
    .addHelpText(
      'after',
      example(
        'ops run-batch',
        'ops run-batch --centers austin-tx,boise-id --limit 10 --concurrency 8',
        'ops run-batch --dry-run',
        'ops run-batch --resume 20261125-020000-a1b2c3',
      ),
    )
    .action(async (opts) => {
      const [{ runTasks }, { runBatch }] = await Promise.all([import('./commands/run-tasks.js'), import('./tasks/run-batch.js')]);
      done(await runTasks([{ task: runBatch, options: batchOptions(opts) }], globals()));
    });

  batchFlags(program.command('sync-and-run'))
    .description('sync-centers, then run-batch (one task_logs row each); the batch runs even if the sync was partial')
    .option('--deactivate-missing', 'set is_active = false on centers the API no longer lists')
    .addHelpText('after', example('ops sync-and-run', 'ops sync-and-run --concurrency 10 --json'))
    .action(async (opts) => {
      const [{ runTasks }, { syncCenters }, { runBatch }] = await Promise.all([
        import('./commands/run-tasks.js'),
        import('./tasks/sync-centers.js'),
        import('./tasks/run-batch.js'),
      ]);
      done(
        await runTasks(
          [
            { task: syncCenters, options: { deactivateMissing: Boolean(opts.deactivateMissing), dryRun: Boolean(opts.dryRun) } },
            { task: runBatch, options: { ...batchOptions(opts), trigger: 'sync-and-run' } },
          ],
          globals(),
        ),
      );
    });

  registerRaceCommands(wiring);
  registerTrackingCommands(wiring);
  registerCatalogueCommands(wiring);
  registerServeCommands(wiring);

  // Tasks others add (issue 17): OPS_TASKS_DIR, ops run NAME, ops tasks, ops run-due.
  program
    .command('run')
    .description('run a task by name: one from OPS_TASKS_DIR (ops NAME works too), or a built-in one')
    .argument('<name>', 'the task (ops tasks lists them)')
    .argument('[flags...]', "the task's own flags")
    .allowUnknownOption()
    .helpOption(false)
    .addHelpText('after', example('OPS_TASKS_DIR=./tasks ops run send-report --days 7', 'ops send-report --days 7'))
    .action(async (name: string, args: string[]) => {
      const { runNamedCommand } = await import('./commands/run-named.js');
      done(await runNamedCommand(globals(), name, args, commandNames(program)));
    });
  program
    .command('tasks')
    .description('every task, built-in and from OPS_TASKS_DIR: description, enabled, schedule, last run and its outcome')
    .addHelpText('after', example('ops tasks', 'OPS_TASKS_DIR=./tasks ops tasks --json'))
    .action(async () => {
      const { tasksCommand } = await import('./commands/tasks.js');
      done(await tasksCommand(globals(), commandNames(program)));
    });
  program
    .command('run-due')
    .description('execute every event-relative job whose time has come, once per job key (cron: every minute); --plan shows them')
    .option('--plan', 'what is due and when; calls nothing, changes nothing')
    .addHelpText('after', example('ops run-due', 'ops run-due --plan', 'OPS_ENV=development ops run-due'))
    .action(async (opts) => {
      if (opts.plan) {
        const { runDuePlanCommand } = await import('./commands/run-due-plan.js');
        return done(await runDuePlanCommand(globals()));
      }
      const [{ runTasks }, { runDue }] = await Promise.all([import('./commands/run-tasks.js'), import('./tasks/run-due.js')]);
      done(await runTasks([{ task: runDue, options: {} }], globals()));
    });

  program
    .command('batch-status')
    .description('progress and outcome of a batch run, center by center')
    .argument('[run-id]', 'the run (see ops logs --task run-batch)')
    .option('--latest', 'the newest run')
    .addHelpText('after', example('ops batch-status --latest', 'ops batch-status 20261125-020000-a1b2c3 --json'))
    .action(async (runId: string | undefined, opts) => {
      if (!runId && !opts.latest) throw new CommanderError(ExitCode.usage, 'ops.missingRun', 'error: give a run id or --latest\n(run with --help for usage)');
      const { batchStatusCommand } = await import('./commands/batch-status.js');
      done(await batchStatusCommand(globals(), { runId, latest: Boolean(opts.latest) }));
    });

  // One schedule source (issue 17): ops schedule, ops schedule export.
  const schedule = program
    .command('schedule')
    .description('every scheduled task: cron, time zone, next runs, whether a run holds its lock now')
    .addOption(new Option('--count <n>', 'next start times shown per task').default(5).argParser(positiveInt))
    .addHelpText('after', example('ops schedule', 'ops schedule --json', 'SYNC_EVENT_SCHEDULE="*/2 * * * *" OPS_SCHEDULE_TZ=Europe/Berlin ops schedule'))
    .action(async (opts) => {
      const { scheduleCommand } = await import('./commands/schedule.js');
      done(await scheduleCommand(globals(), { count: opts.count }));
    });
  schedule
    .command('export')
    .description('the schedules as a crontab, EventBridge Scheduler schedules, the ECS task definition they start, or Kubernetes CronJobs')
    .addOption(new Option('--format <format>', 'what to print').choices(['crontab', 'eventbridge', 'ecs', 'k8s']).makeOptionMandatory())
    .option('--image <ref>', 'Kubernetes: the ops image')
    .option('--aws-account <id>', 'ECS and EventBridge: the AWS account id')
    .option('--aws-region <region>', 'ECS and EventBridge: the AWS region')
    .addHelpText(
      'after',
      example('ops schedule export --format crontab | crontab -', 'ops schedule export --format k8s --image ghcr.io/acme/ops:1.4 | kubectl apply -f -'),
    )
    .action(async (opts) => {
      const { scheduleExportCommand } = await import('./commands/schedule-export.js');
      done(await scheduleExportCommand(globals(), { format: opts.format, image: opts.image, awsAccount: opts.awsAccount, awsRegion: opts.awsRegion }));
    });

  program
    .command('status')
    .description('the last run of every task: when, how long, outcome, counts')
    .addHelpText('after', example('ops status', 'ops status --json | jq ".[] | select(.status != \\"success\\")"'))
    .action(async () => {
      const { statusCommand } = await import('./commands/status.js');
      done(await statusCommand(globals()));
    });

  program
    .command('logs')
    .description('recent runs from task_logs, newest first')
    .option('--task <name>', 'only this task')
    .option('--run <run-id>', 'only this run')
    .addOption(new Option('--limit <n>', 'how many runs').default(20).argParser(positiveInt))
    .option('--failed', 'only failed, partial and interrupted runs')
    .addHelpText('after', example('ops logs --task sync-centers --limit 20', 'ops logs --failed --json'))
    .action(async (opts) => {
      const { logsCommand } = await import('./commands/logs.js');
      done(await logsCommand(globals(), { task: opts.task, runId: opts.run, limit: opts.limit, failedOnly: Boolean(opts.failed) }));
    });

  program
    .command('migrate')
    .description('apply pending database migrations (forward only)')
    .option('--status', 'list migrations and whether each is applied; change nothing')
    .addHelpText('after', example('ops migrate', 'DATABASE_URL=postgres://ops@db/ops ops migrate --status'))
    .action(async (opts) => {
      const { migrateCommand } = await import('./commands/migrate.js');
      done(await migrateCommand(globals(), { statusOnly: Boolean(opts.status) }));
    });

  program
    .command('doctor')
    .description('check settings, database, migrations, stale runs and every configured upstream')
    .addHelpText('after', example('ops doctor', 'ops doctor --json'))
    .action(async () => {
      const { doctorCommand } = await import('./commands/doctor.js');
      done(await doctorCommand(globals()));
    });

  program
    .command('sandbox')
    .description('start every simulator on loopback and print the variables that point ops at them')
    .addOption(new Option('--centers <n>', 'seeded centers').default(25).argParser(positiveInt))
    .addOption(new Option('--latency <ms>', 'latency added to every response').default(0).argParser(milliseconds))
    .addOption(new Option('--error-rate <0..1>', 'share of requests answered 5xx').default(0).argParser(share))
    .addOption(new Option('--rate-limit-rate <0..1>', 'share of requests answered 429 with Retry-After').default(0).argParser(share))
    .addOption(new Option('--malformed-rate <0..1>', 'share of malformed records').default(0).argParser(share))
    .addOption(new Option('--timeout-rate <0..1>', 'share of requests that never answer').default(0).argParser(share))
    .option('--port <port>', 'first port to listen on (default: any free port)')
    .addHelpText('after', example('ops sandbox --centers 50 --latency 200 --error-rate 0.1'))
    .action(async (opts) => {
      const { sandboxCommand } = await import('./commands/sandbox.js');
      done(await sandboxCommand(globals(), opts));
    });

  program
    .command('demo')
    .description('start the sandbox, use a fresh embedded database, run every task, show what happened')
    .addOption(new Option('--centers <n>', 'seeded centers').default(25).argParser(positiveInt))
    .addHelpText('after', example('npx ops demo', 'ops demo --centers 10 --json'))
    .action(async (opts) => {
      const { demoCommand } = await import('./commands/demo.js');
      done(await demoCommand(globals(), { centers: opts.centers }));
    });

  return program;
}

function commandNames(program: Command): string[] {
  return program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
}

/**
 * `ops NAME` for a task without a command of its own becomes `ops run NAME`;
 * `ops run NAME` for a built-in command becomes `ops NAME` (its own flags).
 */
export function routeTaskNames(argv: string[], known: string[], addedTasks: boolean): string[] {
  const at = argv.findIndex((a, i) => i >= 2 && !a.startsWith('-'));
  if (at < 0) return argv;
  const name = argv[at];
  if (name === 'run') {
    const next = argv[at + 1];
    if (next && next !== 'run' && known.includes(next)) return [...argv.slice(0, at), ...argv.slice(at + 1)];
    return argv;
  }
  if (!addedTasks || known.includes(name) || !/^[a-z][a-z0-9-]*$/.test(name)) return argv;
  return [...argv.slice(0, at), 'run', ...argv.slice(at)];
}

export async function main(argv: string[] = process.argv): Promise<number> {
  let exitCode: number = ExitCode.ok;
  // A run started by `ops serve` logs into the server's pipe: the server may stop before the run ends.
  dropOutputWhenClosed();
  try {
    loadDotEnv();
  } catch (err) {
    process.stderr.write(`ops: ${(err as Error).message}\n`);
    return ExitCode.config;
  }
  const program = buildProgram((code) => (exitCode = code));
  try {
    // `ops NAME` only for tasks of OPS_TASKS_DIR: without one, a mistyped command keeps commander's own suggestion.
    await program.parseAsync(routeTaskNames(argv, [...commandNames(program), 'help'], Boolean(process.env.OPS_TASKS_DIR?.trim())));
  } catch (err) {
    if (err instanceof CommanderError) {
      // An asked-for --help or --version ends here with 0; anything else is a usage error.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.ok;
      // `ops help [command]` is asked-for help (exit code 0 from commander); bare `ops` shows help as a usage error.
      if (err.code === 'commander.help' && err.exitCode === 0) return ExitCode.ok;
      if (err.code.startsWith('ops.')) process.stderr.write(`${err.message}\n`);
      return ExitCode.usage;
    }
    throw err;
  }
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`ops: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(ExitCode.failed);
  },
);
