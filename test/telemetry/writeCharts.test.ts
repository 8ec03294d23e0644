import assert from 'node:assert/strict';
import * as fs from 'node:fs';
// The module object itself (the namespace import is a read-only view), to stub a full disk.
import nodeFsPromises from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { epochHistory, metricsChartSpec, writeCharts } from '../../src/telemetry/writeCharts';
import type { TrainEvent } from '../../src/telemetry/TrainEvent';
import { checkpoint, epochEnd, trainBegin } from './events';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Fraction of pixels in a PNG close to an RGB colour. */
async function colourShare(file: string, rgb: [number, number, number]): Promise<number> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let n = 0;
  for (let i = 0; i < data.length; i += 3) {
    if (Math.abs(data[i] - rgb[0]) < 30 && Math.abs(data[i + 1] - rgb[1]) < 30 && Math.abs(data[i + 2] - rgb[2]) < 30) n++;
  }
  return n / (info.width * info.height);
}

describe('writeCharts', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'charts-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps one point per epoch, the last report winning', () => {
    const later = { ...epochEnd(1), trainLoss: 0.5 };
    const h = epochHistory([trainBegin(0), epochEnd(1), epochEnd(0), checkpoint(0), later]);
    assert.deepEqual(h.map((e) => [e.epoch, e.trainLoss]), [[0, 2], [1, 0.5]]);
  });

  it('plots train and val loss and accuracy per epoch, 1-based, skipping missing and non-finite values', () => {
    const spec = metricsChartSpec([epochEnd(0), epochEnd(1, false), { ...epochEnd(2), valLoss: NaN }]);
    const rows = (spec.data as { values: { epoch: number; metric: string; split: string }[] }).values;
    assert.deepEqual(
      rows.map((r) => `${r.epoch}:${r.metric}/${r.split}`),
      ['1:loss/train', '1:loss/val', '1:accuracy/train', '1:accuracy/val', '2:loss/train', '2:accuracy/train', '3:loss/train', '3:accuracy/train', '3:accuracy/val'],
    );
  });

  it('plots the validation top-5 accuracy as a third accuracy line when the epochs have it, and only then in the legend', () => {
    const colourDomain = (spec: Record<string, unknown>): unknown => ((spec.hconcat as Array<{ encoding: { color: { scale: { domain: unknown } } } }>)[1]).encoding.color.scale.domain;
    const spec = metricsChartSpec([{ ...epochEnd(0), valTop5Accuracy: 0.4 }, { ...epochEnd(1), valTop5Accuracy: 0.5 }]);
    const rows = (spec.data as { values: { epoch: number; metric: string; split: string; value: number }[] }).values;
    assert.deepEqual(rows.filter((r) => r.split === 'val top-5').map((r) => [r.epoch, r.metric, r.value]), [[1, 'accuracy', 0.4], [2, 'accuracy', 0.5]]);
    assert.deepEqual(colourDomain(spec), ['train', 'val', 'val top-5']);
    assert.deepEqual(colourDomain(metricsChartSpec([epochEnd(0)])), ['train', 'val']);
  });

  it('on a full disk rejects with the reason and leaves no half-written PNG behind', async () => {
    const full = fs.mkdtempSync(path.join(os.tmpdir(), 'charts-full-'));
    const write = nodeFsPromises.writeFile;
    nodeFsPromises.writeFile = (async (file: Parameters<typeof write>[0]) => {
      await write(file, 'PNG, cut'); // what ENOSPC leaves: the file, cut short
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }) as typeof nodeFsPromises.writeFile;
    try {
      await assert.rejects(writeCharts([trainBegin(0), epochEnd(0)], full), /ENOSPC/);
    } finally {
      nodeFsPromises.writeFile = write;
    }
    assert.deepEqual(fs.readdirSync(full), []);
    fs.rmSync(full, { recursive: true, force: true });
  });

  it('renders plot.png and lr.png: valid PNGs of sensible size that show both curves', async () => {
    const events: TrainEvent[] = [trainBegin(0)];
    for (let ep = 0; ep < 6; ep++) events.push(epochEnd(ep), checkpoint(ep));
    const files = await writeCharts(events, dir);
    assert.deepEqual(files, { plot: path.join(dir, 'plot.png'), lr: path.join(dir, 'lr.png') });
    for (const file of [files.plot, files.lr]) {
      assert.deepEqual(fs.readFileSync(file).subarray(0, 8), PNG_SIGNATURE);
      const meta = await sharp(file).metadata();
      assert.equal(meta.format, 'png');
      assert.ok(meta.width >= 600 && meta.width <= 4000, `width ${meta.width}`);
      assert.ok(meta.height >= 300 && meta.height <= 2000, `height ${meta.height}`);
    }
    const plotMeta = await sharp(files.plot).metadata();
    assert.ok(plotMeta.width > 2 * plotMeta.height, 'loss and accuracy side by side');
    // the train (blue) and val (orange) lines are drawn
    assert.ok((await colourShare(files.plot, [0x1f, 0x77, 0xb4])) > 0.002);
    assert.ok((await colourShare(files.plot, [0xff, 0x7f, 0x0e])) > 0.002);
    assert.ok((await colourShare(files.lr, [0x4c, 0x78, 0xa8])) > 0.002);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['lr.png', 'plot.png']);
  });

  it('draws an empty history without failing', async () => {
    const sub = path.join(dir, 'empty');
    await writeCharts([], sub);
    assert.equal((await sharp(path.join(sub, 'plot.png')).metadata()).format, 'png');
  });
});
