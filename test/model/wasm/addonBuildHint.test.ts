import assert from 'node:assert/strict';
import { addonBuildHint } from '../../../src/model/wasm/addonBuildHint';

describe('addonBuildHint', () => {
  it('tells a project that installed the package to rebuild it with npm, which its held-back install script needs', () => {
    const hint = addonBuildHint('/home/me/proj/node_modules/rxtrain', '/home/me/proj');
    assert.match(hint, /`npm rebuild rxtrain` in your project/);
    assert.match(hint, /npm install-scripts approve rxtrain/);
    assert.doesNotMatch(hint, /native\/install\.mjs/);
  });

  it('keeps `node native/install.mjs` for a clone, from its root', () => {
    assert.equal(addonBuildHint('/src/rxtrain', '/src/rxtrain'), '`node native/install.mjs`');
  });

  it('names the script by its absolute path from outside the clone root, where a relative one would not be found', () => {
    assert.equal(addonBuildHint('/src/rxtrain', '/src/rxtrain/runs'), '`node /src/rxtrain/native/install.mjs`');
    assert.equal(addonBuildHint('/src/rxtrain', '/tmp'), '`node /src/rxtrain/native/install.mjs`');
  });
});
