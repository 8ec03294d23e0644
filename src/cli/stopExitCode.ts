import type { StopSignal } from './processStopSignal';

/**
 * The exit code of a command a stop signal ended: 128 + the signal's number, as shells report
 * a process the signal killed (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP), so scripts and
 * service managers tell them apart the same way for every rxtrain command.
 *
 * @example
 * ```ts
 * stopExitCode('SIGINT'); // 130
 * stopExitCode('SIGTERM'); // 143
 * stopExitCode('SIGHUP'); // 129
 * ```
 */
export function stopExitCode(signal: StopSignal): 129 | 130 | 143 {
  return signal === 'SIGTERM' ? 143 : signal === 'SIGHUP' ? 129 : 130;
}
