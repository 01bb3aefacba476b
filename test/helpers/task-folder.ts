/** A team's folder of task modules (OPS_TASKS_DIR) outside the repo, with `ops` linked as its dependency. */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

export function taskFolder(modules: Record<string, string>): { dir: string; tasks: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ops-team-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'ops'), 'dir');
  const tasks = join(dir, 'tasks');
  mkdirSync(tasks);
  for (const [name, source] of Object.entries(modules)) writeFileSync(join(tasks, name), source);
  return { dir, tasks };
}
