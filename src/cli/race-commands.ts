/** The race-event commands: partners, discover-events, sync-event, sync-status. */
import { CommanderError, Option } from 'commander';
import { ExitCode } from '../core/errors.js';
import { example, positiveInt, type Wiring } from './flags.js';

export function registerRaceCommands({ program, globals, done }: Wiring): void {
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
      const { partnersAddCommand } = await import('../commands/partners.js');
      done(await partnersAddCommand(globals(), { name: opts.name, provider: opts.provider, keyEnv: opts.keyEnv, secretEnv: opts.secretEnv }));
    });
  partners
    .command('list')
    .description('every partner, enabled or not, and whether its variables are set here (never their values)')
    .addHelpText('after', example('ops partners list', 'ops partners list --json'))
    .action(async () => {
      const { partnersListCommand } = await import('../commands/partners.js');
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
        const { partnersEnableCommand } = await import('../commands/partners.js');
        done(await partnersEnableCommand(globals(), name, enabled));
      });
  }

  program
    .command('discover-events')
    .description("list every enabled partner's races and events; new events get a full backfill (resumed if interrupted)")
    .option('--partner <name>', 'only this partner')
    .addHelpText('after', example('ops discover-events', 'ops discover-events --partner "Acme Timing" --json'))
    .action(async (opts) => {
      const [{ runTasks }, { discoverEvents }] = await Promise.all([import('../commands/run-tasks.js'), import('../tasks/discover-events.js')]);
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
        const { syncPlanCommand } = await import('../commands/sync-status.js');
        return done(await syncPlanCommand(globals()));
      }
      if (opts.full && opts.event === undefined)
        throw new CommanderError(ExitCode.usage, 'ops.fullNeedsEvent', 'error: --full needs --event ID\n(run with --help for usage)');
      const [{ runTasks }, { syncEvent }] = await Promise.all([import('../commands/run-tasks.js'), import('../tasks/sync-event.js')]);
      done(await runTasks([{ task: syncEvent, options: { event: opts.event, full: Boolean(opts.full) } }], globals()));
    });

  program
    .command('sync-status')
    .description('per event: tier, last sync, next due time, participant counts, bookmark')
    .addOption(new Option('--event <id>', 'one event, with its recent syncs').argParser(positiveInt))
    .addHelpText('after', example('ops sync-status', 'ops sync-status --event 67890', 'ops sync-status --json'))
    .action(async (opts) => {
      const { syncStatusCommand } = await import('../commands/sync-status.js');
      done(await syncStatusCommand(globals(), { event: opts.event }));
    });
}
