/**
 * `npm run bench:import-idx`: `rxtrain import-idx` (IDX → folder-per-class PNGs) against what a
 * PyTorch user would write instead (gzip + numpy + PIL `Image.save`, one process), side by
 * side on the same files in one run.
 *
 * Input: the Fashion-MNIST test split, `/usr/share/datasets/fashion-mnist/t10k-*` (Debian
 * dataset-fashion-mnist), or `RXTRAIN_BENCH_IDX_DIR=<folder with t10k-images*, t10k-labels*>`.
 * Prints `<what> images_per_s=<N>` per side, then the ratio.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { run } from '../src/cli/importIdxCommand';

const DIR = process.env.RXTRAIN_BENCH_IDX_DIR ?? '/usr/share/datasets/fashion-mnist';
const PYTHON = '/usr/bin/python3';

const PY = `
import gzip, os, sys, time
import numpy as np
from PIL import Image
imgs, lbls, out = sys.argv[1:4]
def load(p):
    with open(p, 'rb') as f:
        b = f.read()
    return gzip.decompress(b) if b[:2] == b'\\x1f\\x8b' else b
t0 = time.time()
x = np.frombuffer(load(imgs), np.uint8, offset=16).reshape(-1, 28, 28)
y = np.frombuffer(load(lbls), np.uint8, offset=8)
for c in range(10):
    os.makedirs(os.path.join(out, '%03d' % (c + 1)), exist_ok=True)
for i in range(len(x)):
    Image.fromarray(x[i], 'L').save(os.path.join(out, '%03d' % (y[i] + 1), '%05d.png' % i), optimize=False, compress_level=9)
print(len(x), time.time() - t0)
`;

async function main(): Promise<void> {
  const files = await fsp.readdir(DIR);
  const pick = (prefix: string): string => {
    const f = files.find((n) => n.startsWith(prefix));
    if (f === undefined) throw new Error(`${DIR}: no ${prefix}* file (set RXTRAIN_BENCH_IDX_DIR)`);
    return path.join(DIR, f);
  };
  const images = pick('t10k-images');
  const labels = pick('t10k-labels');
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'bench-idx-'));
  try {
    const t0 = process.hrtime.bigint();
    const quiet = { write: () => true };
    const code = await run([images, labels, path.join(tmp, 'rx'), '--names', 'fashion-mnist', '--quiet'], { out: quiet, err: process.stderr });
    if (code !== 0) throw new Error(`import-idx exited with ${code}`);
    const rxSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    let count = 0;
    for (const d of await fsp.readdir(path.join(tmp, 'rx'))) count += (await fsp.readdir(path.join(tmp, 'rx', d))).length;
    const rx = count / rxSeconds;
    console.log(`rxtrain import-idx images_per_s=${rx.toFixed(0)} (${count} images in ${rxSeconds.toFixed(1)} s)`);
    if (!existsSync(PYTHON)) {
      console.log(`python reference skipped: ${PYTHON} not found`);
      return;
    }
    const py = spawnSync(PYTHON, ['-c', PY, images, labels, path.join(tmp, 'py')], { encoding: 'utf8' });
    if (py.status !== 0) {
      console.log(`python reference failed: ${py.stderr.trim().split('\n').pop() ?? ''}`);
      return;
    }
    const [n, secs] = py.stdout.trim().split(/\s+/).map(Number);
    const ref = n / secs;
    console.log(`python numpy+PIL images_per_s=${ref.toFixed(0)} (${n} images in ${secs.toFixed(1)} s)`);
    console.log(`ratio rxtrain/python=${(rx / ref).toFixed(2)}`);
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench:import-idx: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
