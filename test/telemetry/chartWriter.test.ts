import assert from 'node:assert/strict';
import * as fs from 'node:fs';
// The module object itself (the namespace import is a read-only view), to stub a full disk.
import nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { concat, lastValueFrom, of, Subject, throwError } from 'rxjs';
import sharp from 'sharp';
import { chartWriter, CHART_HISTORY_FILE } from '../../src/telemetry/chartWriter';
import type { EpochEnd, TrainEvent } from '../../src/telemetry/TrainEvent';
import { checkpoint, epochEnd, trainBegin, trainEnd } from './events';

const drain = (o: ReturnType<ReturnType<typeof chartWriter>>) => lastValueFrom(o, { defaultValue: undefined });

describe('chartWriter', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chartw-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const history = (): number[] =>
    (JSON.parse(fs.readFileSync(path.join(dir, CHART_HISTORY_FILE), 'utf8')) as EpochEnd[]).map((e) => e.epoch);

  it('draws the charts and completes only once they are written', async () => {
    await drain(chartWriter(dir)(of<TrainEvent[]>(trainBegin(0), epochEnd(0), checkpoint(0), epochEnd(1), trainEnd(1))));
    assert.equal((await sharp(path.join(dir, 'plot.png')).metadata()).format, 'png');
    assert.equal((await sharp(path.join(dir, 'lr.png')).metadata()).format, 'png');
    assert.deepEqual(history(), [0, 1]);
  });

  it('continues the curves of a resumed run, replacing epochs trained again; a fresh run starts over', async () => {
    await drain(chartWriter(dir, { redraw: 'end' })(of<TrainEvent[]>(trainBegin(0), epochEnd(0), epochEnd(1), epochEnd(2))));
    const redone = { ...epochEnd(2), trainLoss: 0.123 };
    await drain(chartWriter(dir, { redraw: 'end' })(of<TrainEvent[]>(trainBegin(2, 'ckpt/epoch-1'), redone, epochEnd(3))));
    assert.deepEqual(history(), [0, 1, 2, 3]);
    const saved = JSON.parse(fs.readFileSync(path.join(dir, CHART_HISTORY_FILE), 'utf8')) as EpochEnd[];
    assert.equal(saved[2].trainLoss, 0.123);
    await drain(chartWriter(dir, { redraw: 'end' })(of<TrainEvent[]>(trainBegin(0), epochEnd(0))));
    assert.deepEqual(history(), [0]);
  });

  it('draws what it has, then passes an upstream error on', async () => {
    await assert.rejects(drain(chartWriter(dir)(concat(of(epochEnd(0)), throwError(() => new Error('boom'))))), /boom/);
    assert.ok(fs.existsSync(path.join(dir, 'plot.png')));
  });

  it('stops on early unsubscribe', () => {
    const s = new Subject<TrainEvent>();
    const sub = chartWriter(dir, { redraw: 'end' })(s).subscribe();
    s.next(epochEnd(0));
    sub.unsubscribe();
    assert.equal(s.observed, false);
    assert.deepEqual(history(), [0]);
  });

  it('on a full disk errors with the reason and leaves no half-written temp file', async () => {
    const write = nodeFs.writeFileSync;
    nodeFs.writeFileSync = ((file: fs.PathOrFileDescriptor) => {
      write(file, '{"half":'); // what ENOSPC leaves: the file, cut short
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }) as typeof nodeFs.writeFileSync;
    try {
      await assert.rejects(drain(chartWriter(dir)(of(epochEnd(0)))), /charts: cannot write .*history\.json: ENOSPC: no space left on device/);
    } finally {
      nodeFs.writeFileSync = write;
    }
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('errors naming the folder when it cannot write there', async () => {
    const file = path.join(dir, 'file');
    fs.writeFileSync(file, '');
    await assert.rejects(drain(chartWriter(path.join(file, 'charts'))(of(epochEnd(0)))), /charts: cannot write .*file\/charts/);
  });
});
