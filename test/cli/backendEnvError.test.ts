import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { backendEnvError } from '../../src/cli/backendEnvError';
import { run as evaluate } from '../../src/cli/evaluateCommand';
import { run as exportModel } from '../../src/cli/exportCommand';
import { run as predict } from '../../src/cli/predictCommand';
import { captureIo } from './fixtures/captureIo';
import { withEnv } from '../fixtures/withEnv';

const BACKEND_LINE = (cmd: string): string => `rxtrain ${cmd}: RXTRAIN_BACKEND="gpu" in the environment: expected auto, tensorflow, wasm or cpu (or leave it unset)\n`;
const THREADS_LINE = (cmd: string, v: string): string => `rxtrain ${cmd}: RXTRAIN_THREADS=${JSON.stringify(v)} in the environment: expected a positive integer (the wasm backend's compute threads) (or leave it unset)\n`;

describe('backendEnvError', () => {
  it('names each unusable variable with its value and the accepted values, one line each; a named --backend leaves RXTRAIN_BACKEND unread', () => {
    assert.equal(backendEnvError('train', { RXTRAIN_BACKEND: 'gpu', RXTRAIN_THREADS: '0' }, 'auto'), BACKEND_LINE('train') + THREADS_LINE('train', '0'));
    assert.equal(backendEnvError('train', { RXTRAIN_BACKEND: 'gpu', RXTRAIN_THREADS: '1.5' }, 'wasm'), THREADS_LINE('train', '1.5'));
    assert.equal(backendEnvError('train', { RXTRAIN_BACKEND: ' CPU ', RXTRAIN_THREADS: '2' }, 'auto'), undefined);
    assert.equal(backendEnvError('train', { RXTRAIN_BACKEND: '', RXTRAIN_THREADS: '' }, 'auto'), undefined, 'empty is unset');
    assert.equal(backendEnvError('train', {}, 'auto'), undefined);
  });

  it('evaluate, predict and export refuse a bad setting with exit 2 before reading the checkpoint, as a bad flag', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-env-'));
    try {
      const gone = path.join(tmp, 'no-run');
      const cases: Array<[string, (argv: string[], io: ReturnType<typeof captureIo>['io']) => Promise<number>, string[]]> = [
        ['evaluate', evaluate, [gone]],
        ['predict', predict, [gone, path.join(tmp, 'x.png')]],
        ['export', (argv, io) => exportModel(argv, { ...io, onStopSignal: () => () => undefined }), [gone, path.join(tmp, 'out')]],
      ];
      for (const [cmd, run, args] of cases) {
        const t = captureIo();
        assert.equal(await withEnv({ RXTRAIN_THREADS: 'all', RXTRAIN_BACKEND: undefined }, () => run(args, t.io)), 2, `${cmd}: ${t.err()}`);
        assert.equal(t.err(), THREADS_LINE(cmd, 'all'));
        const b = captureIo();
        assert.equal(await withEnv({ RXTRAIN_BACKEND: 'gpu', RXTRAIN_THREADS: undefined }, () => run(args, b.io)), 2, `${cmd}: ${b.err()}`);
        assert.equal(b.err(), BACKEND_LINE(cmd));
        // --backend names one: RXTRAIN_BACKEND is not read, and the checkpoint's own error comes as before.
        const named = captureIo();
        assert.equal(await withEnv({ RXTRAIN_BACKEND: 'gpu', RXTRAIN_THREADS: undefined }, () => run([...args, '--backend', 'cpu'], named.io)), 1, `${cmd}: ${named.err()}`);
        assert.match(named.err(), /no-run: no such checkpoint file or run directory/);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
