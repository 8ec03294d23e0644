import assert from 'node:assert/strict';
import { classDirName } from '../../src/streams/idxClassNames';
import { classSlug, sameClasses } from '../../src/streams/sameClasses';

describe('sameClasses', () => {
  it('matches a dataset\'s class names with the folder names import-idx writes for them', () => {
    const names = ['T-shirt/top', 'Trouser', 'Ankle boot'];
    const folders = names.map((n, i) => classDirName(i, n).replace(/^\d+\./, ''));
    assert.deepEqual(folders, ['t-shirt_top', 'trouser', 'ankle_boot']);
    assert.equal(sameClasses(names, folders), true);
    assert.equal(classSlug('  --Weird  Name!! '), '--weird_name');
  });

  it('keeps the order and the count: the position is the label', () => {
    assert.equal(sameClasses(['cat', 'dog'], ['dog', 'cat']), false);
    assert.equal(sameClasses(['cat', 'dog'], ['cat']), false);
    assert.equal(sameClasses(['cat', 'dog'], ['cat', 'bird']), false);
  });
});
