/** Settings every run reads, whatever the task. */
import { settings } from './config.js';

export const runtimeSettings = {
  databaseUrl: settings.url('DATABASE_URL', 'Postgres connection string; unset means the embedded database under OPS_DATA_DIR', {
    protocols: ['postgres:', 'postgresql:'],
    example: 'postgres://ops:secret@db.internal:5432/ops',
  }),
  dataDir: settings.string('OPS_DATA_DIR', 'folder of the embedded database and local state', { default: './data' }),
  outputDir: settings.string('OPS_OUTPUT_DIR', 'folder for CSV files and other outputs', { default: './output' }),
  env: settings.oneOf('OPS_ENV', 'deployment kind: development logs at debug level and prints stack traces of internal errors', ['production', 'development'] as const, { default: 'production' }),
  lockWaitSeconds: settings.number('OPS_LOCK_WAIT_SECONDS', 'how long a run waits for a lock held by another run before it records skipped', { min: 0, max: 3600 }, { default: 5 }),
  autoMigrate: settings.bool('OPS_AUTO_MIGRATE', 'apply pending migrations before a task runs', { default: true }),
  logLevel: settings.oneOf('OPS_LOG_LEVEL', 'least severe log level written', ['debug', 'info', 'warn', 'error'] as const, { default: 'info' }),
};
