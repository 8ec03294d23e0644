import assert from 'node:assert/strict';
import * as os from 'node:os';
import { resolveReplicas } from '../../src/model/resolveReplicas';
import { nativeKernelState } from '../../src/model/wasm/nativeKernels';

const cores = os.availableParallelism();

describe('resolveReplicas', () => {
  it('keeps a given count, defaults to 1, and resolves auto from the backend', () => {
    assert.equal(resolveReplicas(3, 'cpu'), 3);
    assert.equal(resolveReplicas(undefined, 'wasm'), 1);
    assert.equal(resolveReplicas('auto', 'cpu'), cores, 'single-threaded kernels: one replica per core');
    assert.equal(resolveReplicas('auto', 'tensorflow'), 1, 'threaded kernels: one replica on every core');
    assert.equal(resolveReplicas('auto', 'wasm'), nativeKernelState().active ? 1 : cores);
  });
});
