/**
 * Logging. Off a terminal (cron, ECS, CI) every line is one JSON object on
 * stderr — time, level, task, run id, message, fields — which is what
 * CloudWatch and jq want. On a terminal lines are short and coloured, and they
 * are printed above the spinner. Every line is redacted before it is written.
 */
import { redact, redactDeep } from './redact.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = Record<string, unknown>;

export interface LogRecord {
  time: string;
  level: Level;
  msg: string;
  task?: string;
  run_id?: string;
  [field: string]: unknown;
}

export interface LogSink {
  write(record: LogRecord): void;
}

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  /** A logger whose lines carry these fields too (task, run_id, …). */
  child(bindings: Fields): Logger;
}

export function createLogger(sink: LogSink, minLevel: Level = 'info', bindings: Fields = {}, now: () => Date = () => new Date()): Logger {
  const emit = (level: Level, msg: string, fields?: Fields) => {
    if (ORDER[level] < ORDER[minLevel]) return;
    const record = redactDeep({ time: now().toISOString(), level, ...bindings, msg, ...fields }) as LogRecord;
    record.msg = redact(msg);
    sink.write(record);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (extra) => createLogger(sink, minLevel, { ...bindings, ...extra }, now),
  };
}

/** One JSON object per line; errors are turned into their message. */
export function jsonLineSink(stream: NodeJS.WritableStream = process.stderr): LogSink {
  return {
    write(record) {
      stream.write(`${JSON.stringify(record, (_key, value) => (value instanceof Error ? value.message : value))}\n`);
    },
  };
}

export const silentLogger: Logger = createLogger({ write() {} });

/** Collects records in memory: for tests. */
export function memorySink(): LogSink & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  return { records, write: (r) => void records.push(r) };
}
