/**
 * Helpers shared by the telemetry tests: real grpc-js clients on loopback, synthetic events,
 * and a subscriber in a child process that can be frozen (SIGSTOP) to model a monitor
 * that never reads.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { loadTelemetryProto } from '../../src/telemetry/telemetryProto';
import type { TrainEvent } from '../../src/telemetry/TrainEvent';
import type { Event__Output } from '../../src/telemetry/generated/rxtrain/telemetry/v1/Event';
import type { SubscribeRequest } from '../../src/telemetry/generated/rxtrain/telemetry/v1/SubscribeRequest';
import type { TelemetryClient } from '../../src/telemetry/generated/rxtrain/telemetry/v1/Telemetry';

export const REPO_ROOT = path.join(__dirname, '..', '..');

/**
 * The health status of the Telemetry service at `address` ('SERVING', 'NOT_SERVING'), or
 * the error's code: says from outside when a server has seen the end of its run.
 */
export async function telemetryHealth(address: string): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const healthProtoPath = (require('grpc-health-check') as { protoPath: string }).protoPath;
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(healthProtoPath, { enums: String })) as unknown as {
    grpc: { health: { v1: { Health: new (a: string, c: grpc.ChannelCredentials) => grpc.Client & { Check: (r: object, cb: (e: grpc.ServiceError | null, r?: { status: string }) => void) => void } } } };
  };
  const health = new pkg.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
  try {
    return await new Promise<string>((resolve) =>
      health.Check({ service: 'rxtrain.telemetry.v1.Telemetry' }, (e, r) => resolve(e ? grpc.status[e.code] : r?.status ?? '')),
    );
  } finally {
    health.close();
  }
}

/** A client on its own connection, so a stalled stream never shares HTTP/2 windows with another. */
export function newClient(address: string, creds = grpc.credentials.createInsecure(), options: grpc.ChannelOptions = {}): TelemetryClient {
  const { v1 } = loadTelemetryProto();
  return new v1.Telemetry(address, creds, { 'grpc.use_local_subchannel_pool': 1, ...options });
}

export interface Collected {
  readonly events: Event__Output[];
  readonly status: Promise<grpc.StatusObject>;
  readonly call: grpc.ClientReadableStream<Event__Output>;
}

/** Subscribes and collects every event until the stream's final status. */
export function collect(client: TelemetryClient, req: SubscribeRequest = {}, metadata = new grpc.Metadata()): Collected {
  const events: Event__Output[] = [];
  const call = client.Subscribe(req, metadata);
  call.on('data', (e: Event__Output) => events.push(e));
  call.on('error', () => undefined); // the status promise reports it
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  return { events, status, call };
}

let step = 0;
/** A BatchEnd with a fresh step. */
export function batchEnd(epoch = 0, loss = 1): TrainEvent {
  step += 1;
  return { kind: 'BatchEnd', time: Date.now(), epoch, step, batch: step, batchSize: 32, loss, accuracy: 0.5, imagesPerSec: 100 };
}

/** A SampleSkipped whose path makes the message about `bytes` long (fills HTTP/2 windows fast). */
export function bigSkip(bytes: number): TrainEvent {
  step += 1;
  return { kind: 'SampleSkipped', time: Date.now(), epoch: 0, step, path: 'x'.repeat(bytes), reason: 'truncated', message: 'cut short' };
}

export const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `cond` holds; fails after `ms`. */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick(5);
  }
}

/**
 * A real grpc-js subscriber in a child process. It prints `ready` after its first event and
 * `status <code> <details>` when its stream ends.
 */
export function childSubscriber(address: string, kinds: readonly string[] = []): { child: ChildProcess; ready: Promise<void>; status: Promise<{ code: number; details: string; metadata: Record<string, unknown> }> } {
  const code = `
    const grpc = require('@grpc/grpc-js');
    const loader = require('@grpc/proto-loader');
    const def = loader.loadSync(${JSON.stringify(path.join(REPO_ROOT, 'proto', 'telemetry.proto'))}, { longs: Number, enums: String, defaults: true, oneofs: true });
    const v1 = grpc.loadPackageDefinition(def).rxtrain.telemetry.v1;
    const c = new v1.Telemetry(${JSON.stringify(address)}, grpc.credentials.createInsecure());
    const call = c.Subscribe({ fromSequence: 0, kinds: ${JSON.stringify(kinds)} });
    let first = true;
    call.on('data', () => { if (first) { first = false; process.stdout.write('ready\\n'); } });
    call.on('error', () => {});
    call.on('status', (s) => { process.stdout.write('status ' + JSON.stringify({ code: s.code, details: s.details, metadata: s.metadata.getMap() }) + '\\n'); process.exit(0); });
  `;
  const child = spawn(process.execPath, ['-e', code], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (onReady = r));
  const status = new Promise<{ code: number; details: string; metadata: Record<string, unknown> }>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) onReady();
      const m = /status (\{.*\})\n/.exec(out);
      if (m) resolve(JSON.parse(m[1]) as { code: number; details: string; metadata: Record<string, unknown> });
    });
    child.on('exit', (c) => reject(new Error(`child exited (${c}) without a status; output: ${out}`)));
  });
  status.catch(() => undefined);
  return { child, ready, status };
}

/**
 * A loopback TCP proxy in front of a server, whose connections the test can cut to
 * simulate a network drop while the server keeps running, or (with `retarget`) a training
 * process killed and another one serving in its place.
 */
export async function tcpProxy(target: string): Promise<{ address: string; cut(): void; retarget(to: string): void; close(): Promise<void> }> {
  const net = await import('node:net');
  const split = (t: string): [string, number] => [t.slice(0, t.lastIndexOf(':')), Number(t.slice(t.lastIndexOf(':') + 1))];
  let [host, port] = split(target);
  const sockets = new Set<import('node:net').Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(port, host);
    sockets.add(inbound);
    sockets.add(outbound);
    inbound.pipe(outbound).pipe(inbound);
    const drop = (): void => {
      inbound.destroy();
      outbound.destroy();
      sockets.delete(inbound);
      sockets.delete(outbound);
    };
    inbound.on('error', drop).on('close', drop);
    outbound.on('error', drop).on('close', drop);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as import('node:net').AddressInfo;
  return {
    address: `127.0.0.1:${addr.port}`,
    cut: () => {
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    // A new training process behind the same address (new connections go to `to`).
    retarget: (to: string) => {
      [host, port] = split(to);
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A fake console stream that records what is written. */
export function recorder(extra: { isTTY?: boolean; columns?: number } = {}): { text: () => string; write(s: string): boolean; isTTY?: boolean; columns?: number } {
  let buf = '';
  return { ...extra, text: () => buf, write: (s: string) => ((buf += s), true) };
}

/**
 * A self-signed EC certificate and key made with the openssl command, for real TLS servers:
 * `names` become its subjectAltNames (`DNS:gpu-box`, `IP:127.0.0.1`). Throws a clear error
 * if openssl is missing. Remove `dir` when done.
 */
export async function selfSignedCert(names: readonly string[]): Promise<{ dir: string; cert: string; key: string }> {
  const { execFileSync } = await import('node:child_process');
  const fs = await import('node:fs');
  const os = await import('node:os');
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error('this test needs the openssl command');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const cn = (names[0] ?? 'localhost').replace(/^(DNS|IP):/, '');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', `/CN=${cn}`, '-addext', `subjectAltName=${names.join(',')}`, '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  return { dir, cert, key };
}
