import assert from 'node:assert/strict';
import { keepProcessListeners } from '../../../src/model/wasm/keepProcessListeners';

// Made from the glue's own text, as tfjs-backend-wasm 4.22's tf-backend-wasm.node.js has it.
const glueRejection = (0, eval)('(function (reason) { throw reason; })') as (e: unknown) => void;

describe('keepProcessListeners', () => {
  it('puts back the program\'s listeners a dispose removed, not the wasm glue\'s, and once stays once', () => {
    const mine = (): void => undefined;
    let onceCalls = 0;
    const myOnce = (): void => { onceCalls++; };
    process.on('unhandledRejection', mine);
    process.once('unhandledRejection', myOnce);
    process.on('unhandledRejection', glueRejection);
    try {
      // What tfjs 4.22's module dispose does: remove every listener present when it started.
      const result = keepProcessListeners(() => {
        for (const fn of [mine, myOnce, glueRejection]) process.removeListener('unhandledRejection', fn);
        return 'disposed';
      });
      assert.equal(result, 'disposed');
      const now = process.listeners('unhandledRejection');
      assert.equal(now.includes(mine), true);
      assert.equal(now.includes(myOnce), true);
      assert.equal(now.includes(glueRejection), false);
      // Each listener once, however often it is put back.
      assert.equal(now.filter((fn) => fn === mine).length, 1);
      process.emit('unhandledRejection', new Error('x'), Promise.resolve());
      assert.equal(onceCalls, 1);
      assert.equal(process.listeners('unhandledRejection').includes(myOnce), false);
    } finally {
      for (const fn of [mine, myOnce, glueRejection]) process.removeListener('unhandledRejection', fn);
    }
  });
});
