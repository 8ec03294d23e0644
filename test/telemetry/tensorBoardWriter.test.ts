import assert from 'node:assert/strict';
import * as fs from 'node:fs';
// The module object itself (the namespace import is a read-only view), to stub a full disk.
import nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, of, Subject, throwError, concat } from 'rxjs';
import { runMarkdown, TENSORBOARD_WRITTEN_FILE, tensorBoardWriter } from '../../src/telemetry/tensorBoardWriter';
import type { GraphNode } from '../../src/telemetry/GraphDef';
import { DEFAULT_RUN_ID, type TrainEvent } from '../../src/telemetry/TrainEvent';
import { bytesOf, decodeProto, readEvents, type ReadEvent } from './tfEventReader';
import { checkpoint, epochEnd, trainBegin, trainEnd } from './events';

const f32 = (x: number): number => Math.fround(x);

function eventFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith('events.out.tfevents.'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** All scalar points of a log dir: tag → sorted list of [step, value]. */
function scalarPoints(dir: string): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  for (const file of eventFiles(dir)) {
    for (const e of readEvents(file)) {
      for (const s of e.scalars) {
        const list = out.get(s.tag) ?? [];
        list.push([e.step, s.value]);
        out.set(s.tag, list);
      }
    }
  }
  for (const list of out.values()) list.sort((a, b) => a[0] - b[0]);
  return out;
}

