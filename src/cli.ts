/**
 * The `ops` program: every command with its flags. Each action imports its
 * task or command module only when it runs, so `ops --help` loads none of
 * pg, PGlite, Kysely or openai.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ExitCode } from './core/errors.js';
import { loadDotEnv } from './core/config.js';
import { VERSION } from './core/version.js';
import type { GlobalFlags } from './commands/context.js';

function example(...lines: string[]): string {
  return `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a positive integer.');
  return Number(value);
}

function port(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65_535) throw new InvalidArgumentError('expected a port from 0 to 65535.');
  return Number(value);
}

function share(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a number from 0 to 1.');
  return n;
}

function milliseconds(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 600_000) throw new InvalidArgumentError('expected milliseconds from 0 to 600000.');
  return n;
}

function batchOptions(opts: Record<string, unknown>) {
  return {
    centers: opts.centers as string[] | undefined,
    limit: opts.limit as number | undefined,
    concurrency: opts.concurrency as number | undefined,
    resume: opts.resume as string | undefined,
    dryRun: Boolean(opts.dryRun),
  };
}

export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('ops');
  const globals = (): GlobalFlags => program.opts<GlobalFlags>();
  const done = (code: number) => setExitCode(code);

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

  // Race events of timing partners (issue: partners, discover-events, sync-event, sync-status).
  const partners = program.command('partners').description('timing partners whose races are discovered and synced (their secrets stay in variables)');
  partners
    .command('add')
    .description('add a partner: the NAMES of the variables that hold its key and secret, never the values')
    .requiredOption('--name <name>', 'a name for people ("Acme Timing")')
    .addOption(new Option('--provider <provider>', 'the race provider').choices(['runsignup']).default('runsignup'))
    .requiredOption('--key-env <VAR>', 'the variable that holds the API key')
    .requiredOption('--secret-env <VAR>', 'the variable that holds the API secret')
    .addHelpText('after', example('ops partners add --name "Acme Timing" --provider runsignup --key-env ACME_KEY --secret-env ACME_SECRET'))
    .action(async (opts) => {
      const { partnersAddCommand } = await import('./commands/partners.js');
      done(await partnersAddCommand(globals(), { name: opts.name, provider: opts.provider, keyEnv: opts.keyEnv, secretEnv: opts.secretEnv }));
    });
  partners
    .command('list')
    .description('every partner, enabled or not, and whether its variables are set here (never their values)')
    .addHelpText('after', example('ops partners list', 'ops partners list --json'))
    .action(async () => {
      const { partnersListCommand } = await import('./commands/partners.js');
      done(await partnersListCommand(globals()));
    });
  for (const [verb, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    partners
      .command(verb)
      .description(
        `${verb} a partner: ${enabled ? 'its races are discovered and synced again' : 'its races are neither discovered nor synced; nothing is deleted'}`,
      )
      .argument('<name>', 'the partner (ops partners list)')
      .addHelpText('after', example(`ops partners ${verb} "Acme Timing"`))
      .action(async (name: string) => {
        const { partnersEnableCommand } = await import('./commands/partners.js');
        done(await partnersEnableCommand(globals(), name, enabled));
      });
  }

  program
    .command('discover-events')
    .description("list every enabled partner's races and events; new events get a full backfill (resumed if interrupted)")
    .option('--partner <name>', 'only this partner')
    .addHelpText('after', example('ops discover-events', 'ops discover-events --partner "Acme Timing" --json'))
    .action(async (opts) => {
      const [{ runTasks }, { discoverEvents }] = await Promise.all([import('./commands/run-tasks.js'), import('./tasks/discover-events.js')]);
      done(await runTasks([{ task: discoverEvents, options: { partner: opts.partner } }], globals()));
    });

  program
    .command('sync-event')
    .description('sync the participants of every due event by proximity to its start (or one event); --plan shows what is due')
    .addOption(new Option('--event <id>', 'this event now, due or not').argParser(positiveInt))
    .option('--full', 'with --event: a complete re-sync (registrations no longer listed are marked removed)')
    .option('--plan', 'what is due now, by tier, and why; calls nothing, changes nothing')
    .addHelpText('after', example('ops sync-event', 'ops sync-event --plan', 'ops sync-event --event 67890 --full'))
    .action(async (opts) => {
      if (opts.plan) {
        const { syncPlanCommand } = await import('./commands/sync-status.js');
        return done(await syncPlanCommand(globals()));
      }
      if (opts.full && opts.event === undefined)
        throw new CommanderError(ExitCode.usage, 'ops.fullNeedsEvent', 'error: --full needs --event ID\n(run with --help for usage)');
      const [{ runTasks }, { syncEvent }] = await Promise.all([import('./commands/run-tasks.js'), import('./tasks/sync-event.js')]);
      done(await runTasks([{ task: syncEvent, options: { event: opts.event, full: Boolean(opts.full) } }], globals()));
    });

  program
    .command('sync-status')
    .description('per event: tier, last sync, next due time, participant counts, bookmark')
    .addOption(new Option('--event <id>', 'one event, with its recent syncs').argParser(positiveInt))
    .addHelpText('after', example('ops sync-status', 'ops sync-status --event 67890', 'ops sync-status --json'))
    .action(async (opts) => {
      const { syncStatusCommand } = await import('./commands/sync-status.js');
      done(await syncStatusCommand(globals(), { event: opts.event }));
    });

  // Site tracking (issue 15): ingest, the pipeline, its status and its quarantine.
  const sinceDate = (v: string): Date => {
    const d = new Date(v);
    if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(d.getTime())) throw new InvalidArgumentError('expected a date (2026-11-01) or an ISO time.');
    return d;
  };
  program
    .command('track')
    .description('site tracking events: ingest')
    .command('ingest')
    .description('load NDJSON tracking events (one JSON object a line) into raw.events')
    .argument('<file>', 'an NDJSON file, or - for stdin')
    .addHelpText('after', example('ops track ingest events.ndjson', 'zcat events.ndjson.gz | ops track ingest -'))
    .action(async (file: string) => {
      const [{ runTasks }, { trackIngest }] = await Promise.all([import('./commands/run-tasks.js'), import('./tasks/track-ingest.js')]);
      done(await runTasks([{ task: trackIngest, options: { file } }], globals()));
    });
  program
    .command('process-tracking')
    .description('move tracking events raw → staging → business, only when work exists')
    .option('--reprocess', 'rebuild the business facts from staging')
    .addOption(new Option('--since <date>', 'with --reprocess: from this date on (default: everything)').argParser(sinceDate))
    .addHelpText('after', example('ops process-tracking', 'ops process-tracking --reprocess --since 2026-11-01'))
    .action(async (opts) => {
      if (opts.since && !opts.reprocess)
        throw new CommanderError(ExitCode.usage, 'ops.sinceWithoutReprocess', 'error: --since goes with --reprocess\n(run with --help for usage)');
      const [{ runTasks }, { processTracking }] = await Promise.all([import('./commands/run-tasks.js'), import('./tasks/process-tracking.js')]);
      done(await runTasks([{ task: processTracking, options: { reprocess: Boolean(opts.reprocess), since: opts.since } }], globals()));
    });
  program
    .command('tracking-status')
    .description('the tracking pipeline at a glance: raw, staged, duplicates, quarantined, business, lag, last runs')
    .addHelpText('after', example('ops tracking-status', 'ops tracking-status --json'))
    .action(async () => {
      const { trackingStatusCommand } = await import('./commands/tracking-status.js');
      done(await trackingStatusCommand(globals()));
    });
  program
    .command('tracking-quarantine')
    .description('quarantined tracking events with their reasons; --replay validates them again')
    .option('--reason <reason>', 'only this reason (see the README for the list)')
    .addOption(new Option('--limit <n>', 'at most this many (listed, or replayed)').argParser(positiveInt))
    .option('--replay', 'validate again with this version; stage the events that now pass')
    .addHelpText('after', example('ops tracking-quarantine --reason invalid_time --limit 5', 'ops tracking-quarantine --replay --json'))
    .action(async (opts) => {
      const { trackingQuarantineCommand } = await import('./commands/tracking-quarantine.js');
      done(await trackingQuarantineCommand(globals(), { reason: opts.reason, limit: opts.limit, replay: Boolean(opts.replay) }));
    });

  // URL catalogue (issue 16): daily-tasks and its steps.
  program
    .command('daily-tasks')
    .description('airtable-sync → crawler-check → zero-sessions → catalogue; each step its own run; a failing step does not stop the next')
    .option('--auto-update', 'zero-sessions pauses without asking (what a scheduler wants)')
    .addOption(new Option('--days <n>', 'zero-sessions: days of sessions to look at').default(30).argParser(positiveInt))
    .addOption(new Option('--count <n>', 'catalogue: at most this many').argParser(positiveInt))
    .option('--dry-run', 'every step reads, none writes')
    .addHelpText('after', example('ops daily-tasks --auto-update', 'ops daily-tasks --json'))
    .action(async (opts) => {
      const [{ runTasks }, { dailyTasks }, { terminalConfirm }] = await Promise.all([
        import('./commands/run-tasks.js'),
        import('./tasks/daily-tasks.js'),
        import('./commands/confirm.js'),
      ]);
      const options = { autoUpdate: Boolean(opts.autoUpdate), days: opts.days, count: opts.count, dryRun: Boolean(opts.dryRun), confirm: terminalConfirm() };
      done(await runTasks([{ task: dailyTasks, options }], globals()));
    });

  program
    .command('airtable-sync')
    .description('insert new URLs from the Airtable view into the catalogue; apply page_status changes')
    .option('--dry-run', 'read Airtable, write nothing')
    .addHelpText('after', example('ops airtable-sync', 'ops airtable-sync --json'))
    .action(async (opts) => {
      const [{ runTasks }, { airtableSync }] = await Promise.all([import('./commands/run-tasks.js'), import('./tasks/airtable-sync.js')]);
      done(await runTasks([{ task: airtableSync, options: { dryRun: Boolean(opts.dryRun) } }], globals()));
    });
  program
    .command('crawler-check')
    .description('refresh status codes of URLs the crawler saw change; mark them for cataloguing again')
    .option('--dry-run', 'ask the crawler, write nothing')
    .addHelpText('after', example('ops crawler-check', 'ops crawler-check --json'))
    .action(async (opts) => {
      const [{ runTasks }, { crawlerCheck }] = await Promise.all([import('./commands/run-tasks.js'), import('./tasks/crawler-check.js')]);
      done(await runTasks([{ task: crawlerCheck, options: { dryRun: Boolean(opts.dryRun) } }], globals()));
    });
  program
    .command('zero-sessions')
    .description('pause in Airtable the active URLs with zero sessions over the last N days (BigQuery)')
    .option('--auto-update', 'pause without asking (for a scheduler)')
    .option('--cache', 'use the last stored BigQuery result instead of querying')
    .addOption(new Option('--days <n>', 'days of sessions to look at').default(30).argParser(positiveInt))
    .option('--dry-run', 'report what would be paused, change nothing')
    .addHelpText('after', example('ops zero-sessions', 'ops zero-sessions --auto-update --days 30', 'ops zero-sessions --cache'))
    .action(async (opts) => {
      const [{ runTasks }, { zeroSessions }, { terminalConfirm }] = await Promise.all([
        import('./commands/run-tasks.js'),
        import('./tasks/zero-sessions.js'),
        import('./commands/confirm.js'),
      ]);
      const options = { autoUpdate: Boolean(opts.autoUpdate), cache: Boolean(opts.cache), days: opts.days, dryRun: Boolean(opts.dryRun) };
      done(await runTasks([{ task: zeroSessions, options: { ...options, confirm: terminalConfirm() } }], globals()));
    });
  program
    .command('catalogue')
    .description('fetch every waiting URL (status 0 or 200) through ScrapingBee and catalogue it with the LLM')
    .addOption(new Option('--count <n>', 'catalogue this many, then stop').argParser(positiveInt))
    .option('--url <url>', 'only this URL')
    .addOption(new Option('--concurrency <n>', 'URLs at once (default CATALOGUE_CONCURRENCY, 5)').argParser(positiveInt))
    .option('--dry-run', 'list what would be catalogued; call nothing')
    .addHelpText('after', example('ops catalogue', 'ops catalogue --count 10', 'ops catalogue --url https://example.com/spa'))
    .action(async (opts) => {
      const [{ runTasks }, { catalogue }] = await Promise.all([import('./commands/run-tasks.js'), import('./tasks/catalogue.js')]);
      const options = { count: opts.count, url: opts.url, concurrency: opts.concurrency, dryRun: Boolean(opts.dryRun) };
      done(await runTasks([{ task: catalogue, options }], globals()));
    });
  program
    .command('catalogue-status')
    .description('the URL catalogue: counts by state, what is waiting, the last run of each step, tokens and cost')
    .addHelpText('after', example('ops catalogue-status', 'ops catalogue-status --json'))
    .action(async () => {
      const { catalogueStatusCommand } = await import('./commands/catalogue-status.js');
      done(await catalogueStatusCommand(globals()));
    });
  // END URL catalogue

  // Tracking ingest (issue 18): the server and its write keys.
  program
    .command('serve')
    .description('serve the tracking ingest (ours and Segment-compatible) and health endpoints; process-tracking runs in the background')
    .addOption(new Option('--port <port>', 'port to listen on (0: any free port)').default(8080).argParser(port))
    .option('--host <host>', 'address to bind (127.0.0.1 unless told otherwise)', '127.0.0.1')
    .addHelpText('after', example('ops serve', 'DATABASE_URL=postgres://ops@db/ops ops serve --host 0.0.0.0 --port 8080'))
    .action(async (opts) => {
      const { serveCommand } = await import('./commands/serve.js');
      done(await serveCommand(globals(), { port: opts.port, host: opts.host }));
    });
  const tokens = program.command('tokens').description('write keys of the tracking ingest (stored hashed)');
  tokens
    .command('create')
    .description('make a write key for a customer; it is printed once')
    .requiredOption('--customer <id>', 'the customer_id its events get')
    .option('--name <name>', 'what it is for', 'site')
    .addHelpText('after', example('ops tokens create --customer one_spa --name site'))
    .action(async (opts) => {
      const { tokensCreateCommand } = await import('./commands/tokens.js');
      done(await tokensCreateCommand(globals(), { customer: opts.customer, name: opts.name }));
    });
  tokens
    .command('list')
    .description('every write key: id, customer, name, first characters, created, revoked')
    .addHelpText('after', example('ops tokens list', 'ops tokens list --json'))
    .action(async () => {
      const { tokensListCommand } = await import('./commands/tokens.js');
      done(await tokensListCommand(globals()));
    });
  tokens
    .command('revoke')
    .description('refuse a write key from now on (ops serve notices within OPS_INGEST_KEY_CACHE_SECONDS)')
    .argument('<id>', 'the token (ops tokens list)', positiveInt)
    .addHelpText('after', example('ops tokens revoke 3'))
    .action(async (id: number) => {
      const { tokensRevokeCommand } = await import('./commands/tokens.js');
      done(await tokensRevokeCommand(globals(), id));
    });
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
