/**
 * zero-sessions without --auto-update on a terminal: the real `ops` under a
 * pseudo-terminal (util-linux `script`), the question answered as a person
 * would, once the prompt is on the screen. Yes pauses (≤ 10 records a PATCH),
 * no and Ctrl+D change nothing, Ctrl+C interrupts; task_logs says which.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { backends, type TestDatabase } from './helpers/db.js';
import { baseEnv, OPS_BIN, runOps } from './helpers/ops.js';

const PROMPT = '[y/N] ';
const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
const noPty = hasScript ? undefined : 'util-linux `script` is not installed (it provides the pseudo-terminal)';

interface TerminalRun {
  code: number | null;
  /** Everything the terminal showed (stdout and stderr together). */
  screen: string;
  /** What the terminal showed between the prompt and the answer. */
  whileAsking: string;
}

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * Runs ops on a pseudo-terminal `cols` wide and, once the prompt has been on
 * the screen for `thinkMs`, types `keys`. Nothing is typed when no prompt comes.
 */
function runOnTerminal(args: string[], env: NodeJS.ProcessEnv, keys: string, { cols = 120, thinkMs = 400 } = {}): Promise<TerminalRun> {
  const command = `stty cols ${cols} rows 40; exec ${[process.execPath, OPS_BIN, ...args].map(quote).join(' ')}`;
  const child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let screen = '';
  let asked = -1;
  let answered = -1;
  const onData = (d: Buffer) => {
    screen += d.toString();
    if (asked < 0 && screen.includes(PROMPT)) {
      asked = screen.indexOf(PROMPT) + PROMPT.length;
      setTimeout(() => {
        answered = screen.length;
        child.stdin.write(keys);
      }, thinkMs);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen, whileAsking: asked < 0 ? '' : screen.slice(asked, answered < 0 ? undefined : answered) });
    }),
  );
}

async function withSandbox(fn: (sandbox: Sandbox) => Promise<void>): Promise<void> {
  // A sandbox per test: pausing changes the simulated Airtable.
  const sandbox = await startSandbox({ centers: 1, catalogue: { pages: 60 } });
  try {
    await fn(sandbox);
  } finally {
    await sandbox.close();
  }
}

const zeroActive = (sandbox: Sandbox) => sandbox.catalogue.pages.filter((p) => p.sessions === 0 && p.pageStatus === 'Active');
const pausedInDb = (db: TestDatabase) =>
  db.use(async (k) => (await k.selectFrom('catalogue_urls').select('url').where('page_status', '=', 'Paused').execute()).length);
const lastRun = (db: TestDatabase, task: string) =>
  db.use((k) => k.selectFrom('task_logs').selectAll().where('task', '=', task).orderBy('started_at', 'desc').limit(1).executeTakeFirstOrThrow());

/** A database with the Airtable view synced, and the Airtable simulator's counters at zero. */
async function prepared(sandbox: Sandbox, backend: (typeof backends)[number]) {
  const db = await backend.create();
  const env = baseEnv({ ...sandbox.env, ...db.env });
  assert.equal((await runOps(['airtable-sync'], env)).code, 0);
  sandbox.catalogue.airtable.resetStats();
  return { db, env, before: await pausedInDb(db) };
}

/** Nothing reached Airtable, nothing changed in the catalogue, the run says what it would have paused. */
async function assertNothingWritten(sandbox: Sandbox, db: TestDatabase, before: number) {
  assert.equal(sandbox.catalogue.airtable.stats().requests, 0, 'no request reached Airtable');
  assert.equal(await pausedInDb(db), before);
  const run = await lastRun(db, 'zero-sessions');
  assert.equal(run.status, 'success');
  assert.equal(run.stats.paused, 0);
  assert.equal(run.stats.would_pause, zeroActive(sandbox).length);
}

