import assert from 'node:assert/strict';
import { withDefaults } from '../../src/model/withDefaults';

describe('withDefaults', () => {
  it('lays the given fields over the defaults, leaving a default where a field is undefined, and changes neither', () => {
    const defaults = { lr: 0.01, nesterov: true, momentum: 0.9 };
    const options = { lr: 0.5, nesterov: undefined, momentum: 0 };
    assert.deepEqual(withDefaults(defaults, options), { lr: 0.5, nesterov: true, momentum: 0 });
    assert.deepEqual(defaults, { lr: 0.01, nesterov: true, momentum: 0.9 });
    assert.deepEqual(options, { lr: 0.5, nesterov: undefined, momentum: 0 });
  });
});
