/**
 * What `rxtrain train --print-config` prints in place of a telemetry token: the printed config
 * is meant to be saved and shared (`> configs/my.json`), and a token in it would be a password
 * in a file. The length stays, so that two printouts can be told apart at a glance.
 *
 * @example
 * ```ts
 * redactedToken('s3cret'); // '<redacted: 6 characters>'
 * ```
 */
export function redactedToken(token: string): string {
  const n = [...token].length;
  return `<redacted: ${n} character${n === 1 ? '' : 's'}>`;
}

/**
 * True for a value {@link redactedToken} made: a config saved from `--print-config` holds it, and
 * the run then takes the token from `RXTRAIN_TELEMETRY_TOKEN` instead of using the placeholder
 * itself as the token (which no monitor would know).
 *
 * @example
 * ```ts
 * isRedactedToken('<redacted: 6 characters>'); // true
 * isRedactedToken('s3cret');                   // false
 * ```
 */
export function isRedactedToken(value: string): boolean {
  return /^<redacted: \d+ characters?>$/.test(value);
}