for (const backend of backends) {
  describe(`zero-sessions asks on a terminal, on ${backend.name}`, { skip: backend.skip ?? noPty }, () => {
    test('yes: every zero-session URL paused in Airtable, at most 10 records a PATCH; no spinner over the prompt', () =>
      withSandbox(async (sandbox) => {
        const { db, env, before } = await prepared(sandbox, backend);
        const zero = zeroActive(sandbox);
        assert.ok(zero.length > 10, 'enough URLs for more than one PATCH');
        const run = await runOnTerminal(['zero-sessions'], env, 'y\r');
        assert.equal(run.code, 0, run.screen);
        assert.match(run.screen, new RegExp(`Pause ${zero.length} URL\\(s\\) with zero sessions in Airtable\\?`));
        // A spinner frame drawn while the question waits would cover the prompt and what is typed.
        assert.doesNotMatch(run.whileAsking, /zero-sessions…|[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/, `the spinner drew while asking: ${JSON.stringify(run.whileAsking)}`);
        assert.doesNotMatch(run.screen, /\(node:\d+\) \w*Warning/);

        const stats = sandbox.catalogue.airtable.stats();
        assert.deepEqual(Object.keys(stats.byStatus), ['200'], 'the simulator refused no PATCH (it answers 422 to more than 10 records)');
        assert.equal(stats.patchRequests, Math.ceil(zero.length / 10));
        assert.equal(stats.patchedRecords, zero.length);
        const records = new Map(sandbox.catalogue.airtable.records().map((r) => [r.id, r.fields.page_status]));
        for (const p of zero) assert.equal(records.get(p.recordId), 'Paused', p.url);
        assert.equal(await pausedInDb(db), before + zero.length);

        const logged = await lastRun(db, 'zero-sessions');
        assert.equal(logged.status, 'success');
        assert.equal(logged.stats.paused, zero.length);
        assert.equal(logged.stats.active_with_zero, zero.length);
        assert.equal(logged.stats.would_pause, undefined);
      }));

    test('no: nothing written to Airtable; task_logs says what would have been paused', () =>
      withSandbox(async (sandbox) => {
        const { db, env, before } = await prepared(sandbox, backend);
        const run = await runOnTerminal(['zero-sessions'], env, 'n\r');
        assert.equal(run.code, 0, run.screen);
        assert.match(run.screen, /not confirmed: nothing changed in Airtable/);
        await assertNothingWritten(sandbox, db, before);
      }));

    test('Ctrl+D (end of input) is no: nothing written, the run a success, not an interruption', () =>
      withSandbox(async (sandbox) => {
        const { db, env, before } = await prepared(sandbox, backend);
        const run = await runOnTerminal(['zero-sessions'], env, '\x04');
        assert.equal(run.code, 0, run.screen);
        assert.match(run.screen, /not confirmed: nothing changed in Airtable/);
        await assertNothingWritten(sandbox, db, before);
      }));

    test('Ctrl+C at the prompt interrupts the run (exit 130, recorded interrupted); nothing written', () =>
      withSandbox(async (sandbox) => {
        const { db, env, before } = await prepared(sandbox, backend);
        const run = await runOnTerminal(['zero-sessions'], env, '\x03');
        assert.equal(run.code, 130, run.screen);
        assert.equal(sandbox.catalogue.airtable.stats().requests, 0);
        assert.equal(await pausedInDb(db), before);
        const logged = await lastRun(db, 'zero-sessions');
        assert.equal(logged.status, 'interrupted');
        assert.match(logged.error ?? '', /SIGINT/);
      }));

    test('daily-tasks on a terminal asks in its zero-sessions step; no leaves Airtable untouched', () =>
      withSandbox(async (sandbox) => {
        const { db, env, before } = await prepared(sandbox, backend);
        const run = await runOnTerminal(['daily-tasks'], env, 'n\r');
        assert.ok(run.whileAsking !== '' || run.screen.includes(PROMPT), `daily-tasks asked: ${run.screen.slice(-2000)}`);
        assert.doesNotMatch(run.whileAsking, /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/, `a spinner drew while asking: ${JSON.stringify(run.whileAsking)}`);
        assert.equal(sandbox.catalogue.airtable.stats().patchRequests, 0);
        assert.equal(await pausedInDb(db), before);
        const step = await lastRun(db, 'zero-sessions');
        assert.equal(step.status, 'success');
        assert.equal(step.stats.paused, 0);
        assert.equal(step.stats.would_pause, zeroActive(sandbox).length);
        assert.ok(step.parent_run_id, 'the step is linked to its daily-tasks run');
      }));
  });
}
