import assert from 'node:assert/strict';
import * as path from 'node:path';
import { runChild } from './fixtures/runChild';
import { isTfjsWasmExitHandler, removeTfjsWasmExitHandlers } from '../../../src/model/wasm/removeTfjsWasmExitHandlers';

const CHILD = path.join(__dirname, 'fixtures', 'throwAfterTfReady.ts');

const run = (args: string[]): ReturnType<typeof runChild> => runChild(CHILD, args);

// Made from the glue's own text, as tfjs-backend-wasm 4.22's tf-backend-wasm.node.js has it.
const glueRejection = (0, eval)('(function (reason) { throw reason; })') as (e: unknown) => void;

describe('removeTfjsWasmExitHandlers', () => {
  it('removes a listener whose source is the glue\'s handler, and keeps look-alikes and the program\'s own', () => {
    const lookAlike = new Function('reason', 'throw reason') as (e: unknown) => void;
    const mine = (): void => undefined;
    process.on('unhandledRejection', lookAlike);
    process.on('unhandledRejection', glueRejection);
    process.on('unhandledRejection', mine);
    try {
      assert.equal(isTfjsWasmExitHandler('unhandledRejection', glueRejection), true);
      // The handler is the glue's for unhandledRejection only.
      assert.equal(isTfjsWasmExitHandler('uncaughtException', glueRejection), false);
      assert.ok(removeTfjsWasmExitHandlers() >= 1);
      const now = process.listeners('unhandledRejection');
      assert.equal(now.includes(glueRejection), false);
      assert.equal(now.includes(lookAlike), true);
      assert.equal(now.includes(mine), true);
    } finally {
      for (const fn of [lookAlike, glueRejection, mine]) process.removeListener('unhandledRejection', fn);
    }
  });

  // End to end: tf.ready() starts tfjs' own wasm module (the user did not go through
  // initBackend), whose glue installs rethrowing handlers; initBackend must take them out so
  // that the program's error is reported by Node (exit 1), not as minified glue with exit code 7.
  for (const [threads, how] of [['1', 'throw'], ['1', 'reject']] as const) {
    it(`tf.ready() then initBackend (${threads} thread(s)): a ${how === 'throw' ? 'thrown error' : 'rejection'} exits 1 with the error`, async function () {
      this.timeout(60_000);
      const { code, stderr } = await run([threads, how]);
      assert.equal(code, 1, stderr.slice(0, 2000));
      assert.match(stderr, how === 'throw' ? /Error: user error after tf\.ready/ : /Error: user rejection after tf\.ready/);
      assert.doesNotMatch(stderr, /tf-backend-wasm/);
      assert.ok(stderr.length < 10_000, `stderr is ${stderr.length} characters: ${stderr.slice(0, 300)}`);
    });
  }

  // With more threads initBackend replaces tfjs' module, whose dispose (tfjs 4.22) removes every
  // process listener that predates it, the program's own too (keepProcessListeners puts it back).
  it('tf.ready() then initBackend (2 threads) keeps the program\'s own uncaughtException listener', async function () {
    this.timeout(60_000);
    const { code, stderr } = await run(['2', 'own']);
    assert.equal(code, 3, stderr.slice(0, 2000));
    assert.match(stderr, /own listener: user error after tf\.ready/);
  });
});
