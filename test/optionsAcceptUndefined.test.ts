import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ROOT, sourceResolver } from './fixtures/readmeExamples';
import { TYPESCRIPTS, runTsc } from './fixtures/typeScripts';

// A user's value is often "maybe": an environment variable, a flag, a validation split that a
// dataset may not have. `tsc --init` (TypeScript 7) turns on exactOptionalPropertyTypes, under
// which `{ token: process.env.TOKEN }` is refused by an option declared `token?: string`, and
// the user has to spread `...(x === undefined ? {} : { x })` around every such value. The
// options of the calls a training script makes take `undefined` as "not given", which is what
// rxtrain does with it at run time.
const PROGRAM = `
import { share } from 'rxjs';
import {
  batch, chartWriter, colorJitter, createImageDataset, createRng, initBackend, createLogger, createTrainer, decode, evaluateSource, fileStore, folderSource, openCheckpointStore,
  openDatasets, predictSource, startTelemetryServer, tensorBoardWriter, train, watchTelemetry,
  type BatchSource, type SampleStore, type SampleTransform, type TrainConfig, type Trainer,
} from 'rxtrain';

declare const store: SampleStore;
declare const cfg: TrainConfig;
declare const trainer: Trainer;
declare function maybe<T>(value: T): T | undefined;

export async function script(): Promise<void> {
  await initBackend({ prefer: maybe('wasm'), threads: maybe(2) });
  folderSource('data').pipe(decode(), colorJitter(createRng(1), { brightness: maybe(0.2), contrast: maybe(0.1) }), batch({ batchSize: 8, dropLast: maybe(true) }));
  const ds: BatchSource = createImageDataset({
    store, batchSize: 8, augment: { kind: 'train', crop: 28, flip: true, mean: [127.5] },
    seed: maybe(1), prefetch: maybe(2), concurrency: maybe(4), transform: maybe<SampleTransform>((img) => img), channels: maybe(3), workers: maybe(0),
  });
  const datasets = await openDatasets(cfg, { transform: maybe<SampleTransform>((img) => img), valTransform: maybe<SampleTransform>((img) => img) });
  const events$ = train({
    setup: async () => ({
      trainer: await createTrainer({ model: 'small', numClasses: maybe(10), inputShape: maybe<[number, number, number]>([28, 28, 3]), backend: maybe('wasm'), seed: maybe(1), optimizer: { lr: 0.01, momentum: maybe(0.9), nesterov: maybe(true) } }),
      train: ds,
      val: datasets.val,
      tenCrop: datasets.tenCrop,
    }),
    epochs: 2, seed: 1, lr: 0.01,
    checkpoints: maybe({ store: await openCheckpointStore('runs/x/checkpoints', { keepLast: 1, keepBest: true }), everyEpochs: 1, everySteps: 0 }),
    runId: maybe('x'), signal: maybe(new AbortController().signal), maxTrainingMs: maybe(1000),
    scheduler: { factor: maybe(0.5), patience: maybe(2) },
  }).pipe(share());
  tensorBoardWriter('runs/x/tensorboard', { flushOn: maybe('epoch'), hostname: maybe('h') })(events$);
  chartWriter('runs/x', { title: maybe('run'), redraw: maybe('end') })(events$);
  const log = createLogger({ level: maybe('info'), file: maybe('runs/x/train.log') });
  log.close();
  const server = await startTelemetryServer(events$, { runId: 'x', address: maybe('127.0.0.1:0'), token: maybe('t'), lingerAfterEndMs: maybe(0) });
  watchTelemetry({ address: server.address, token: maybe('t'), giveUpAfterMs: maybe(1000), kinds: maybe(['EpochEnd']) });
  folderSource('data', { extensions: maybe(['.png']) }).pipe(decode({ resize: maybe(32), concurrency: maybe(2), channels: maybe(3) }));
  fileStore([], { numClasses: maybe(10), resize: maybe(32) });
  await evaluateSource(trainer, ds, { numClasses: maybe(10), mistakes: maybe(5) });
  predictSource(trainer, ds, { top: maybe(3) });
}
`;

describe('options of the calls a training script makes', () => {
  const dir = path.join(ROOT, 'node_modules', '.cache', `rxtrain-optional-undefined-${process.pid}`);
  after(() => fsp.rm(dir, { recursive: true, force: true }));

  it('take a value that may be undefined under exactOptionalPropertyTypes (on in a new TypeScript 7 project)', async function () {
    this.timeout(180_000);
    await fsp.rm(dir, { recursive: true, force: true });
    await fsp.mkdir(dir, { recursive: true });
    const toSource = await sourceResolver(dir);
    const file = path.join(dir, 'script.ts');
    await fsp.writeFile(file, PROGRAM.replace(/from 'rxtrain'/g, `from ${JSON.stringify(toSource('rxtrain'))}`));
    await fsp.writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify({
      extends: path.join(ROOT, 'tsconfig.json'),
      compilerOptions: { noEmit: true, rootDir: ROOT, types: ['node'], exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true },
      include: [],
      files: [file],
    }));
    const ts7 = TYPESCRIPTS.find((ts) => ts.major === 7);
    assert.ok(ts7, 'no TypeScript 7 among TYPESCRIPTS');
    const result = await runTsc(ts7, ['-p', dir]);
    // rxtrain's own sources are not written for exactOptionalPropertyTypes: only the script's errors count.
    const errors = result.split(/\n(?=\S)/).filter((b) => /script\.ts\(/.test(b.split('\n')[0] ?? '')).join('\n');
    assert.ok(result === '' || /error TS/.test(result), `tsc failed without diagnostics:\n${result.slice(0, 2000)}`);
    assert.equal(errors, '', errors);
  });
});
