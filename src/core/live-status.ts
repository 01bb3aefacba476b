/**
 * While a run holds the embedded database, no other process can open it, so
 * `ops status` in another terminal could say nothing. The run therefore keeps
 * a small file with its progress under OPS_DATA_DIR/live/, which those
 * commands read instead. Written at most twice a second, removed at the end.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { ProgressState } from './output.js';

export interface LiveStatus extends Partial<ProgressState> {
  run_id: string;
  task: string;
  pid: number;
  host: string;
  started_at: string;
  updated_at: string;
}

export interface LiveStatusWriter {
  update(state: ProgressState): void;
  clear(): void;
}

const MIN_INTERVAL_MS = 500;

export function liveStatusWriter(dir: string, run: { runId: string; task: string; startedAt: Date }): LiveStatusWriter {
  const path = join(dir, `${run.runId}.json`);
  let last = 0;
  const write = (state: ProgressState) => {
    const status: LiveStatus = {
      run_id: run.runId,
      task: run.task,
      pid: process.pid,
      host: hostname(),
      started_at: run.startedAt.toISOString(),
      updated_at: new Date().toISOString(),
      ...state,
    };
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${path}.tmp`, JSON.stringify(status));
      renameSync(`${path}.tmp`, path);
    } catch {
      // Progress for other terminals is a courtesy: never a reason to fail the run.
    }
  };
  write({ done: 0 });
  return {
    update(state) {
      const now = Date.now();
      const finished = state.total !== undefined && state.done >= state.total;
      if (!finished && now - last < MIN_INTERVAL_MS) return;
      last = now;
      write(state);
    },
    clear() {
      rmSync(path, { force: true });
    },
  };
}

/** The runs in progress, as their files say (files of processes gone from this host are ignored). */
export function readLiveStatuses(dir: string, isAlive: (pid: number) => boolean): LiveStatus[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: LiveStatus[] = [];
  for (const name of names) {
    try {
      const status = JSON.parse(readFileSync(join(dir, name), 'utf8')) as LiveStatus;
      if (status.host === hostname() && !isAlive(status.pid)) continue;
      out.push(status);
    } catch {
      /* being replaced */
    }
  }
  return out;
}
