/**
 * Keeps a command running when the reader of its stdout or stderr goes away, for example
 * `rxtrain train … | tee run.txt` stopped with Ctrl-C, which kills `tee` as well as training.
 * Node reports the failed write as an `'error'` event (EPIPE); unhandled, that event ends the
 * process at once, before training has written the checkpoint Ctrl-C promises. With this
 * listener the output is dropped from then on (Node discards writes to a destroyed stream) and
 * `onClosed` is told once. Other write errors are dropped the same way: losing console output
 * must never cost a training run. The log file is written separately.
 *
 * @example
 * ```ts
 * ignoreClosedOutput(process.stderr, (e) => logToFileOnly(`console gone: ${e.message}`));
 * process.stderr.write('still safe after the reader quit\n');
 * ```
 */
export function ignoreClosedOutput(stream: NodeJS.EventEmitter, onClosed?: (e: Error) => void): () => void {
  let told = false;
  const listener = (e: Error): void => {
    if (!told) onClosed?.(e);
    told = true;
  };
  stream.on('error', listener);
  return () => {
    stream.off('error', listener);
  };
}
