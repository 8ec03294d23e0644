import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { makeImage } from '../../src/ops/Image';
import { createRng } from '../../src/ops/Rng';
import { augmentInto } from '../../src/streams/Augment';
import { createAugmentWorkers } from '../../src/streams/createAugmentWorkers';

describe('createAugmentWorkers', () => {
  it('writes the same floats as augmentInto on the main thread, and reports kernel errors', async () => {
    const workers = createAugmentWorkers(2);
    try {
      const img = makeImage(Uint8Array.from({ length: 9 * 7 * 3 }, (_, i) => (i * 13) % 256), 9, 7, 3);
      const aug = { kind: 'train', crop: 5, flip: true, mean: [10, 20, 30], std: [2, 3, 4] } as const;
      const shared = new SharedArrayBuffer(4 * 5 * 5 * 3 * 4);
      await Promise.all([0, 1, 2, 3].map((k) => workers.run(img, aug, 100 + k, shared, k * 75)));
      const expected = new Float32Array(300);
      for (let k = 0; k < 4; k++) augmentInto(img, aug, createRng(100 + k), expected, k * 75);
      assert.deepEqual(new Float32Array(shared), expected);
      await assert.rejects(workers.run(img, { ...aug, crop: 50 }, 1, shared, 0), /augment worker: RangeError: randomCrop/);
    } finally {
      await workers.close();
    }
    await assert.rejects(workers.run(makeImage(new Uint8Array(3), 1, 1, 3), { kind: 'eval', crop: 1, mean: [0] }, 1, new SharedArrayBuffer(12), 0), /closed/);
  });

  it('keeps the process alive while jobs run, not after: a pool nobody closed does not hang it', async function () {
    this.timeout(60_000);
    const script = `
      const { createAugmentWorkers } = require(${JSON.stringify(require.resolve('../../src/streams/createAugmentWorkers'))});
      const w = createAugmentWorkers(2);
      const img = { data: new Uint8Array(27).fill(9), width: 3, height: 3, channels: 3 };
      const out = new SharedArrayBuffer(48);
      w.run(img, { kind: 'eval', crop: 2, mean: [1] }, 1, out, 0).then(() => console.log('job done', new Float32Array(out)[3]));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', script], { timeout: 40_000 });
    assert.equal(stdout.trim(), 'job done 8');
  });
});
