/**
 * `rxtrain monitor HOST:PORT`: watch a training run live over gRPC, as a terminal view or
 * as JSON lines for scripts. Reconnects with backoff and resumes where it left off.
 */
import { isIP } from 'node:net';
import { status as grpcStatus } from '@grpc/grpc-js';
import { parseCommandArgs } from './parseCommandArgs';
import * as E from 'fp-ts/Either';
import type { Subscription } from 'rxjs';
import type { SequencedEvent } from '../telemetry/fromProtoEvent';
import type { EpochRecord } from '../telemetry/EpochRecord';
import { printablePath } from '../streams/printablePath';
import { oneLine } from '../streams/Skip';
import { parseHostPort, formatHostPort, isLoopbackHost } from '../telemetry/hostPort';
import { initialisedNote } from '../telemetry/initialisedNote';
import { endedAs, epochLabel, initialMonitorState, reduceMonitor, type MonitorState } from '../telemetry/MonitorState';
import { formatDuration } from '../telemetry/eventLogger';
import { parseEventKind } from '../telemetry/protoEventKind';
import { renderMonitor } from '../telemetry/renderMonitor';
import { telemetryClientCredentials } from '../telemetry/telemetryClientCredentials';
import { DEFAULT_TELEMETRY_ADDRESS } from '../telemetry/TelemetryServerOptions';
import { DEFAULT_RUN_ID, TRAIN_EVENT_KINDS, type TrainEventKind } from '../telemetry/TrainEvent';
import { watchTelemetry, WatchError, type WatchProblem, type WatchSignal } from '../telemetry/watchTelemetry';
import { closestName } from '../model/closestName';
import { otherPortQuestion } from '../telemetry/connectionProblem';
import { parseDuration } from '../model/Duration';
import { wrapWords } from './formatOptions';
import { processStopSignal, type StopSignal } from './processStopSignal';
import { stopExitCode } from './stopExitCode';

const HELP = `usage: rxtrain monitor [HOST:PORT] [options]

Watches a training run started with \`rxtrain train --telemetry HOST:PORT\` (default
${DEFAULT_TELEMETRY_ADDRESS}): epoch progress, loss/accuracy, learning rate, checkpoints and
skipped samples, live. If the connection drops it retries with backoff and resumes from the
last event it received; while nothing listens yet (training not started) it keeps trying
every second, for ever unless --wait says how long. With --follow it goes on past the
run's end, like \`tail -F\`: it waits at the address for the next run (a resume after
Ctrl-C, or another run) and shows it, until Ctrl-C.

options:
  --json               print one event per line as JSON (for scripts); notices go to stderr
  --kinds LIST         only these event kinds, comma-separated, e.g. EpochEnd,CheckpointSaved
${wrapWords(`(${TRAIN_EVENT_KINDS.join(' ')})`, 80 - 23)
  .map((line) => ' '.repeat(23) + line)
  .join('\n')}
  --from N             start at event sequence N (default: everything the server still holds)
  --stream ID          the streamId of the events --from counts in (from a --json line): if
                       training restarted since, start over from its new stream's first event
  --token TOKEN        bearer token, if the run was started with --telemetry-token
                       (or set RXTRAIN_TELEMETRY_TOKEN)
  --tls                connect with TLS, verifying the server with the system's root CAs
  --ca FILE            connect with TLS, verifying the server with this CA / self-signed cert
  --server-name NAME   name expected in the server's certificate (default: the host dialled)
  --wait DURATION      give up (exit 3) once no server has answered for this long, e.g. 30s,
                       5m (default: keep trying, for a monitor started before training)
  --follow             after a run ends (or fails), keep waiting at the address and show the
                       next run too (a resume: "training restarted: resumed at epoch E step
                       S from CKPT"), until Ctrl-C (exit 130); --json goes on with its
                       events (a new streamId, sequence from 1), the notices on stderr
  -h, --help           show this help

exit codes:
  0    training ended (or stdout was closed, e.g. by \`| head\`)
  1    training failed (with --follow the monitor goes on), or an error that retrying
       cannot fix: a wrong token, TLS on one side only, a certificate for another name or
       from an untrusted CA (with a hint)
  2    bad usage
  3    nothing listened for --wait DURATION (training not started, or over before the
       monitor connected: rxtrain train --telemetry-linger DURATION keeps serving a
       finished run for a monitor that comes late); with --follow, no next run came
       for --wait DURATION after one ended
  130  interrupted (Ctrl-C)
  143  terminated (SIGTERM)
  129  hung up (SIGHUP: the terminal or ssh connection closed)

examples:
  rxtrain monitor 127.0.0.1:50051
  rxtrain monitor --follow 127.0.0.1:50051     # stays across Ctrl-C and resume of training
  rxtrain monitor gpu-box:50051 --ca server.pem --token "$TOKEN"
  rxtrain monitor --json --kinds EpochEnd | jq -c '{epoch: (.epoch + 1), valAccuracy}'`;

