import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { checkBindPolicy } from './bindPolicy';
import { parseHostPort } from './hostPort';
import { DEFAULT_TELEMETRY_ADDRESS, type TelemetryServerOptions } from './TelemetryServerOptions';

/**
 * The telemetry flags as `node:util` `parseArgs` returns them (spread its `values`).
 *
 * @example
 * ```ts
 * const v: TelemetryFlagValues = { telemetry: '0.0.0.0:50051', 'telemetry-insecure': true };
 * ```
 */
export interface TelemetryFlagValues {
  readonly telemetry?: string | undefined;
  readonly 'telemetry-cert'?: string | undefined;
  readonly 'telemetry-key'?: string | undefined;
  readonly 'telemetry-insecure'?: boolean | undefined;
  readonly 'telemetry-token'?: string | undefined;
}

/**
 * {@link TelemetryServerOptions} as far as flags decide them (the run id comes from the run).
 *
 * @example
 * ```ts
 * const listen: TelemetryListenOptions = { address: '127.0.0.1:0', token: 't' };
 * await startTelemetryServer(events$, { runId: 'r', ...listen });
 * ```
 */
export type TelemetryListenOptions = Omit<TelemetryServerOptions, 'runId'>;

/**
 * `parseArgs` option specs for the telemetry flags, to merge into a command's own.
 *
 * @example
 * ```ts
 * const { values } = parseArgs({ args: argv, options: { ...TELEMETRY_PARSE_ARGS_OPTIONS, epochs: { type: 'string' } } });
 * ```
 */
export const TELEMETRY_PARSE_ARGS_OPTIONS = {
  telemetry: { type: 'string' },
  'telemetry-cert': { type: 'string' },
  'telemetry-key': { type: 'string' },
  'telemetry-insecure': { type: 'boolean' },
  'telemetry-token': { type: 'string' },
} as const;

/**
 * Help text for the telemetry flags, for a command's `--help`.
 *
 * @example
 * ```ts
 * console.log(`usage: rxtrain train [options]\n\n${TELEMETRY_FLAGS_HELP}`);
 * ```
 */
export const TELEMETRY_FLAGS_HELP = [
  'telemetry (live gRPC event stream, watch with `rxtrain monitor HOST:PORT`):',
  `  --telemetry HOST:PORT|off   where to serve it (default ${DEFAULT_TELEMETRY_ADDRESS}; port 0 = any free port)`,
  '  --telemetry-cert FILE       PEM certificate: serve TLS (with --telemetry-key)',
  '  --telemetry-key FILE        PEM private key for --telemetry-cert',
  '  --telemetry-insecure        allow plaintext on a non-loopback address (trusted networks only)',
  '  --telemetry-token TOKEN     require `authorization: Bearer TOKEN` (or set RXTRAIN_TELEMETRY_TOKEN)',
].join('\n');

/**
 * Validates the telemetry flags into listen options, or a readable error. `off` gives
 * `address: 'off'`, which {@link startTelemetryServer} turns into an inert server. The
 * token may also come from `RXTRAIN_TELEMETRY_TOKEN` in `env`, which keeps it out of `ps`.
 *
 * @example
 * ```ts
 * parseTelemetryFlags({ telemetry: '0.0.0.0:50051' });
 * // left("refusing to serve telemetry in plaintext on non-loopback address '0.0.0.0': ...")
 * parseTelemetryFlags({ telemetry: '127.0.0.1:0', 'telemetry-token': 's3cret' });
 * // right({ address: '127.0.0.1:0', token: 's3cret' })
 * ```
 */
export function parseTelemetryFlags(
  v: TelemetryFlagValues,
  env: Readonly<Record<string, string | undefined>> = {},
): E.Either<string, TelemetryListenOptions> {
  const raw = v.telemetry ?? DEFAULT_TELEMETRY_ADDRESS;
  if (raw.trim().toLowerCase() === 'off') return E.right({ address: 'off' });
  const cert = v['telemetry-cert'];
  const key = v['telemetry-key'];
  if ((cert === undefined) !== (key === undefined)) {
    return E.left(cert === undefined ? '--telemetry-key needs --telemetry-cert' : '--telemetry-cert needs --telemetry-key');
  }
  if (cert === '' || key === '') return E.left('--telemetry-cert and --telemetry-key need a file path');
  const token = v['telemetry-token'] ?? env.RXTRAIN_TELEMETRY_TOKEN;
  if (token !== undefined && (token === '' || /\s/.test(token))) {
    // An empty variable (\`export RXTRAIN_TELEMETRY_TOKEN=$(cat missing-file)\`) is refused, not
    // taken as "no token", and named as the variable: the user gave no --telemetry-token.
    const from = v['telemetry-token'] !== undefined ? '--telemetry-token' : 'RXTRAIN_TELEMETRY_TOKEN';
    return E.left(`${from} must be a non-empty token without whitespace`);
  }
  const insecure = v['telemetry-insecure'] === true;
  return pipe(
    parseHostPort(raw),
    E.mapLeft((msg) => `--telemetry: ${msg}`),
    E.chainFirst((hp) => checkBindPolicy(hp, { tls: cert !== undefined, insecure })),
    E.map(() => ({
      address: raw.trim(),
      ...(cert !== undefined && key !== undefined ? { tls: { cert, key } } : {}),
      ...(insecure ? { insecure } : {}),
      ...(token !== undefined ? { token } : {}),
    })),
  );
}
