import * as fs from 'node:fs';

let bootId: string | null | undefined;

function readBootId(): string | undefined {
  if (bootId === undefined) {
    try {
      bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      bootId = null;
    }
  }
  return bootId ?? undefined;
}

/**
 * When the process with this PID started, as a token that tells it from every other process that
 * had or will have that PID on this host: the boot's id and the start time in clock ticks since
 * that boot (Linux's /proc). A PID alone is given to another program once its process is gone.
 * Undefined when it cannot be read (no /proc: macOS, Windows; no such process; another user's
 * process hidden by /proc's hidepid): the caller then knows nothing either way.
 *
 * @example
 * ```ts
 * processStart(process.pid); // '3830be9c-32a0-493b-bbf2-64827a5536f2:90594' on Linux, undefined elsewhere
 * ```
 */
export function processStart(pid: number): string | undefined {
  const boot = readBootId();
  if (boot === undefined || !Number.isInteger(pid) || pid <= 0) return undefined;
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name, in parentheses, may hold spaces and parentheses itself: the fields are
  // counted after its last ')'. Field 22 (starttime) is the 20th after it.
  const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  return ticks !== undefined && /^\d+$/.test(ticks) ? `${boot}:${ticks}` : undefined;
}
