import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { PHOTOS, tempDir, write } from './fixtures';

const ROOT = path.resolve(__dirname, '../..');

/** The first ```ts block of the README's pipeline section. */
async function readmeExample(): Promise<string> {
  const readme = await fsp.readFile(path.join(ROOT, 'README.md'), 'utf8');
  const section = /<!-- section:pipeline -->([\s\S]*?)<!-- \/section:pipeline -->/.exec(readme)?.[1];
  assert.ok(section, 'README has a pipeline section');
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code, 'the pipeline section has a ts example');
  return code;
}

describe('README pipeline example', () => {
  it('runs as written on a small folder dataset and leaves no tensors', async () => {
    const data = await tempDir();
    const photos = ['astronaut.png', 'chelsea.png', 'coffee.png', 'horse.png', 'rocket.jpg'];
    for (let i = 0; i < 68; i++) {
      const img = await sharp(path.join(PHOTOS, photos[i % 5])).resize(240 + i, 232).jpeg().toBuffer();
      await write(path.join(data, i % 2 ? '001.cat' : '002.dog', `${i}.jpg`), img);
    }
    await write(path.join(data, '001.cat', '.DS_Store'), 'junk');
    // Resolve `rxtrain` to this checkout; the file sits under node_modules so rxjs/tfjs resolve too.
    const dir = path.join(ROOT, 'node_modules', '.cache', 'rxtrain-readme');
    await fsp.mkdir(dir, { recursive: true });
    const file = path.join(dir, `pipeline-${process.pid}.ts`);
    await fsp.writeFile(file, (await readmeExample()).replace(/from 'rxtrain'/g, `from ${JSON.stringify(path.join(ROOT, 'src/index'))}`));
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--require', 'tsx/cjs', file, data], { cwd: ROOT, timeout: 120_000 });
      assert.match(stdout, /^2 classes$/m);
      assert.match(stderr, /skipped .*\.DS_Store: hidden/);
      assert.match(stdout, /^batch 64,227,227,3 labels 64$/m);
      assert.match(stdout, /^batch 4,227,227,3 labels 4$/m);
      assert.match(stdout, /^68 images, 2 steps\/epoch, tensors left: 0$/m);
    } finally {
      await fsp.rm(file, { force: true });
    }
  });
});
