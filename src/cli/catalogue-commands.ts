/** The URL catalogue commands: daily-tasks and its steps, catalogue-status. */
import { Option } from 'commander';
import { example, positiveInt, type Wiring } from './flags.js';

export function registerCatalogueCommands({ program, globals, done }: Wiring): void {
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
        import('../commands/run-tasks.js'),
        import('../tasks/daily-tasks.js'),
        import('../commands/confirm.js'),
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
      const [{ runTasks }, { airtableSync }] = await Promise.all([import('../commands/run-tasks.js'), import('../tasks/airtable-sync.js')]);
      done(await runTasks([{ task: airtableSync, options: { dryRun: Boolean(opts.dryRun) } }], globals()));
    });
  program
    .command('crawler-check')
    .description('refresh status codes of URLs the crawler saw change; mark them for cataloguing again')
    .option('--dry-run', 'ask the crawler, write nothing')
    .addHelpText('after', example('ops crawler-check', 'ops crawler-check --json'))
    .action(async (opts) => {
      const [{ runTasks }, { crawlerCheck }] = await Promise.all([import('../commands/run-tasks.js'), import('../tasks/crawler-check.js')]);
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
        import('../commands/run-tasks.js'),
        import('../tasks/zero-sessions.js'),
        import('../commands/confirm.js'),
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
      const [{ runTasks }, { catalogue }] = await Promise.all([import('../commands/run-tasks.js'), import('../tasks/catalogue.js')]);
      const options = { count: opts.count, url: opts.url, concurrency: opts.concurrency, dryRun: Boolean(opts.dryRun) };
      done(await runTasks([{ task: catalogue, options }], globals()));
    });
  program
    .command('catalogue-status')
    .description('the URL catalogue: counts by state, what is waiting, the last run of each step, tokens and cost')
    .addHelpText('after', example('ops catalogue-status', 'ops catalogue-status --json'))
    .action(async () => {
      const { catalogueStatusCommand } = await import('../commands/catalogue-status.js');
      done(await catalogueStatusCommand(globals()));
    });
  // END URL catalogue
}
