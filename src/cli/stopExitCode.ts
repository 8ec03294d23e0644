import type { StopSignal } from './processStopSignal';

/**
 * The exit code of a command a stop signal ended: 128 + the signal's number, as shells report
 * a process the signal killed (130 for Ctrl-C, 143 for SIGTERM), so scripts and service
 * managers tell the two apart the same way for every rxtrain command.
 *
 * @example
 * ```ts
 * stopExitCode('SIGINT'); // 130
 * stopExitCode('SIGTERM'); // 143
 * ```
 */
export function stopExitCode(signal: StopSignal): 130 | 143 {
  return signal === 'SIGTERM' ? 143 : 130;
}
