import assert from 'node:assert/strict';
import * as path from 'node:path';
import { runChild } from './fixtures/runChild';
import { withoutEmscriptenExitHandlers } from '../../../src/model/wasm/withoutEmscriptenExitHandlers';

const CHILD = path.join(__dirname, 'fixtures', 'throwAfterWasm.ts');

const run = (args: string[]): ReturnType<typeof runChild> => runChild(CHILD, args);

describe('withoutEmscriptenExitHandlers', () => {
  const events = ['uncaughtException', 'unhandledRejection'] as const;
  const count = (): number[] => events.map((e) => process.listenerCount(e));

  it('removes the rethrowing handlers an Emscripten module adds, and keeps the others', async () => {
    const start = count();
    // The shapes of Emscripten's glue, as in tfjs-backend-wasm 4.22's threaded-simd.js.
    const emUncaught = new Function('ex', 'if (!(ex instanceof ExitStatus)) { throw ex }') as (e: unknown) => void;
    const emRejection = new Function('reason', 'throw reason') as (e: unknown) => void;
    const mine = (): void => undefined;
    const result = await withoutEmscriptenExitHandlers(async () => {
      process.on('uncaughtException', emUncaught);
      process.on('unhandledRejection', emRejection);
      process.on('uncaughtException', mine);
      return 42;
    });
    try {
      assert.equal(result, 42);
      assert.equal(process.listeners('uncaughtException').includes(emUncaught), false);
      assert.equal(process.listeners('unhandledRejection').includes(emRejection), false);
      assert.equal(process.listeners('uncaughtException').includes(mine), true);
      assert.deepEqual(count(), [start[0] + 1, start[1]]);
    } finally {
      process.removeListener('uncaughtException', mine);
    }
  });

  it('keeps handlers that were there before, even in Emscripten\'s shape', async () => {
    const earlier = new Function('reason', 'throw reason') as (e: unknown) => void;
    process.on('unhandledRejection', earlier);
    try {
      await withoutEmscriptenExitHandlers(async () => undefined);
      assert.equal(process.listeners('unhandledRejection').includes(earlier), true);
    } finally {
      process.removeListener('unhandledRejection', earlier);
    }
  });

  it('cleans up when the load fails, and passes the failure on', async () => {
    const start = count();
    await assert.rejects(withoutEmscriptenExitHandlers(async () => {
      process.on('unhandledRejection', new Function('reason', 'throw reason') as (e: unknown) => void);
      throw new Error('load failed');
    }), /load failed/);
    assert.deepEqual(count(), start);
  });

  // The real glue, end to end: a program's own error after initBackend loaded wasm must be
  // reported by Node as usual (its message, exit code 1), not as 55 KB of minified glue with
  // exit code 7.
  for (const [threads, how] of [['1', 'throw'], ['2', 'throw'], ['1', 'reject']] as const) {
    it(`a ${how === 'throw' ? 'thrown error' : 'rejection'} after the wasm backend loaded (${threads} thread(s)) exits 1 with the error`, async function () {
      this.timeout(60_000);
      const { code, stderr } = await run([threads, how]);
      assert.equal(code, 1, stderr.slice(0, 2000));
      assert.match(stderr, how === 'throw' ? /Error: user error after wasm/ : /Error: user rejection after wasm/);
      assert.ok(stderr.length < 10_000, `stderr is ${stderr.length} characters: ${stderr.slice(0, 300)}`);
    });
  }
});
