import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { PREPROCESS_INFO_FILE, readPreprocessInfo, writePreprocessInfo } from '../../src/streams/readPreprocessInfo';
import { tempDir } from './fixtures';

describe('readPreprocessInfo', () => {
  it('reads back what was written', async () => {
    const dir = await tempDir();
    await writePreprocessInfo(dir, { background: 'white' });
    assert.deepEqual(await readPreprocessInfo(dir), { background: 'white' });
  });

  it('reads a file saved with a byte-order mark (a Windows editor): its white background is kept, not silently black', async () => {
    const dir = await tempDir();
    await fsp.writeFile(path.join(dir, PREPROCESS_INFO_FILE), '\ufeff{"background":"white"}\r\n');
    assert.deepEqual(await readPreprocessInfo(dir), { background: 'white' });
  });

  it('is undefined for an output of an earlier version (no file) or a malformed one, never an error', async () => {
    const dir = await tempDir();
    assert.equal(await readPreprocessInfo(dir), undefined);
    for (const text of ['{"background":"grey"}', 'not json', '[]', 'null']) {
      await fsp.writeFile(path.join(dir, PREPROCESS_INFO_FILE), text);
      assert.equal(await readPreprocessInfo(dir), undefined, text);
    }
  });
});
