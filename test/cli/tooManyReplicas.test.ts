import assert from 'node:assert/strict';
import { REPLICAS_PER_CORE, tooManyReplicas } from '../../src/cli/tooManyReplicas';

describe('tooManyReplicas', () => {
  it('allows up to four replicas per core, and auto (0)', () => {
    assert.equal(REPLICAS_PER_CORE, 4);
    assert.equal(tooManyReplicas(0, 2), undefined);
    assert.equal(tooManyReplicas(1, 1), undefined);
    assert.equal(tooManyReplicas(8, 2), undefined);
    assert.equal(tooManyReplicas(4, 1), undefined);
  });

  it('refuses more, naming the count, the cores, the limit and both ways out', () => {
    assert.equal(
      tooManyReplicas(64, 2),
      'replicas 64 on 2 cores: more than 8 (4 per core) take turns on the cores, training no faster, and each starts a model, a backend and a wasm heap of its own (about half a second and 75 MB or more each before the first step); use at most 2 (or --replicas auto), or pass --allow-many-replicas (config "allowManyReplicas": true) to start them anyway',
    );
    assert.match(tooManyReplicas(5, 1) ?? '', /^replicas 5 on 1 core: more than 4 \(4 per core\)/);
    assert.match(tooManyReplicas(9, 2) ?? '', /^replicas 9 on 2 cores: more than 8/);
  });
});
