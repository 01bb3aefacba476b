/**
 * `ops` as a package a team imports: from a folder outside this repository,
 * with `node_modules/ops` linked to it (as `npm install ../ops` or a registry
 * install makes it), `import { defineTask, defineEventTask } from 'ops'` is
 * type-checked by tsc against the package's own types and loads in node,
 * without naming dist/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

function consumer(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ops-consumer-'));
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  symlinkSync(root, join(dir, 'node_modules', 'ops'), 'dir');
  symlinkSync(join(root, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'team-tasks', type: 'module', private: true }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', types: ['node'] },
      include: ['*.ts'],
    }),
  );
  writeFileSync(join(dir, 'task.ts'), source);
  return dir;
}

const GOOD = `
import { defineTask, defineEventTask, settings, type TaskContext } from 'ops';

export const report = defineTask({
  name: 'send-report',
  summary: 'send the weekly report',
  settings: { to: settings.string('REPORT_TO', 'recipient', { default: 'ops@example.com' }) },
  options: { days: { type: 'number', description: 'days covered', default: 7 } },
  async run(ctx, options: { days: number }) {
    const to: string = ctx.config.to;
    return { sent: 1, to, days: options.days };
  },
});

export const remind = defineEventTask({
  name: 'remind-owner',
  summary: 'remind the owner a day before',
  offset: { hours: -24 },
  misfireGrace: { hours: 1 },
  async query() { return [{ id: 1, at: new Date() }]; },
  eventTime: (item: { id: number; at: Date }) => item.at,
  async execute(ctx, item) { ctx.log.info('reminded', { id: item.id, key: ctx.job.key }); },
});

export type Ctx = TaskContext<unknown, { to: string }>;
export const shapes = [report.name, remind.kind, typeof report.run];
`;

test('a module outside the repo imports defineTask and defineEventTask from "ops": type-checked and loaded', () => {
  const dir = consumer(GOOD);
  execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir, stdio: 'pipe' });
  const out = execFileSync(process.execPath, ['-e', "import('./out/task.js').then((m) => console.log(JSON.stringify(m.shapes)))"], {
    cwd: dir,
    encoding: 'utf8',
  });
  assert.deepEqual(JSON.parse(out), ['send-report', 'event', 'function']);
});

test("the package's types catch a task that breaks the contract", () => {
  const dir = consumer(`
import { defineTask } from 'ops';
export default defineTask({ name: 'x', summary: 'y', settings: {}, run: async (ctx) => ctx.nonsense });
`);
  const result = spawnSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json'), '--noEmit'], { cwd: dir, encoding: 'utf8' });
  assert.notEqual(result.status, 0);
  assert.match(result.stdout, /nonsense/);
});

test('only the public entry is exported: dist/ internals are not importable by name', () => {
  const dir = consumer('export {};');
  const result = spawnSync(process.execPath, ['-e', "import('ops/dist/src/core/runner.js')"], { cwd: dir, encoding: 'utf8' });
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED/);
});