describe('tensorBoardWriter', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes a standard event file: file version first, then per-epoch scalars at step epoch+1', async () => {
    const events: TrainEvent[] = [trainBegin(0)];
    for (let ep = 0; ep < 3; ep++) events.push(epochEnd(ep), checkpoint(ep));
    events.push(trainEnd(2));
    await lastValueFrom(tensorBoardWriter(dir, { hostname: 'box', now: () => 1_700_000_123_456 })(of(...events)), { defaultValue: undefined });

    const files = eventFiles(dir);
    assert.deepEqual(files.map((f) => path.basename(f)), ['events.out.tfevents.1700000123.box']);
    const read = readEvents(files[0]);
    assert.equal(read[0].fileVersion, 'brain.Event:2');
    assert.equal(read[0].wallTime, 1_700_000_123.456);
    const scalarEvents = read.filter((e) => e.scalars.length > 0);
    assert.deepEqual(scalarEvents.map((e) => e.step), [1, 2, 3]);
    for (const [i, e] of scalarEvents.entries()) {
      const src = epochEnd(i);
      assert.equal(e.wallTime, src.time / 1000);
      assert.deepEqual(e.scalars, [
        { tag: 'loss/train', value: f32(src.trainLoss) },
        { tag: 'loss/val', value: f32(src.valLoss as number) },
        { tag: 'accuracy/train', value: f32(src.trainAccuracy) },
        { tag: 'accuracy/val', value: f32(src.valAccuracy as number) },
        { tag: 'lr', value: f32(src.lr) },
      ]);
    }
  });

  it('writes the validation top-5 accuracy as accuracy/val_top5, next to accuracy/val, for the epochs that have it', async () => {
    const events: TrainEvent[] = [trainBegin(0), { ...epochEnd(0), valTop5Accuracy: 0.75 }, epochEnd(1), trainEnd(1)];
    await lastValueFrom(tensorBoardWriter(dir, { hostname: 'box', now: () => 1_700_000_123_456 })(of(...events)), { defaultValue: undefined });
    const scalarEvents = readEvents(eventFiles(dir)[0]).filter((e) => e.scalars.length > 0);
    assert.deepEqual(scalarEvents[0].scalars.map((s) => s.tag), ['loss/train', 'loss/val', 'accuracy/train', 'accuracy/val', 'accuracy/val_top5', 'lr']);
    assert.equal(scalarEvents[0].scalars[4].value, 0.75);
    assert.ok(!scalarEvents[1].scalars.some((s) => s.tag === 'accuracy/val_top5'), 'an epoch without it writes none');
  });

  it("writes the epoch's training img/s as images_per_sec, after lr, for the epochs that have it", async () => {
    const events: TrainEvent[] = [trainBegin(0), { ...epochEnd(0), imagesPerSec: 101.5 }, epochEnd(1), trainEnd(1)];
    await lastValueFrom(tensorBoardWriter(dir, { hostname: 'box', now: () => 1_700_000_123_456 })(of(...events)), { defaultValue: undefined });
    const scalarEvents = readEvents(eventFiles(dir)[0]).filter((e) => e.scalars.length > 0);
    assert.deepEqual(scalarEvents[0].scalars.map((s) => s.tag), ['loss/train', 'loss/val', 'accuracy/train', 'accuracy/val', 'lr', 'images_per_sec']);
    assert.equal(scalarEvents[0].scalars[5].value, 101.5);
    assert.ok(!scalarEvents[1].scalars.some((s) => s.tag === 'images_per_sec'), 'an epoch without it writes none');
  });

  it('redacts credentials from the config it shows', () => {
    const text = runMarkdown({ ...trainBegin(0), config: { telemetry: { token: 's3cr3t', address: 'h:1' }, tls: { privateKey: 'k' }, none: { token: null } } });
    assert.doesNotMatch(text, /s3cr3t|"k"/);
    assert.match(text, /"token": "\(redacted\)"/);
    assert.match(text, /"address": "h:1"/);
    assert.match(text, /"token": null/);
  });

  it("leaves an unnamed run's id (DEFAULT_RUN_ID) out of its first line, as the log does: \"**run** started\", not \"**run** run started\"", () => {
    assert.equal(runMarkdown({ ...trainBegin(0), runId: DEFAULT_RUN_ID }).split('\n')[0], '**run** started');
    assert.equal(runMarkdown({ ...trainBegin(2, 'ck/2'), runId: DEFAULT_RUN_ID }).split('\n')[0], `**run** resumed from \`ck/2\` at epoch 3, step ${trainBegin(2).step}`);
    assert.equal(runMarkdown({ ...trainBegin(0), runId: 'alexnet-1' }).split('\n')[0], '**run** alexnet-1 started');
  });

  it('counts epochs in words as the log does: "1 epoch", "3 epochs"', () => {
    assert.match(runMarkdown({ ...trainBegin(0), epochs: 1, stepsPerEpoch: 32 }), /^1 epoch × 32 steps; /m);
    assert.match(runMarkdown({ ...trainBegin(0), epochs: 3, stepsPerEpoch: 32 }), /^3 epochs × 32 steps; /m);
  });

  it('says, as the log does, that the threads are per replica when there are several', () => {
    assert.match(runMarkdown({ ...trainBegin(0), threads: 1, replicas: 2 }), /; backend \S+, 1 thread per replica, 2 replicas$/m);
    assert.match(runMarkdown({ ...trainBegin(0), threads: 2, replicas: 1 }), /; backend \S+, 2 threads, 1 replica$/m);
  });

  it('writes a Markdown "run" text summary at every start, with the config', async () => {
    const begin = { ...trainBegin(2, 'ckpt/epoch-1'), config: { epochs: 5, model: { name: 'small' } } };
    await lastValueFrom(tensorBoardWriter(dir)(of(begin)), { defaultValue: undefined });
    const texts = readEvents(eventFiles(dir)[0]).flatMap((e) => e.texts.map((t) => ({ ...t, step: e.step })));
    assert.equal(texts.length, 1);
    assert.equal(texts[0].tag, 'run');
    assert.equal(texts[0].plugin, 'text');
    assert.equal(texts[0].dtype, 7); // DT_STRING
    assert.equal(texts[0].step, 20);
    assert.match(texts[0].text, /^\*\*run\*\* run-1 resumed from `ckpt\/epoch-1` at epoch 3, step 20\n/);
    assert.match(texts[0].text, /```json\n\{\n {2}"epochs": 5,\n {2}"model": \{\n {4}"name": "small"\n {2}\}\n\}\n```$/);
    fs.rmSync(dir, { recursive: true });
    await lastValueFrom(tensorBoardWriter(dir, { runText: false })(of(begin)), { defaultValue: undefined });
    assert.equal(readEvents(eventFiles(dir)[0]).length, 1);
  });

  it('leaves out validation tags for epochs without validation', async () => {
    await lastValueFrom(tensorBoardWriter(dir)(of(epochEnd(0, false), checkpoint(0))), { defaultValue: undefined });
    const tags = readEvents(eventFiles(dir)[0]).flatMap((e) => e.scalars.map((s) => s.tag));
    assert.deepEqual(tags, ['loss/train', 'accuracy/train', 'lr']);
  });

  it('holds scalars back until their checkpoint, so a crash and a resume draw no duplicate points', async () => {
    // first run: checkpoints after epochs 0 and 1, crashes after finishing epoch 2 before its checkpoint
    const crashed = concat(
      of<TrainEvent[]>(trainBegin(0), epochEnd(0), checkpoint(0), epochEnd(1), checkpoint(1), epochEnd(2)),
      throwError(() => new Error('out of memory')),
    );
    await assert.rejects(lastValueFrom(tensorBoardWriter(dir, { now: () => 1_700_000_000_000 })(crashed)), /out of memory/);
    assert.deepEqual(
      scalarPoints(dir).get('loss/train')?.map((p) => p[0]),
      [1, 2],
    );
    // resumed run (same second, so the writer must pick a new file name) redoes epoch 2
    const resumed = of<TrainEvent[]>(trainBegin(2, 'ckpt/epoch-1'), epochEnd(2), checkpoint(2), epochEnd(3), checkpoint(3), epochEnd(4), trainEnd(4));
    await lastValueFrom(tensorBoardWriter(dir, { now: () => 1_700_000_000_500 })(resumed), { defaultValue: undefined });
    assert.equal(eventFiles(dir).length, 2);
    const points = scalarPoints(dir);
    for (const tag of ['loss/train', 'loss/val', 'accuracy/train', 'accuracy/val', 'lr']) {
      assert.deepEqual(points.get(tag)?.map((p) => p[0]), [1, 2, 3, 4, 5], tag);
    }
    assert.deepEqual(
      points.get('lr')?.map((p) => p[1]),
      [0.01, 0.01, 0.01, 0.001, 0.001].map(f32),
    );
  });

  it('on a full disk errors with the reason and leaves no half-written temp note', async () => {
    const write = nodeFs.writeFileSync;
    nodeFs.writeFileSync = ((file: fs.PathOrFileDescriptor, data: string | NodeJS.ArrayBufferView, opts?: fs.WriteFileOptions) => {
      if (!String(file).endsWith('.tmp')) return write(file, data, opts);
      write(file, '{"epo'); // what ENOSPC leaves: the file, cut short
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }) as typeof nodeFs.writeFileSync;
    try {
      await assert.rejects(lastValueFrom(tensorBoardWriter(dir)(of<TrainEvent[]>(trainBegin(0), epochEnd(0), checkpoint(0), trainEnd(0)))), /ENOSPC/);
    } finally {
      nodeFs.writeFileSync = write;
    }
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  });

  it('a resume writes the epochs a kill kept from it (checkpoint saved, its event never sent), from the checkpoint history', async () => {
    // First run: epoch 0 written at its checkpoint; epoch 1's checkpoint reached the disk, but
    // the process was killed before its CheckpointSaved event.
    const killed = concat(of<TrainEvent[]>(trainBegin(0), epochEnd(0), checkpoint(0), epochEnd(1)), throwError(() => new Error('killed')));
    await assert.rejects(lastValueFrom(tensorBoardWriter(dir, { now: () => 1_700_000_000_000 })(killed)), /killed/);
    assert.deepEqual(scalarPoints(dir).get('loss/train')?.map((p) => p[0]), [1]);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, TENSORBOARD_WRITTEN_FILE), 'utf8')), { epochs: 1 });
    // The resume starts after epoch 1 (its checkpoint), so it never redoes it: the history fills it in.
    const history = [epochEnd(0), epochEnd(1)].map(({ kind: _k, time: _t, step: _s, ...r }) => r);
    const resumed = of<TrainEvent[]>({ ...trainBegin(2, 'ckpt/epoch-1'), history }, epochEnd(2), checkpoint(2), trainEnd(2));
    await lastValueFrom(tensorBoardWriter(dir, { now: () => 1_700_000_000_500 })(resumed), { defaultValue: undefined });
    const points = scalarPoints(dir);
    for (const tag of ['loss/train', 'loss/val', 'accuracy/train', 'accuracy/val', 'lr']) assert.deepEqual(points.get(tag)?.map((p) => p[0]), [1, 2, 3], tag);
    assert.deepEqual(points.get('loss/train')?.map((p) => p[1]), [2, 1, 2 / 3].map(f32), 'the recorded values');
    // Resumed again with the note saying all 3 are there: nothing is written twice.
    const again = of<TrainEvent[]>({ ...trainBegin(3, 'ckpt/epoch-2'), history: [...history, (({ kind: _k, time: _t, step: _s, ...r }) => r)(epochEnd(2))] }, trainEnd(3));
    await lastValueFrom(tensorBoardWriter(dir, { now: () => 1_700_000_001_000 })(again), { defaultValue: undefined });
    assert.deepEqual(scalarPoints(dir).get('loss/train')?.map((p) => p[0]), [1, 2, 3]);
  });

  it('without a note (a log dir of an older version) a resume adds nothing it cannot vouch for', async () => {
    await lastValueFrom(tensorBoardWriter(dir, { now: () => 1_700_000_000_000 })(of<TrainEvent[]>(trainBegin(0), epochEnd(0), checkpoint(0))), { defaultValue: undefined });
    fs.rmSync(path.join(dir, TENSORBOARD_WRITTEN_FILE));
    const history = [epochEnd(0)].map(({ kind: _k, time: _t, step: _s, ...r }) => r);
    await lastValueFrom(tensorBoardWriter(dir, { now: () => 1_700_000_000_500 })(of<TrainEvent[]>({ ...trainBegin(1, 'ckpt/epoch-0'), history }, trainEnd(1))), { defaultValue: undefined });
    assert.deepEqual(scalarPoints(dir).get('loss/train')?.map((p) => p[0]), [1]);
  });

  it('writes batch metrics at the global step, held back until a checkpoint covers them', async () => {
    const batch = (epoch: number, step: number): TrainEvent => ({
      kind: 'BatchEnd', time: 1_700_000_000_000 + step, epoch, step, batch: (step - 1) % 10, batchSize: 32, loss: 1 / step, accuracy: step / 100, imagesPerSec: 50 + step,
    });
    const midEpoch: TrainEvent = { ...checkpoint(1), epoch: 1, step: 15 };
    const crashed = concat(
      of<TrainEvent[]>(trainBegin(0), batch(0, 5), batch(0, 10), epochEnd(0), checkpoint(0), batch(1, 15), midEpoch, batch(1, 20)),
      throwError(() => new Error('killed')),
    );
    await assert.rejects(lastValueFrom(tensorBoardWriter(dir, { now: () => 1_700_000_000_000 })(crashed)), /killed/);
    assert.deepEqual(scalarPoints(dir).get('batch/loss')?.map((p) => p[0]), [5, 10, 15]);
    // resumed from the mid-epoch checkpoint at step 15
    const resumed = of<TrainEvent[]>(trainBegin(1, 'ckpt/step-15'), batch(1, 20), epochEnd(1), checkpoint(1), trainEnd(1));
    await lastValueFrom(tensorBoardWriter(dir, { now: () => 1_700_000_001_000 })(resumed), { defaultValue: undefined });
    const points = scalarPoints(dir);
    assert.deepEqual(points.get('batch/loss')?.map((p) => p[0]), [5, 10, 15, 20]);
    assert.deepEqual(points.get('batch/loss')?.map((p) => p[1]), [1 / 5, 1 / 10, 1 / 15, 1 / 20].map(f32));
    assert.deepEqual(points.get('batch/images_per_sec')?.map((p) => p[1]), [55, 60, 65, 70]);
    assert.deepEqual(points.get('batch/accuracy')?.map((p) => p[1]), [0.05, 0.1, 0.15, 0.2].map(f32));
    assert.deepEqual(points.get('loss/train')?.map((p) => p[0]), [1, 2]);
  });

  it('leaves batch metrics out when asked to', async () => {
    const b: TrainEvent = { kind: 'BatchEnd', time: 0, epoch: 0, step: 3, batch: 2, batchSize: 8, loss: 1, accuracy: 0.5, imagesPerSec: 9 };
    await lastValueFrom(tensorBoardWriter(dir, { batchScalars: false })(of(b, epochEnd(0), checkpoint(0))), { defaultValue: undefined });
    assert.deepEqual([...scalarPoints(dir).keys()], ['loss/train', 'loss/val', 'accuracy/train', 'accuracy/val', 'lr']);
  });

  it('flushOn epoch writes each epoch as soon as it ends', async () => {
    const events$ = new Subject<TrainEvent>();
    const done = lastValueFrom(tensorBoardWriter(dir, { flushOn: 'epoch' })(events$), { defaultValue: undefined });
    events$.next(epochEnd(0));
    assert.deepEqual(readEvents(eventFiles(dir)[0]).map((e) => e.step), [0, 1]);
    events$.complete();
    await done;
  });

  it('writes the model graph as a GraphDef with nodes, edges, shapes and attributes', async () => {
    const graph: GraphNode[] = [
      { name: 'input', op: 'Placeholder', shape: [null, 28, 28, 1] },
      { name: 'conv1', op: 'Conv2D', inputs: ['input'], shape: [null, 28, 28, 32], attrs: { kernel: [5, 5], activation: 'relu', params: 832 } },
      { name: 'dense', op: 'Dense', inputs: ['conv1'], shape: [null, 10], attrs: { dropout: 0.5, bias: true } },
    ];
    await lastValueFrom(tensorBoardWriter(dir, { graph })(of()), { defaultValue: undefined });
    const read = readEvents(eventFiles(dir)[0]);
    const withGraph = read.filter((e): e is ReadEvent & { graphDef: Buffer } => e.graphDef !== undefined);
    assert.equal(withGraph.length, 1);
    const nodes = bytesOf(decodeProto(withGraph[0].graphDef), 1).map((n) => decodeProto(n));
    assert.deepEqual(nodes.map((n) => bytesOf(n, 1)[0].toString()), ['input', 'conv1', 'dense']);
    assert.deepEqual(nodes.map((n) => bytesOf(n, 2)[0].toString()), ['Placeholder', 'Conv2D', 'Dense']);
    assert.deepEqual(bytesOf(nodes[2], 3).map(String), ['conv1']);
    const attrs = (n: Map<number, unknown>) =>
      new Map(bytesOf(n as ReturnType<typeof decodeProto>, 5).map((entry) => {
        const m = decodeProto(entry);
        return [bytesOf(m, 1)[0].toString(), decodeProto(bytesOf(m, 2)[0])] as const;
      }));
    const conv = attrs(nodes[1]);
    // _output_shapes: AttrValue.list(1).shape(7).dim(2).size(1)
    const shape = decodeProto(bytesOf(decodeProto(bytesOf(conv.get('_output_shapes') as ReturnType<typeof decodeProto>, 1)[0]), 7)[0]);
    const dims = bytesOf(shape, 2).map((d) => {
      const size = decodeProto(d).get(1)?.[0];
      assert.ok(size !== undefined && size.wire === 0);
      return Number(BigInt.asIntN(64, size.v));
    });
    assert.deepEqual(dims, [-1, 28, 28, 32]);
    assert.equal(bytesOf(conv.get('activation') as ReturnType<typeof decodeProto>, 2)[0].toString(), 'relu');
    assert.deepEqual(conv.get('params')?.get(3), [{ wire: 0, v: 832n }]);
    const dense = attrs(nodes[2]);
    assert.equal((dense.get('dropout')?.get(4)?.[0] as { v: Buffer }).v.readFloatLE(0), 0.5);
    assert.deepEqual(dense.get('bias')?.get(5), [{ wire: 0, v: 1n }]);
  });

  it('writes the graph once per run: a resumed run (event files already there) adds none', async () => {
    const graph: GraphNode[] = [{ name: 'input', op: 'Placeholder', shape: [null, 4] }, { name: 'dense', op: 'Dense', inputs: ['input'] }];
    await lastValueFrom(tensorBoardWriter(dir, { graph })(of()), { defaultValue: undefined });
    await lastValueFrom(tensorBoardWriter(dir, { graph })(of()), { defaultValue: undefined });
    const files = eventFiles(dir);
    assert.equal(files.length, 2);
    const graphs = files.map((f) => readEvents(f).filter((e) => e.graphDef !== undefined).length);
    assert.deepEqual(graphs.sort(), [0, 1]);
  });

  it('rejects a graph whose edges point at unknown nodes, naming them', () => {
    assert.throws(
      () => tensorBoardWriter(dir, { graph: [{ name: 'a', op: 'Dense', inputs: ['nope'] }] }),
      /node 'a' has input 'nope'/,
    );
    assert.throws(() => tensorBoardWriter(dir, { graph: [{ name: 'a', op: 'Dense' }, { name: 'a', op: 'Dense' }] }), /duplicate node name 'a'/);
  });

  it('completes on an empty stream with just the file-version record', async () => {
    await lastValueFrom(tensorBoardWriter(dir)(of()), { defaultValue: undefined });
    const read = readEvents(eventFiles(dir)[0]);
    assert.equal(read.length, 1);
    assert.equal(read[0].fileVersion, 'brain.Event:2');
  });

  it('stops and closes the file on early unsubscribe, dropping unsaved epochs', () => {
    const events$ = new Subject<TrainEvent>();
    const sub = tensorBoardWriter(dir)(events$).subscribe();
    events$.next(epochEnd(0));
    events$.next(checkpoint(0));
    events$.next(epochEnd(1));
    sub.unsubscribe();
    assert.equal(events$.observed, false);
    assert.deepEqual(readEvents(eventFiles(dir)[0]).map((e) => e.step), [0, 1]);
  });

  it('errors clearly when the log directory cannot be created', async () => {
    const file = path.join(dir, 'not-a-dir');
    fs.writeFileSync(file, '');
    await assert.rejects(lastValueFrom(tensorBoardWriter(path.join(file, 'tb'))(of())), /not-a-dir/);
  });
});
