/**
 * How a run talks to its operator: the logger, the progress line and the
 * final summary. Chosen once from the global flags and whether stderr is a
 * terminal. ora is loaded only for an interactive run.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import { createLogger, jsonLineSink, type Level, type Logger, type LogRecord, type LogSink } from './log.js';
import { redact } from './redact.js';

export interface OutputOptions {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  color?: boolean;
  level?: Level;
  /** Overrides the terminal check (tests). */
  interactive?: boolean;
}

export interface ProgressState {
  done: number;
  total?: number;
  /** What one item is called: "page" gives "page 7/25". */
  noun?: string;
  label?: string;
}

export interface Progress {
  update(state: ProgressState): void;
  stop(): void;
}

interface Spinner {
  text: string;
  start(): Spinner;
  stop(): Spinner;
  clear(): Spinner;
  render(): Spinner;
}

/** The spinners drawing now, so that a question on the terminal can hold them. */
const spinning = new Set<Spinner>();

/**
 * Stops every spinner while a question is on the terminal (a spinner redraws
 * its line many times a second, over the prompt and what is typed); the
 * function it returns starts them again.
 */
export function holdSpinners(): () => void {
  const held = [...spinning];
  for (const spinner of held) spinner.stop();
  return () => {
    for (const spinner of held) if (spinning.has(spinner)) spinner.start();
  };
}

export class Output {
  readonly interactive: boolean;
  readonly color: ChalkInstance;
  readonly log: Logger;
  private spinner: Spinner | undefined;
  private lastProgressLog = 0;

  constructor(private readonly options: OutputOptions = {}) {
    // A terminal without a size (some ptys) cannot host a spinner: treat it like a pipe.
    this.interactive = options.interactive ?? Boolean(process.stderr.isTTY && (process.stderr.columns ?? 0) > 0 && !process.env.CI);
    // chalk 5 ignores NO_COLOR on a terminal, so it is honoured here.
    const colorOn = options.color !== false && !process.env.NO_COLOR && this.interactive;
    this.color = new Chalk({ level: colorOn ? 1 : 0 });
    // On a terminal the spinner and the summary tell the story; info lines are for --verbose.
    const level: Level = options.verbose ? 'debug' : options.quiet ? 'warn' : (options.level ?? (this.interactive ? 'warn' : 'info'));
    const sink = this.interactive ? this.prettySink() : jsonLineSink(process.stderr);
    this.log = createLogger(sink, level);
  }

  private prettySink(): LogSink {
    const c = this.color;
    const paint: Record<string, (s: string) => string> = { debug: c.gray, info: (s) => s, warn: c.yellow, error: c.red };
    return {
      write: (record: LogRecord) => {
        const { time: _t, level, msg, task: _task, run_id: _run, ...fields } = record;
        const extra = Object.entries(fields)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ');
        this.spinner?.clear();
        process.stderr.write(`${paint[level](level === 'info' ? msg : `${level}: ${msg}`)}${extra ? c.gray(` ${extra}`) : ''}\n`);
        this.spinner?.render();
      },
    };
  }

  /** A progress line: a spinner on a terminal, an occasional JSON line elsewhere. */
  async progress(task: string, log: Logger): Promise<Progress> {
    if (this.options.quiet) return { update() {}, stop() {} };
    if (!this.interactive) {
      return {
        update: (state) => {
          const now = Date.now();
          const finished = state.total !== undefined && state.done >= state.total;
          if (!finished && now - this.lastProgressLog < 5000) return;
          this.lastProgressLog = now;
          log.info('progress', { done: state.done, total: state.total, item: state.label });
        },
        stop() {},
      };
    }
    const { default: ora } = await import('ora');
    const spinner = ora({ text: `${task}…`, stream: process.stderr, color: 'cyan', isEnabled: true }).start() as unknown as Spinner;
    this.spinner = spinner;
    spinning.add(spinner);
    return {
      update: (state) => {
        const count = state.total !== undefined ? `${state.done}/${state.total}` : `${state.done}`;
        const label = state.label ? ` · ${redact(state.label)}` : '';
        spinner.text = `${task} ${state.noun ? `${state.noun} ` : ''}${count}${label}`;
      },
      stop: () => {
        spinning.delete(spinner);
        spinner.stop();
        this.spinner = undefined;
      },
    };
  }

  /** Writes a document to stdout as JSON (for --json). */
  printJson(value: unknown): void {
    // Not cut: a --json document must stay whole (each string in it was capped where it was made).
    process.stdout.write(`${redact(JSON.stringify(value, null, 2), Infinity)}\n`);
  }

  /** Writes human text to stdout, unless --quiet. */
  print(text: string): void {
    if (!this.options.quiet) process.stdout.write(`${redact(text)}\n`);
  }
}