/**
 * Console of the command, injectable for tests.
 *
 * @example
 * ```ts
 * await run(['127.0.0.1:50051', '--json'], { out: process.stdout, err: process.stderr, env: process.env });
 * ```
 */
export interface MonitorIo {
  /** stdout; once its reader is gone (`error` EPIPE, or `close`) the monitor stops quietly. */
  readonly out: { write(text: string): unknown; on?(event: 'error' | 'close' | 'resize', listener: (err?: Error) => void): unknown; readonly isTTY?: boolean; readonly columns?: number; readonly rows?: number };
  readonly err: { write(text: string): unknown; on?(event: 'error', listener: (err: Error) => void): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Calls `stop` on Ctrl-C (SIGINT) and SIGTERM with the signal's name; returns an unhook function. */
  readonly onStopSignal?: (stop: (signal: StopSignal) => void) => () => void;
  /** Reconnect backoff (tests shorten it). */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
}

/**
 * Exit codes of `rxtrain monitor`.
 *
 * @example
 * ```ts
 * if ((await run(argv)) === MONITOR_EXIT.FAILED) console.error('the run failed');
 * ```
 */
export const MONITOR_EXIT = { OK: 0, FAILED: 1, USAGE: 2, NOTHING_LISTENS: 3, INTERRUPTED: 130, TERMINATED: 143 } as const;

interface MonitorArgs {
  readonly address: string;
  readonly json: boolean;
  readonly kinds: readonly TrainEventKind[];
  readonly from: number;
  readonly stream?: string;
  readonly token?: string;
  /** Where the token came from, for messages about it. */
  readonly tokenFrom?: '--token' | 'RXTRAIN_TELEMETRY_TOKEN';
  readonly tls: boolean;
  /** \`--tls\` itself was given (\`--ca\` implies TLS without it). */
  readonly tlsFlag: boolean;
  readonly ca?: string;
  readonly serverName?: string;
  /** --wait in ms, and as given (for messages). */
  readonly wait?: { readonly ms: number; readonly text: string };
  /** --follow: go on past a run's end, to the next run at the address. */
  readonly follow: boolean;
}

/**
 * Parses the monitor's argv into settings, or a readable usage error.
 *
 * @example
 * ```ts
 * parseMonitorArgs(['127.0.0.1:50051', '--json'], {}); // right({ address: '127.0.0.1:50051', json: true, ... })
 * ```
 */
export function parseMonitorArgs(argv: readonly string[], env: MonitorIo['env']): E.Either<string, MonitorArgs | 'help'> {
  let parsed;
  try {
    parsed = parseCommandArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        kinds: { type: 'string' },
        from: { type: 'string' },
        stream: { type: 'string' },
        token: { type: 'string' },
        tls: { type: 'boolean' },
        ca: { type: 'string' },
        'server-name': { type: 'string' },
        wait: { type: 'string' },
        follow: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return E.left(err instanceof Error ? err.message : String(err));
  }
  const v = parsed.values;
  if (v.help === true) return E.right('help');
  if (parsed.positionals.length > 1) return E.left(`expected one HOST:PORT, got ${parsed.positionals.join(' ')}`);
  const hp = parseHostPort(parsed.positionals[0] ?? DEFAULT_TELEMETRY_ADDRESS);
  if (E.isLeft(hp)) return E.left(hp.left);
  if (hp.right.port === 0) return E.left('port 0 is not a server port: give the port `rxtrain train` printed');
  const kinds: TrainEventKind[] = [];
  for (const raw of (v.kinds ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const k = parseEventKind(raw);
    if (k === undefined) {
      // As for a mistyped option: the nearest kind, and the list, so one look fixes the command.
      const near = closestName(raw.replace(/^event_kind_/i, '').replace(/[_-]/g, ''), TRAIN_EVENT_KINDS);
      return E.left(`--kinds: unknown event kind '${raw}'${near === undefined ? '' : ` (did you mean ${near}?)`}; the kinds: ${TRAIN_EVENT_KINDS.join(', ')}`);
    }
    kinds.push(k);
  }
  const from = v.from === undefined ? 0 : Number(v.from);
  if (!Number.isSafeInteger(from) || from < 0) return E.left(`--from must be a sequence number >= 0, got '${v.from}'`);
  const token = v.token ?? env.RXTRAIN_TELEMETRY_TOKEN;
  const tokenFrom = v.token !== undefined ? '--token' : 'RXTRAIN_TELEMETRY_TOKEN';
  // Name the variable when the token came from it: "--token must be ..." puzzles a user who gave no --token.
  if (token !== undefined && (token === '' || /\s/.test(token))) return E.left(`${tokenFrom} must be a non-empty token without whitespace`);
  // Against a plaintext server it would be ignored without a word, and the user believes the
  // connection is checked against that name.
  if (v['server-name'] !== undefined && v.tls !== true && v.ca === undefined) {
    return E.left("--server-name is the name expected in the server's TLS certificate: add --tls (a publicly trusted certificate) or --ca FILE (a self-signed one)");
  }
  const waitMs = v.wait === undefined ? undefined : parseDuration(v.wait);
  if (v.wait !== undefined && waitMs === undefined) return E.left(`--wait must be a duration such as 30s, 5m or 1h, got '${v.wait}'`);
  return E.right({
    address: formatHostPort(hp.right),
    json: v.json === true,
    follow: v.follow === true,
    kinds,
    from,
    ...(v.stream !== undefined && v.stream !== '' ? { stream: v.stream } : {}),
    tls: v.tls === true || v.ca !== undefined,
    tlsFlag: v.tls === true,
    ...(token !== undefined ? { token, tokenFrom } : {}),
    ...(v.ca !== undefined ? { ca: v.ca } : {}),
    ...(v['server-name'] !== undefined ? { serverName: v['server-name'] } : {}),
    ...(v.wait !== undefined && waitMs !== undefined ? { wait: { ms: waitMs, text: v.wait } } : {}),
  });
}

/** JSON line of an event: sequence, run and kind first, for readable `tail -f`. */
function jsonLine(e: SequencedEvent): string {
  const { sequence, runId, kind, ...rest } = e;
  return `${JSON.stringify({ sequence, runId, kind, ...rest })}\n`;
}

/**
 * An epoch's figures as the log lines show them (its time as train's log writes it: `45.2s`,
 * `20m35s`), for a live `EpochEnd` and a history row alike;
 * its training img/s last, when it has one (not from a server or checkpoint before the field).
 */
function epochFigures(r: EpochRecord): string {
  return `train loss ${r.trainLoss.toFixed(4)} acc ${(r.trainAccuracy * 100).toFixed(1)}%${r.valLoss === undefined ? '' : `, val loss ${r.valLoss.toFixed(4)}`}${r.valAccuracy === undefined ? '' : ` acc ${(r.valAccuracy * 100).toFixed(1)}%`}${r.valTop5Accuracy === undefined ? '' : ` top-5 ${(r.valTop5Accuracy * 100).toFixed(1)}%`}, lr ${r.lr}, ${formatDuration(r.durationMs)}${r.imagesPerSec === undefined ? '' : `, ${r.imagesPerSec.toFixed(1)} img/s`}`;
}

/**
 * One log line per notable event, for a non-terminal stdout without --json (of a validation
 * pass, its start). The epoch label
 * comes from the view state `s` (already folded with `e`): the event's own epoch is the
 * training cursor, one past the last epoch once that epoch has ended. A resumed run's
 * TrainBegin is followed by a line per epoch of its `history`: a log piped to a file would
 * otherwise start at the restart, without the figures the live view shows for those epochs.
 * Paths go through printablePath: a line break in one would split its line in two.
 */
function logLine(e: SequencedEvent, s: MonitorState): string | undefined {
  const at = `#${e.sequence} epoch ${epochLabel(s)} step ${e.step}`;
  switch (e.kind) {
    case 'TrainBegin':
      return [
        // As in the log, an unnamed run's id ('run') is left out: not "training run on wasm".
        `${at} training${e.runId === DEFAULT_RUN_ID ? '' : ` ${e.runId}`} on ${e.backend}: ${e.epochs} epoch${e.epochs === 1 ? '' : 's'} × ${e.stepsPerEpoch} steps${e.resumedFrom ? `, resumed from ${printablePath(e.resumedFrom)}` : ''}${e.initialisedFrom ? `, ${initialisedNote(e.initialisedFrom)}` : ''}`,
        // No step: the event's is where the new process starts, not where that epoch ended.
        ...(e.history ?? []).map((r) => `#${e.sequence} epoch ${epochLabel({ epoch: r.epoch, epochs: e.epochs })} epoch done before the restart: ${epochFigures(r)}`),
      ].join('\n');
    case 'ValidationProgress':
      // Once, as the pass starts (no line per batch here either): says why no line comes for a while.
      return e.batchesDone === 0 ? `${at} validating${e.batches === undefined ? '' : `: ${e.batches} batch${e.batches === 1 ? '' : 'es'}`}` : undefined;
    case 'EpochEnd':
      return `${at} epoch done: ${epochFigures(e)}`;
    case 'LrChanged':
      return `${at} lr ${e.from} -> ${e.to}`;
    case 'CheckpointSaved':
      // The log's words: a line stays in its file when a better checkpoint comes later.
      return `${at} checkpoint ${printablePath(e.path)}${e.best ? ' (best so far)' : ''}`;
    case 'SampleSkipped':
      return `${at} skipped ${printablePath(e.path)}: ${e.reason} (${oneLine(e.message)})`;
    case 'EarlyStop':
      return `${at} early stop: ${e.reason}`;
    case 'TrainEnd':
      return `${at} training ended: ${e.reason} after ${formatDuration(e.durationMs)}`;
    case 'Error':
      return `${at} ${e.fatal ? 'FATAL ' : ''}error: ${oneLine(e.message)}`;
    default:
      return undefined;
  }
}

/** ` (stopped)` after "training ended", or nothing when the status names no end. */
function parenthesised(word: string | undefined): string {
  return word === undefined ? '' : ` (${word})`;
}

/** `2s`, `0.3s`: whole seconds without a decimal. */
function seconds(ms: number): string {
  return `${Number.isInteger(ms / 1000) ? ms / 1000 : (ms / 1000).toFixed(1)}s`;
}

/** What a refused connection means, asking about the port when it is not training's default. */
function notStarted(address: string): string {
  const other = otherPortQuestion(address);
  return `training has not started there${other === undefined ? '' : ` (is it ${other})`}, or it ended before this monitor connected`;
}

/** What to change on the command line, for a connection that can never succeed as given. */
function problemHint(p: WatchProblem, args: MonitorArgs, seenEvent: boolean): string {
  switch (p.kind) {
    case 'nobody-listens':
      // "Not started, or over" is what a refused connection means; a name that does not
      // resolve or a host that does not answer has another cure, which the last try names.
      return `nothing answered at ${args.address} for ${args.wait?.text ?? seconds(p.waitedMs)} (--wait): ${p.lastAttempt ?? (seenEvent ? 'training stopped serving there (killed?) and did not come back' : notStarted(args.address))}`;
    case 'server-not-tls': {
      const flags = [args.tlsFlag ? '--tls' : undefined, args.ca !== undefined ? `--ca ${printablePath(args.ca)}` : undefined].filter((f) => f !== undefined);
      return `the server at ${args.address} does not speak TLS: drop ${flags.join(' and ')}`;
    }
    case 'server-is-tls':
      return `the server at ${args.address} speaks TLS: add --tls (and --ca FILE if its certificate is self-signed)`;
    case 'certificate-name':
      return p.names.length > 0
        ? `the certificate is for ${p.names.join(', ')}, not ${p.host}: pass --server-name ${p.names.find((n) => !n.includes('*')) ?? p.names[0]}`
        : `the certificate is not for ${p.host}: pass --server-name with a name it is for`;
    case 'certificate-untrusted':
      return args.ca !== undefined
        ? `the server's certificate is not signed by ${printablePath(args.ca)} (${p.reason}): pass the CA that signed it, or the server's own certificate if it is self-signed, as --ca`
        : `the server's certificate is not trusted (${p.reason}): pass its CA, or the certificate itself if it is self-signed, as --ca FILE`;
  }
}

/**
 * What to do about an UNAUTHENTICATED status: the server's own words ("invalid bearer token")
 * name the protocol, not the flag or variable that fixes it.
 */
function tokenHint(details: string, args: MonitorArgs): string {
  return args.token === undefined
    ? `the server at ${args.address} wants a token (${details}): pass the one rxtrain train was given as --token TOKEN, or set RXTRAIN_TELEMETRY_TOKEN`
    : `the server at ${args.address} refused the token from ${args.tokenFrom ?? '--token'} (${details}): pass the one rxtrain train was given (its --telemetry-token or RXTRAIN_TELEMETRY_TOKEN)`;
}

/**
 * Hides Node's DEP0123 warning ("Setting the TLS ServerName to an IP address ...") while the
 * monitor runs; returns the undo. grpc-js (1.14) always sets the TLS servername to the host
 * dialled or to \`grpc.ssl_target_name_override\`, and neither it nor \`grpc.default_authority\`
 * can leave SNI out; overriding with a made-up name would send a wrong SNI instead. So a
 * dial to an IP address warns about something the user cannot change (short of
 * --server-name) — only that one warning is dropped.
 */
function muteIpServerNameWarning(): () => void {
  const original = process.emitWarning;
  const filtered = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
    const [typeOrOptions, code] = rest;
    const c = typeof typeOrOptions === 'object' && typeOrOptions !== null ? (typeOrOptions as { code?: unknown }).code : code;
    if (c === 'DEP0123') return;
    (original as (this: NodeJS.Process, ...a: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  process.emitWarning = filtered;
  return () => {
    if (process.emitWarning === filtered) process.emitWarning = original;
  };
}

/**
 * Runs `rxtrain monitor`.
 *
 * @example
 * ```ts
 * process.exitCode = await run(['127.0.0.1:50051', '--json']);
 * ```
 */
export async function run(argv: string[], io: MonitorIo = { out: process.stdout, err: process.stderr, env: process.env }): Promise<number> {
  const parsed = parseMonitorArgs(argv, io.env);
  if (E.isLeft(parsed)) {
    io.err.write(`rxtrain monitor: ${parsed.left}\n\nrxtrain monitor --help lists the options.\n`);
    return MONITOR_EXIT.USAGE;
  }
  if (parsed.right === 'help') {
    io.out.write(`${HELP}\n`);
    return MONITOR_EXIT.OK;
  }
  const args = parsed.right;
  const host = E.getOrElseW(() => ({ host: '', port: 0 }))(parseHostPort(args.address)).host;
  if (args.token !== undefined && !args.tls && !isLoopbackHost(host)) {
    io.err.write('rxtrain monitor: warning: sending the token in plaintext; use --tls or --ca\n');
  }
  let creds;
  try {
    creds = await telemetryClientCredentials({ tls: args.tls, ...(args.ca ? { ca: args.ca } : {}), ...(args.serverName ? { serverName: args.serverName } : {}) });
  } catch (err) {
    io.err.write(`rxtrain monitor: ${err instanceof Error ? err.message : String(err)}\n`);
    return MONITOR_EXIT.USAGE;
  }

  const tty = !args.json && io.out.isTTY === true;
  // Once the reader of stdout is gone (\`| head -1\`), nothing more is written anywhere to it.
  let outClosed = false;
  let errClosed = false;
  const out = (text: string): void => {
    if (!outClosed) io.out.write(text);
  };
  const errOut = (text: string): void => {
    if (!errClosed) io.err.write(text);
  };
  let state: MonitorState = initialMonitorState(args.address);
  let painted = 0;
  let paintTimer: NodeJS.Timeout | undefined;
  const paint = (): void => {
    paintTimer = undefined;
    // Cursor-up repainting only works while the view fits the terminal: keep the top part.
    // A terminal of size 0×0 (a pty no one sized: `script` without a terminal, some container
    // execs) is one of unknown size, as for the training bar: 80×24, not a 20-column stub.
    const known = (n: number | undefined): number | undefined => (n === undefined || n <= 0 ? undefined : n);
    const rows = Math.max(5, (known(io.out.rows) ?? 24) - 1);
    // The last column stays free, as the training bar keeps it: a line that fills it leaves the
    // cursor there, and the erase-to-end after it then wipes its last character (`step 3` for
    // `step 32`), or the terminal wraps an empty line in.
    const lines = renderMonitor(state, (known(io.out.columns) ?? 80) - 1, rows).slice(0, rows);
    // Overwrite line by line (erase to end of line), then erase what is left below: clearing
    // the whole screen from home would make some terminals (tmux) push it into scrollback.
    out(`${painted > 0 ? `\x1b[${painted}A\r` : ''}${lines.map((l) => `${l}\x1b[K\n`).join('')}\x1b[J`);
    painted = lines.length;
  };
  const schedulePaint = (): void => {
    // At most 10 repaints a second, however fast events arrive.
    if (paintTimer === undefined) paintTimer = setTimeout(paint, 100);
  };
  const notice = (text: string): void => {
    if (!tty) errOut(`rxtrain monitor: ${text}\n`);
  };

  let seenEvent = false;
  // Piped output (a log file, a service's journal) gets each connection problem once, not a
  // pair of lines per retry for as long as training has not started: the problem said last,
  // the attempt whose "connecting" line was held back, and a line once a server answers again.
  let problem: string | undefined;
  let heldBack: string | undefined;
  const answered = (): void => {
    if (heldBack !== undefined) notice(heldBack.replace(/^connecting to/, 'connected to'));
    problem = undefined;
    heldBack = undefined;
  };
  // A training restart is said with the new stream's first event, whose TrainBegin tells where
  // training went on (the view's note, filled in by it).
  let restartToSay = false;
  // --follow, between a run's end and the next run's first event: the tries at the address
  // are the waiting the end's notice announced, not connection problems to report.
  let awaitingNext = false;
  const onSignal = (sig: WatchSignal): void => {
    state = reduceMonitor(state, sig);
    if (sig.type === 'event') {
      seenEvent = true;
      awaitingNext = false;
    }
    if (sig.type === 'ended') awaitingNext = true;
    if (tty) {
      schedulePaint();
      return;
    }
    switch (sig.type) {
      case 'event':
        answered();
        if (restartToSay) {
          restartToSay = false;
          const said = [...state.notes].reverse().find((n) => n.text.startsWith('training restarted'));
          if (said !== undefined) notice(said.text);
        }
        if (args.json) out(jsonLine(sig.event));
        else {
          const line = logLine(sig.event, state);
          if (line !== undefined) out(`${line}\n`);
        }
        break;
      case 'ended':
        notice(`${sig.failed ? sig.details || 'training failed' : `training ended${parenthesised(endedAs(state.status))}`}; waiting for the next run at ${args.address} (--follow)`);
        break;
      case 'connected': {
        if (awaitingNext) break;
        const line = `connecting to ${args.address}${sig.fromSequence > 0 ? ` (resuming from #${sig.fromSequence})` : ''}`;
        if (problem === undefined) notice(line);
        else heldBack = line;
        break;
      }
      case 'disconnected':
        if (awaitingNext || sig.message === problem) break;
        problem = sig.message;
        // A question ("... is training running?") reads better without a semicolon after it.
        notice(`${sig.message.endsWith('?') ? sig.message : `disconnected: ${sig.message};`} retrying in ${seconds(sig.retryInMs)} (further retries are not listed)`);
        break;
      case 'gap':
        notice(`events #${sig.from}-#${sig.to} were evicted from the server's buffer and are lost to this monitor`);
        break;
      case 'restarted':
        // Before any event, "behind the sequence asked for" is as likely a --from past the end
        // as a training process that started over; say both.
        // With --stream the stream ids say which it is.
        if (seenEvent || args.stream !== undefined) restartToSay = true;
        else notice(`the server has no event #${args.from} yet (its stream is shorter: a --from past the end, or a training that started over); showing its events from the start`);
        break;
      case 'run':
        answered();
        break;
    }
  };

  return new Promise<number>((resolve) => {
    const live: { sub?: Subscription } = {};
    let unhook: () => void = () => undefined;
    const unmute = args.tls && args.serverName === undefined && isIP(host) !== 0 ? muteIpServerNameWarning() : () => undefined;
    let finished = false;
    /** `ended` when the run's stream ended, else why the monitor stopped first. */
    const finish = (code: number, message?: string, end: { readonly connection: 'ended' } | { readonly connection: 'stopped'; readonly why?: string } = { connection: 'stopped' }): void => {
      if (finished) return;
      finished = true;
      unhook();
      live.sub?.unsubscribe();
      unmute();
      if (tty) {
        if (paintTimer !== undefined) clearTimeout(paintTimer);
        state = { ...state, connection: end.connection, connectionDetail: end.connection === 'stopped' ? end.why ?? '' : '' };
        paint();
      }
      if (message !== undefined) errOut(`rxtrain monitor: ${message}\n`);
      resolve(code);
    };
    // The listeners stay after finish(): an EPIPE from the last line written can arrive after
    // the stream ended, and an unhandled 'error' would crash the process.
    io.out.on?.('error', (err?: NodeJS.ErrnoException) => {
      outClosed = true;
      // The reader closed the pipe: stop quietly, like other Unix tools.
      if (err === undefined || err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') finish(MONITOR_EXIT.OK);
      else finish(MONITOR_EXIT.FAILED, `cannot write to stdout: ${err.message}`);
    });
    // A pipe may also just close (a socket seeing the hang-up) without an error.
    io.out.on?.('close', () => {
      outClosed = true;
      finish(MONITOR_EXIT.OK);
    });
    io.err.on?.('error', () => {
      errClosed = true;
    });
    // A resized terminal re-wraps (or cuts) the lines already painted, so moving up by the
    // count painted no longer lands on the view's first line: leftovers of the old view would
    // stay above the new one. Start from a cleared screen instead, and at once: with slow
    // steps the next event may be seconds away.
    if (tty) {
      io.out.on?.('resize', () => {
        if (finished) return;
        if (paintTimer !== undefined) clearTimeout(paintTimer);
        out('\x1b[H\x1b[2J');
        painted = 0;
        paint();
      });
    }
    // SIGTERM too: a service manager stopping the monitor gets the final view and the same code as for train.
    unhook = (io.onStopSignal ?? processStopSignal)((signal) => finish(stopExitCode(signal), undefined, { connection: 'stopped', why: signal === 'SIGINT' ? 'Ctrl-C' : signal }));
    live.sub = watchTelemetry({
      address: args.address,
      credentials: creds.credentials,
      channelOptions: creds.options,
      kinds: args.kinds,
      fromSequence: args.from,
      ...(args.stream !== undefined ? { streamId: args.stream } : {}),
      ...(args.token !== undefined ? { token: args.token } : {}),
      ...(io.backoff ? { backoff: io.backoff } : {}),
      ...(args.wait !== undefined ? { giveUpAfterMs: args.wait.ms } : {}),
      follow: args.follow,
    }).subscribe({
      next: onSignal,
      complete: () => finish(state.status === 'FAILED' ? MONITOR_EXIT.FAILED : MONITOR_EXIT.OK, tty || args.json ? undefined : 'training ended', { connection: 'ended' }),
      error: (err: unknown) =>
        finish(
          err instanceof WatchError && err.problem?.kind === 'nobody-listens' ? MONITOR_EXIT.NOTHING_LISTENS : MONITOR_EXIT.FAILED,
          err instanceof WatchError && err.problem?.kind === 'nobody-listens' && awaitingNext
            ? `no next run at ${args.address} for ${args.wait?.text ?? seconds(err.problem.waitedMs)} (--wait) since the last one ended${parenthesised(endedAs(state.status))}`
            : err instanceof WatchError && err.problem !== undefined
            ? problemHint(err.problem, args, seenEvent)
            : err instanceof WatchError && err.code === grpcStatus.UNAUTHENTICATED
              ? tokenHint(err.message.replace(/^UNAUTHENTICATED: /, ''), args)
              : err instanceof WatchError && err.code === grpcStatus.ABORTED
                ? err.message.replace(/^ABORTED: /, '') // the server's "training failed: …" says it all
                : err instanceof Error ? err.message : String(err),
          // A failed run's stream ends with ABORTED: the run ended, the monitor did not stop it.
          err instanceof WatchError && err.code === grpcStatus.ABORTED ? { connection: 'ended' } : undefined,
        ),
    });
  });
}
