/**
 * The signals that stop a command: Ctrl-C (SIGINT), SIGTERM (`kill`, a service manager) and
 * SIGHUP (the terminal hung up: an ssh connection dropped, the terminal window closed).
 *
 * @example
 * ```ts
 * const code = (s: StopSignal): number => (s === 'SIGTERM' ? 143 : s === 'SIGHUP' ? 129 : 130);
 * ```
 */
export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/**
 * Stop signals this close together (in milliseconds) are one stop delivered twice, not two.
 * A terminal's Ctrl-C reaches every process of its foreground group, and `npm start` (npm run,
 * npx) passes the SIGINT it got on to its child as well; systemd's default stop sends SIGTERM
 * to every process of the service, npm included, which passes it on again; `timeout` signals
 * its child and then its whole process group. Each time the command sees two signals a few
 * milliseconds apart, and a command that counts a second Ctrl-C as "quit at once" would quit
 * without the checkpoint the first one promised. A person pressing twice is slower than this.
 *
 * @example
 * ```ts
 * await new Promise((r) => setTimeout(r, SAME_STOP_MS + 100)); // a test's second, distinct press
 * ```
 */
export const SAME_STOP_MS = 500;

/**
 * Options of {@link processStopSignal}.
 *
 * @example
 * ```ts
 * const opts: ProcessStopSignalOptions = { now: () => performance.now() };
 * ```
 */
export interface ProcessStopSignalOptions {
  /** Clock in milliseconds (default `performance.now`), injectable for tests. */
  readonly now?: () => number;
}

const SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Calls `handler` with the signal's name on SIGINT (Ctrl-C), SIGTERM and SIGHUP for as long as
 * the returned unhook has not been called: the commands' default stop signal, which tests
 * replace with their own trigger. Handling the signals keeps Node from exiting at once, so a
 * command can stop cleanly (save a checkpoint, restore the terminal, remove partial files),
 * count a second Ctrl-C itself and exit with the signal's conventional code (128 + its number).
 * A signal within {@link SAME_STOP_MS} of the previous one passed on is the same stop delivered
 * twice (by the terminal and by npm, say) and is dropped.
 *
 * Node runs the handler on the main thread's event loop: not while synchronous work (a tfjs
 * kernel on the cpu or wasm backend) holds that thread, only once it yields. Work that must
 * stay interruptible belongs in a worker thread.
 *
 * @example
 * ```ts
 * const unhook = processStopSignal((signal) => controller.abort(signal));
 * try { await work(controller.signal); } finally { unhook(); }
 * ```
 */
export function processStopSignal(handler: (signal: StopSignal) => void, opts: ProcessStopSignalOptions = {}): () => void {
  const now = opts.now ?? (() => performance.now());
  let last = -Infinity;
  const listeners = SIGNALS.map((signal) => {
    const listener = (): void => {
      const t = now();
      if (t - last < SAME_STOP_MS) return;
      last = t;
      handler(signal);
    };
    process.on(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) process.off(signal, listener);
  };
}
