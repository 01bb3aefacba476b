/**
 * Every task, by name, loaded on demand. `ops doctor` walks this list; a new
 * task is one file in src/tasks plus one line here and its command in cli.ts.
 */
import type { TaskDefinition } from '../core/task.js';

export const taskLoaders: Record<string, () => Promise<TaskDefinition<any, any, any>>> = {
  'sync-centers': async () => (await import('./sync-centers.js')).syncCenters,
  'run-batch': async () => (await import('./run-batch.js')).runBatch,
  'discover-events': async () => (await import('./discover-events.js')).discoverEvents,
  'sync-event': async () => (await import('./sync-event.js')).syncEvent,
  'track-ingest': async () => (await import('./track-ingest.js')).trackIngest,
  'process-tracking': async () => (await import('./process-tracking.js')).processTracking,
  'tracking-replay': async () => (await import('./tracking-replay.js')).trackingReplay,
  'airtable-sync': async () => (await import('./airtable-sync.js')).airtableSync,
  'crawler-check': async () => (await import('./crawler-check.js')).crawlerCheck,
  'zero-sessions': async () => (await import('./zero-sessions.js')).zeroSessions,
  catalogue: async () => (await import('./catalogue.js')).catalogue,
  'daily-tasks': async () => (await import('./daily-tasks.js')).dailyTasks,
};
