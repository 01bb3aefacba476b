/**
 * One CSV per center: fixed header, written to a temporary file and renamed,
 * so a reader never sees half a file. The file name comes from an untrusted
 * slug: it is made safe and checked to stay inside the output folder. Cells
 * that a spreadsheet would run as a formula are neutralised.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { toSafeFileName } from '../../core/safe-name.js';

export const CSV_COLUMNS = [
  'center_id',
  'center_name',
  'name',
  'date',
  'start_time',
  'end_time',
  'venue',
  'address',
  'city',
  'url',
  'category',
  'description',
] as const;

export type CsvRow = Record<(typeof CSV_COLUMNS)[number], string | null>;

/** A cell starting with = + - @ tab or CR is prefixed with ' so that it stays text. */
export function neutraliseFormula(value: string | null): string {
  if (value === null) return '';
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export function csvText(rows: CsvRow[]): string {
  return stringify(
    rows.map((row) => CSV_COLUMNS.map((col) => neutraliseFormula(row[col]))),
    { header: true, columns: [...CSV_COLUMNS], record_delimiter: '\n' },
  );
}

/** The run's folder: OPS_OUTPUT_DIR/events/<run id>. */
export function runFolder(outputDir: string, runId: string): string {
  return join(resolve(outputDir), 'events', toSafeFileName(runId));
}

/**
 * Picks the file for a slug inside the run folder: safe characters only, and
 * a suffix when two slugs clean up to the same name.
 */
export function csvPathFor(folder: string, slug: string, taken: Set<string>): string {
  const base = toSafeFileName(slug);
  let name = `${base}.csv`;
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}.csv`;
  taken.add(name);
  const path = resolve(folder, name);
  if (!path.startsWith(resolve(folder) + sep)) throw new Error(`refusing to write outside ${folder}: ${path}`);
  return path;
}

/** Writes the CSV atomically; when that fails (full disk…), the temporary file goes too. */
export function writeCsv(path: string, rows: CsvRow[]): void {
  mkdirSync(resolve(path, '..'), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, csvText(rows));
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is someone else's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes `*.csv.tmp-<pid>` files left in a run folder by a process that died
 * mid-write (killed, or a crash before its clean-up). A live pid's file is
 * left alone: that process may still be writing it. Returns what was removed.
 */
export function sweepTempFiles(folder: string): string[] {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = /\.csv\.tmp-(\d+)$/.exec(name);
    if (!match || processIsAlive(Number(match[1]))) continue;
    rmSync(join(folder, name), { force: true });
    removed.push(name);
  }
  return removed;
}
