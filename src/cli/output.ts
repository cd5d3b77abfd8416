/**
 * The commands' JSON lines on stdout, and what happens when their reader goes away
 * (`magnetar consume ... | head -1`): the write fails with EPIPE, `print` answers false, and
 * the command ends its own way (consume stops before acking what was not printed, and still
 * closes or unsubscribes), instead of an unhandled 'error' with a stack trace.
 */

let readerGone = false;

const GONE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED']);

function isGone(err: unknown): boolean {
  return GONE.has((err as NodeJS.ErrnoException | null)?.code ?? '');
}

/** For main: a closed reader is an expected end; any other stdout error is not. */
export function guardStdout(): void {
  process.stdout.on('error', (err) => {
    if (isGone(err)) readerGone = true;
    else throw err;
  });
}

/** Writes `value` as one JSON line; resolves false when the reader has gone away. */
export function print(value: unknown): Promise<boolean> {
  if (readerGone) return Promise.resolve(false);
  return new Promise((resolve) => {
    process.stdout.write(JSON.stringify(value) + '\n', (err) => {
      if (err && isGone(err)) readerGone = true;
      resolve(!err);
    });
  });
}
