/**
 * The layers, enforced: cli → commands → tasks → integrations / db → core,
 * imports pointing down only; the runtime knows no domain word; the CLI loads
 * no heavy dependency at start-up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const src = join(root, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const layerOf = (file: string) => relative(src, file).split('/')[0].replace(/\.ts$/, '');
const allowed: Record<string, string[]> = {
  core: ['core'],
  db: ['db', 'core'],
  integrations: ['integrations', 'core'],
  sandbox: ['sandbox'],
  tasks: ['tasks', 'db', 'integrations', 'core'],
  server: ['server', 'tasks', 'db', 'core'],
  commands: ['commands', 'server', 'tasks', 'db', 'core', 'sandbox'],
  cli: ['cli', 'commands', 'tasks', 'core'],
  // The package's public entry: the task contract only.
  index: ['core'],
};

test('imports point down only', () => {
  const violations: string[] = [];
  for (const file of files(src)) {
    const from = layerOf(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = join(file, '..', match[1]);
      if (!target.startsWith(src)) continue; // migrations/, prompts/
      const to = layerOf(target);
      if (!allowed[from]?.includes(to)) violations.push(`${relative(root, file)} imports ${match[1]} (${from} → ${to})`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the runtime knows no domain word', () => {
  for (const file of files(join(src, 'core'))) {
    const code = readFileSync(file, 'utf8');
    assert.doesNotMatch(code, /\b(centers?|batch(es)?|slugs?|llm|races?|participants?|airtable|tracking)\b/i, relative(root, file));
  }
});

test('the CLI entry (cli.ts and the command groups it wires, src/cli/) imports no heavy module eagerly', () => {
  for (const file of [join(src, 'cli.ts'), ...files(join(src, 'cli'))]) {
    const eager = [...readFileSync(file, 'utf8').matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    for (const heavy of ['pg', '@electric-sql/pglite', 'kysely', 'openai', 'axios', 'zod', 'ora'])
      assert.ok(!eager.includes(heavy), `${relative(root, file)}: ${heavy}`);
    // A task's, a command's or the database's module loads only when its command runs (commands/context.js is types and flags).
    assert.ok(
      eager.every((m) => !/(^|\/)(tasks|db)\//.test(m) && !/\/commands\/(?!context\.js)/.test(m)),
      `${relative(root, file)}: ${eager.join(', ')}`,
    );
  }
});
