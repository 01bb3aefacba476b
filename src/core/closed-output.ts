/**
 * When the reader of stdout or stderr goes away (the `ops serve` that started
 * this run stopped; `ops logs | head` had enough), the next write there fails
 * with EPIPE, emitted as an 'error' event that nothing handles: the process
 * would die of it mid-run, its task_logs row left `running` until stale-run
 * recovery. The run matters more than its output: from the first EPIPE on,
 * that stream is no longer written to. Any other error stays fatal.
 */
type Stream = NodeJS.WriteStream;

export function dropOutputWhenClosed(streams: Stream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      stream.write = ((_chunk: unknown, encoding?: unknown, callback?: unknown) => {
        const done = typeof encoding === 'function' ? encoding : callback;
        if (typeof done === 'function') process.nextTick(done);
        return true;
      }) as Stream['write'];
    });
  }
}
