import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ADDON = path.join(__dirname, '..', '..', '..', 'build', 'Release', 'rxtrain_native.node');

/** Linux >= 6.12 reports each thread's EEVDF slice in /proc (se.slice, ns); elsewhere there is none. */
const customSlices = ((): boolean => {
  try {
    return /^se\.slice\s/m.test(fs.readFileSync('/proc/self/sched', 'utf8'));
  } catch {
    return false;
  }
})();

/**
 * Runs `body` in a fresh Node process with the addon as `a` (so that marking threads never
 * touches the test runner's own threads) and returns what it printed, parsed.
 */
function inChild(body: string, env: Record<string, string | undefined> = {}): unknown {
  const code = `
    const fs = require('node:fs');
    const a = require(${JSON.stringify(ADDON)});
    // tid -> slice in µs, for every thread of this process.
    const slices = () => Object.fromEntries(fs.readdirSync('/proc/self/task').map((t) => {
      const m = /^se\\.slice\\s*:\\s*(\\d+)/m.exec(fs.readFileSync('/proc/self/task/' + t + '/sched', 'utf8'));
      return [t, m ? Number(m[1]) / 1000 : -1];
    }));
    ${body}
  `;
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  delete childEnv.RXTRAIN_COMPUTE_SLICE_MS;
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  return JSON.parse(execFileSync(process.execPath, ['-e', code], { env: childEnv, encoding: 'utf8' })) as unknown;
}

/** A 2-thread matmul, so the pool's worker thread exists and has run a task. */
const MATMUL = `
  const n = 512, x = new Float32Array(n * n).fill(1), y = new Float32Array(n * n);
  a.matmul(x, x, y, null, false, false, n, n, n, false, 2);
`;

describe('native kernel threads: scheduler slice (native/pool.cc)', () => {
  it('computeSlice: none by default, RXTRAIN_COMPUTE_SLICE_MS asks for one (0/off = none, clamped to the kernel range)', () => {
    const slice = (v: string | undefined): unknown => inChild('process.stdout.write(JSON.stringify(a.computeSlice()));', { RXTRAIN_COMPUTE_SLICE_MS: v });
    assert.equal(slice(undefined), 0);
    assert.equal(slice('20'), 20000);
    assert.equal(slice('3.5'), 3500);
    assert.equal(slice('0'), 0);
    assert.equal(slice('off'), 0);
    assert.equal(slice('1000'), 100000);
    assert.equal(slice('0.01'), 100);
    assert.equal(slice('fast'), 0, 'an unreadable value keeps the default');
  });

  it('setThreadSlice sets the calling thread\'s slice (0 = the kernel default) or says -1 where unsupported; bad arguments throw', () => {
    const out = inChild(`
      const tid = String(process.pid);
      const r = [a.setThreadSlice(7000), slices()[tid], a.setThreadSlice(0), slices()[tid]];
      const errors = [-1, 'x'].map((v) => { try { a.setThreadSlice(v); return 'no error'; } catch (e) { return e.code + ': ' + e.message; } });
      process.stdout.write(JSON.stringify({ r, errors }));
    `) as { r: number[]; errors: string[] };
    if (customSlices) {
      const [set, seen, reset, seenAfter] = out.r;
      assert.equal(set, 7000);
      assert.equal(seen, 7000, '/proc agrees');
      assert.ok(reset > 0 && reset < 7000, `back to the kernel default (${reset} µs)`);
      assert.equal(seenAfter, reset);
    } else {
      assert.deepEqual(out.r.slice(0, 1), [-1]);
    }
    assert.match(out.errors[0], /^ERR_RXTRAIN_NATIVE: setThreadSlice: microseconds must be >= 0/);
    assert.match(out.errors[1], /^ERR_RXTRAIN_NATIVE: setThreadSlice: microseconds must be a number/);
  });

  it('a kernel call marks the threads that ran it (the calling thread and the pool worker), and only those', () => {
    const run = (env: Record<string, string | undefined>): { before: Record<string, number>; after: Record<string, number> } =>
      inChild(`const before = slices(); ${MATMUL} process.stdout.write(JSON.stringify({ before, after: slices() }));`, env) as {
        before: Record<string, number>;
        after: Record<string, number>;
      };
    const on = run({ RXTRAIN_COMPUTE_SLICE_MS: '20' });
    const off = run({});
    // Without custom slices (not Linux >= 6.12) what is checked is that the calls work.
    if (!customSlices) return;
    const marked = (r: Record<string, number>): string[] => Object.keys(r).filter((t) => r[t] === 20000);
    assert.deepEqual(marked(on.before), [], 'no thread is marked before a kernel runs');
    const pid = Object.keys(on.before).sort((x, y) => Number(x) - Number(y))[0];
    const after = marked(on.after);
    assert.ok(after.includes(pid), `the calling (main) thread ${pid} is marked: ${JSON.stringify(on.after)}`);
    const workers = after.filter((t) => !(t in on.before));
    assert.equal(workers.length, 1, `one new pool thread, marked: ${JSON.stringify(on.after)}`);
    assert.equal(after.length, 2, 'V8 and libuv threads keep the default');
    assert.deepEqual(marked(off.after), [], 'by default nothing is marked');
  });
});
