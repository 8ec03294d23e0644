/**
 * Whether a process with this PID runs on this host: signal 0 checks without sending anything.
 * EPERM means it exists but belongs to another user, so it counts as running; ESRCH (no such
 * process) is dead. A PID the system has since given to another program counts as running
 * too: the callers leave such things alone rather than break a live process's work.
 *
 * @example
 * ```ts
 * processAlive(process.pid); // true
 * ```
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
