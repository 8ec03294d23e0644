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

  it('tells names in other scripts apart, and matches a name however its accents are encoded', () => {
    assert.equal(sameClasses(['猫', '犬'], ['犬', '猫']), false, 'Japanese classes in another order');
    assert.equal(sameClasses(['кошка', 'собака'], ['кот', 'собака']), false, 'another Cyrillic class');
    assert.equal(sameClasses(['Crème brûlée', '日本の寿司'], ['cre\u0300me_bru\u0302le\u0301e', '日本の寿司']), true, 'a folder name written on macOS (decomposed accents)');
    assert.deepEqual(['猫', 'crème brûlée'].map((n, i) => classDirName(i, n)), ['001.猫', '002.crème_brûlée'], 'import-idx keeps the names');
  });

  it('keeps the order and the count: the position is the label', () => {
    assert.equal(sameClasses(['cat', 'dog'], ['dog', 'cat']), false);
    assert.equal(sameClasses(['cat', 'dog'], ['cat']), false);
    assert.equal(sameClasses(['cat', 'dog'], ['cat', 'bird']), false);
  });
});
