import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withoutKernelReRegistrationWarnings } from '../../src/model/withoutKernelReRegistrationWarnings';

function capturingWarn<T>(fn: () => T): { result: T; warned: unknown[][] } {
  const warned: unknown[][] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]): void => { warned.push(args); };
  try {
    return { result: fn(), warned };
  } finally {
    console.warn = warn;
  }
}

describe('withoutKernelReRegistrationWarnings', () => {
  // What loading a second tfjs-node package does for each of its ~150 kernels.
  const registerTwice = (name: string): void => {
    const config = { kernelName: name, backendName: 'rxtrain-test-backend', kernelFunc: () => tf.scalar(0) } as unknown as tf.KernelConfig;
    tf.registerKernel(config);
    tf.registerKernel(config);
  };

  it("drops tfjs' 'already registered' warnings of a package loaded in it (tfjs warns outside it)", () => {
    const outside = capturingWarn(() => registerTwice('RxtrainTestKernelA'));
    assert.deepEqual(outside.warned, [["The kernel 'RxtrainTestKernelA' for backend 'rxtrain-test-backend' is already registered"]]);
    const inside = capturingWarn(() => withoutKernelReRegistrationWarnings(() => registerTwice('RxtrainTestKernelB')));
    assert.deepEqual(inside.warned, []);
  });

  it('lets every other warning through and returns what the load returned', () => {
    const got = capturingWarn(() => withoutKernelReRegistrationWarnings(() => {
      console.warn('libtensorflow: something else', 2);
      console.warn("The kernel 'X' for backend 'y' is already registered, and more");
      return 42;
    }));
    assert.equal(got.result, 42);
    assert.deepEqual(got.warned, [['libtensorflow: something else', 2], ["The kernel 'X' for backend 'y' is already registered, and more"]]);
  });

  it('restores console.warn after the load, also when it throws', () => {
    const warn = console.warn;
    assert.throws(() => withoutKernelReRegistrationWarnings(() => { throw new Error('binding missing'); }), /binding missing/);
    assert.equal(console.warn, warn);
    withoutKernelReRegistrationWarnings(() => 1);
    assert.equal(console.warn, warn);
  });
});
