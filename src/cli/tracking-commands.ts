/** The site-tracking commands (track ingest, process-tracking, tracking-status, tracking-quarantine) and ops serve with its write keys. */
import { CommanderError, InvalidArgumentError, Option } from 'commander';
import { ExitCode } from '../core/errors.js';
import { example, port, positiveInt, type Wiring } from './flags.js';

export function registerTrackingCommands({ program, globals, done }: Wiring): void {
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
      const [{ runTasks }, { trackIngest }] = await Promise.all([import('../commands/run-tasks.js'), import('../tasks/track-ingest.js')]);
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
      const [{ runTasks }, { processTracking }] = await Promise.all([import('../commands/run-tasks.js'), import('../tasks/process-tracking.js')]);
      done(await runTasks([{ task: processTracking, options: { reprocess: Boolean(opts.reprocess), since: opts.since } }], globals()));
    });
  program
    .command('tracking-status')
    .description('the tracking pipeline at a glance: raw, staged, duplicates, quarantined, business, lag, last runs')
    .addHelpText('after', example('ops tracking-status', 'ops tracking-status --json'))
    .action(async () => {
      const { trackingStatusCommand } = await import('../commands/tracking-status.js');
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
      const { trackingQuarantineCommand } = await import('../commands/tracking-quarantine.js');
      done(await trackingQuarantineCommand(globals(), { reason: opts.reason, limit: opts.limit, replay: Boolean(opts.replay) }));
    });
}

export function registerServeCommands({ program, globals, done }: Wiring): void {
  // Tracking ingest (issue 18): the server and its write keys.
  program
    .command('serve')
    .description('serve the tracking ingest (ours and Segment-compatible) and health endpoints; process-tracking runs in the background')
    .addOption(new Option('--port <port>', 'port to listen on (0: any free port)').default(8080).argParser(port))
    .option('--host <host>', 'address to bind (127.0.0.1 unless told otherwise)', '127.0.0.1')
    .addHelpText('after', example('ops serve', 'DATABASE_URL=postgres://ops@db/ops ops serve --host 0.0.0.0 --port 8080'))
    .action(async (opts) => {
      const { serveCommand } = await import('../commands/serve.js');
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
      const { tokensCreateCommand } = await import('../commands/tokens.js');
      done(await tokensCreateCommand(globals(), { customer: opts.customer, name: opts.name }));
    });
  tokens
    .command('list')
    .description('every write key: id, customer, name, first characters, created, revoked')
    .addHelpText('after', example('ops tokens list', 'ops tokens list --json'))
    .action(async () => {
      const { tokensListCommand } = await import('../commands/tokens.js');
      done(await tokensListCommand(globals()));
    });
  tokens
    .command('revoke')
    .description('refuse a write key from now on (ops serve notices within OPS_INGEST_KEY_CACHE_SECONDS)')
    .argument('<id>', 'the token (ops tokens list)', positiveInt)
    .addHelpText('after', example('ops tokens revoke 3'))
    .action(async (id: number) => {
      const { tokensRevokeCommand } = await import('../commands/tokens.js');
      done(await tokensRevokeCommand(globals(), id));
    });
}
