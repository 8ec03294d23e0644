import assert from 'node:assert/strict';
import * as E from 'fp-ts/Either';
import { weightsManifestPaths } from '../../src/model/weightsManifestPaths';

describe('weightsManifestPaths', () => {
  it('lists the paths of every group as written; no manifest is no files; anything else is a Left saying why', () => {
    const json = JSON.stringify({ weightsManifest: [{ paths: ['a.bin', '../b.bin'], weights: [] }, { paths: ['c/d.bin'], weights: [] }] });
    assert.deepEqual(weightsManifestPaths(json), E.right(['a.bin', '../b.bin', 'c/d.bin']));
    assert.deepEqual(weightsManifestPaths('{"modelTopology": {}}'), E.right([]));
    const bad: Array<[string, RegExp]> = [
      ['{"weightsManifest": [', /^not JSON \(/],
      ['[1, 2]', /^not a JSON object$/],
      ['{"weightsManifest": [{"paths": "a.bin"}]}', /weightsManifest is not a list of \{ paths: \[file names\] \}/],
      ['{"weightsManifest": {"paths": ["a.bin"]}}', /weightsManifest is not a list/],
    ];
    for (const [text, why] of bad) {
      const r = weightsManifestPaths(text);
      assert.ok(E.isLeft(r), text);
      assert.match(r.left, why, text);
    }
  });
});
