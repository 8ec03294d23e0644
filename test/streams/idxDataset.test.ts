import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeIdx } from '../../src/streams/idxArray';
import { readIdxDataset } from '../../src/streams/idxDataset';

describe('readIdxDataset', () => {
  let dir: string;
  const write = (name: string, bytes: Buffer): string => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, bytes);
    return f;
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idxds-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const images = (n: number, h = 2, w = 3) =>
    encodeIdx({ type: 'ubyte', dims: [n, h, w], data: new Uint8Array(n * h * w).map((_, i) => i) });
  const labels = (...ys: number[]) => encodeIdx({ type: 'ubyte', dims: [ys.length], data: Uint8Array.from(ys) });

  it('pairs images with labels as grey Images', async () => {
    const ds = await readIdxDataset(write('i', images(3)), write('l', labels(2, 0, 1)), { numClasses: 3 });
    assert.equal(ds.count, 3);
    assert.deepEqual([ds.width, ds.height, ds.channels], [3, 2, 1]);
    assert.deepEqual([...ds.labels], [2, 0, 1]);
    assert.deepEqual([...ds.image(1).data], [6, 7, 8, 9, 10, 11]);
    assert.throws(() => ds.image(3), /image index 3 out of range 0\.\.2/);
  });

  it('accepts N×H×W×C colour images', async () => {
    const rgb = encodeIdx({ type: 'ubyte', dims: [1, 1, 2, 3], data: Uint8Array.of(1, 2, 3, 4, 5, 6) });
    const ds = await readIdxDataset(write('i', rgb), write('l', labels(0)));
    assert.deepEqual(ds.image(0), { data: Uint8Array.of(1, 2, 3, 4, 5, 6), width: 2, height: 1, channels: 3 });
  });

  it('rejects mismatched, swapped and out-of-range files, naming the file and the expectation', async () => {
    await assert.rejects(
      readIdxDataset(write('imgs', images(3)), write('lbls', labels(0, 1))),
      /lbls: has 2 labels but .*imgs has 3 images; they must be the same count/,
    );
    await assert.rejects(
      readIdxDataset(write('lbls2', labels(0, 1)), write('imgs2', images(2))),
      /lbls2 holds labels \(1-D\) and .*imgs2 holds images \(2×\d+×\d+\): the IMAGES and LABELS files are swapped/,
    );
    await assert.rejects(
      readIdxDataset(write('imgs3', images(2)), write('lbl3', labels(0, 10)), { numClasses: 10 }),
      /lbl3: label 10 of item 1 is out of range: expected 0\.\.9 for 10 classes/,
    );
    const floats = encodeIdx({ type: 'float', dims: [1, 1, 1], data: Float32Array.of(0.5) });
    await assert.rejects(readIdxDataset(write('f', floats), write('l', labels(0))), /f: expected 8-bit \(ubyte\) image data, found float/);
  });
});
