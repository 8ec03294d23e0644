import assert from 'node:assert/strict';
import { map, scan } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  defaultPlateauOptions,
  initialPlateauState,
  reduceLROnPlateau,
  type PlateauOptions,
  type PlateauState,
} from '../../src/model/ReduceLROnPlateau';

/*
 * Golden sequences from PyTorch 1.13's own scheduler (/usr/bin/python3):
 *
 *   def run(metrics, lr=0.01, **kw):
 *       p = torch.nn.Parameter(torch.zeros(1)); opt = torch.optim.SGD([p], lr=lr)
 *       s = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw); out = []
 *       for m in metrics:
 *           s.step(m); out.append(opt.param_groups[0]['lr'])
 *       return out
 */
const golden: ReadonlyArray<{ name: string; metrics: number[]; torch: Record<string, unknown>; lrs: number[] }> = [
  {
    name: 'min/rel, the seed defaults (factor 0.5, patience 5)',
    metrics: [1.0, 0.9, 0.95, 0.96, 0.97, 0.98, 0.99, 1.0, 1.01, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.1],
    torch: { mode: 'min', factor: 0.5, patience: 5 },
    lrs: [0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.005, 0.005, 0.005, 0.005, 0.005, 0.005, 0.005, 0.005, 0.0025, 0.0025],
  },
  {
    name: 'min/rel threshold 1e-4 boundary',
    metrics: [1.0, 0.99995, 0.9999, 0.99985, 0.5],
    torch: { mode: 'min', factor: 0.5, patience: 1, threshold: 1e-4 },
    lrs: [0.01, 0.01, 0.005, 0.005, 0.005],
  },
  {
    name: 'min/abs',
    metrics: [1.0, 0.95, 0.92, 0.8, 0.79, 0.78, 0.77],
    torch: { mode: 'min', factor: 0.1, patience: 1, threshold: 0.05, threshold_mode: 'abs' },
    lrs: [0.01, 0.01, 0.01, 0.01, 0.01, 0.001, 0.001],
  },
  {
    name: 'max/rel',
    metrics: [0.1, 0.2, 0.2, 0.2, 0.3, 0.3, 0.3, 0.3],
    torch: { mode: 'max', factor: 0.5, patience: 1 },
    lrs: [0.01, 0.01, 0.01, 0.005, 0.005, 0.005, 0.0025, 0.0025],
  },
  {
    name: 'max/abs',
    metrics: [0.1, 0.15, 0.2, 0.21, 0.22, 0.23, 0.5],
    torch: { mode: 'max', factor: 0.5, patience: 0, threshold: 0.05, threshold_mode: 'abs' },
    lrs: [0.01, 0.005, 0.005, 0.0025, 0.00125, 0.000625, 0.000625],
  },
  {
    name: 'cooldown',
    metrics: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    torch: { mode: 'min', factor: 0.5, patience: 1, cooldown: 2 },
    lrs: [0.01, 0.01, 0.005, 0.005, 0.005, 0.005, 0.0025, 0.0025, 0.0025, 0.0025],
  },
  {
    name: 'min_lr',
    metrics: [1, 1, 1, 1, 1, 1, 1, 1],
    torch: { mode: 'min', factor: 0.1, patience: 0, min_lr: 0.00005 },
    lrs: [0.01, 0.001, 0.0001, 5e-05, 5e-05, 5e-05, 5e-05, 5e-05],
  },
  {
    name: 'eps',
    metrics: [1, 1, 1, 1, 1, 1],
    torch: { mode: 'min', factor: 0.5, patience: 0, eps: 0.003 },
    lrs: [0.01, 0.005, 0.005, 0.005, 0.005, 0.005],
  },
];

function fromTorch(kw: Record<string, unknown>): Partial<PlateauOptions> {
  const names: Record<string, keyof PlateauOptions> = { threshold_mode: 'thresholdMode', min_lr: 'minLr' };
  return Object.fromEntries(Object.entries(kw).map(([k, v]) => [names[k] ?? k, v])) as Partial<PlateauOptions>;
}

describe('reduceLROnPlateau', () => {
  for (const g of golden) {
    it(`matches PyTorch: ${g.name}`, () => {
      const step = reduceLROnPlateau(fromTorch(g.torch));
      let s = initialPlateauState(0.01);
      const lrs: number[] = [];
      for (const m of g.metrics) {
        const r = step(s, m);
        assert.equal(r.changed, r.lr !== s.lr);
        s = r.state;
        lrs.push(r.lr);
      }
      assert.deepEqual(lrs, g.lrs);
      assert.equal(s.epochs, g.metrics.length);
    });
  }

  it('defaults are the seed project\'s (factor 0.5, patience 5), PyTorch otherwise', () => {
    assert.deepEqual(defaultPlateauOptions, {
      mode: 'min', factor: 0.5, patience: 5, threshold: 1e-4, thresholdMode: 'rel', cooldown: 0, minLr: 0, eps: 1e-8,
    });
  });

  it('a field given as undefined keeps its default, as a missing one does', () => {
    const metrics = [1, 1, 1, 1, 1, 1, 1, 1];
    const lrs = (step: ReturnType<typeof reduceLROnPlateau>): number[] => {
      let s = initialPlateauState(0.01);
      return metrics.map((m) => (s = step(s, m).state).lr);
    };
    assert.deepEqual(lrs(reduceLROnPlateau({ mode: undefined, factor: undefined, patience: undefined })), lrs(reduceLROnPlateau()));
  });

  it('state is JSON-safe and resumes exactly', () => {
    const step = reduceLROnPlateau({ patience: 1 });
    const metrics = [3, 2, 2.5, 2.4, 2.6, 1, 1.5, 1.6];
    let whole = initialPlateauState(0.1);
    for (const m of metrics) whole = step(whole, m).state;
    let part = initialPlateauState(0.1);
    for (const m of metrics.slice(0, 4)) part = step(part, m).state;
    part = JSON.parse(JSON.stringify(part)) as PlateauState;
    for (const m of metrics.slice(4)) part = step(part, m).state;
    assert.deepEqual(part, whole);
  });

  it('counts NaN as a bad epoch (as PyTorch does)', () => {
    const step = reduceLROnPlateau({ patience: 0 });
    const a = step(initialPlateauState(0.01), 1).state;
    const b = step(a, Number.NaN);
    assert.equal(b.lr, 0.005);
    assert.equal(b.state.best, 1);
  });

  it('rejects bad options and learning rates with clear errors', () => {
    assert.throws(() => reduceLROnPlateau({ factor: 1 }), /factor must be in \(0, 1\)/);
    assert.throws(() => reduceLROnPlateau({ patience: -1 }), /patience must be a non-negative integer/);
    assert.throws(() => reduceLROnPlateau({ mode: 'up' as 'min' }), /mode must be 'min' or 'max'/);
    assert.throws(() => reduceLROnPlateau({ thresholdMode: 'x' as 'rel' }), /thresholdMode/);
    assert.throws(() => reduceLROnPlateau({ minLr: -1 }), /minLr must be a non-negative number/);
    assert.throws(() => initialPlateauState(0), /learning rate must be a positive number/);
  });

  describe('as an RxJS scan over a metric stream', () => {
    const test = (): TestScheduler => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));
    const lrOf = (opts: Partial<PlateauOptions>) => (s: PlateauState, m: number): PlateauState => reduceLROnPlateau(opts)(s, m).state;
    const metricValues = { a: 1, b: 0.9, c: 0.95, d: 0.96 };
    const lrValues = { x: 0.01, y: 0.005, z: 0.0025 };

    it('emits the lr after every metric (normal path)', () => {
      test().run(({ cold, expectObservable }) => {
        const metrics = cold('a-b-c-d-c-d|', metricValues);
        const expected = '    x-x-x-y-y-z|';
        const out = metrics.pipe(scan(lrOf({ patience: 1 }), initialPlateauState(0.01)), map((s) => s.lr));
        expectObservable(out).toBe(expected, lrValues);
      });
    });

    it('propagates an upstream error after the lrs so far', () => {
      test().run(({ cold, expectObservable }) => {
        const metrics = cold('a-b-#', metricValues, new Error('validation failed'));
        const expected = '    x-x-#';
        const out = metrics.pipe(scan(lrOf({}), initialPlateauState(0.01)), map((s) => s.lr));
        expectObservable(out).toBe(expected, lrValues, new Error('validation failed'));
      });
    });

    it('turns a throwing reducer into an error notification', () => {
      test().run(({ cold, expectObservable }) => {
        const metrics = cold('a-b|', metricValues);
        const expected = '    x-#';
        const reducer = lrOf({ patience: 0 });
        const out = metrics.pipe(
          scan((s: PlateauState, m: number) => {
            if (m < 1) throw new Error('boom');
            return reducer(s, m);
          }, initialPlateauState(0.01)),
          map((s) => s.lr),
        );
        expectObservable(out).toBe(expected, lrValues, new Error('boom'));
      });
    });

    it('emits nothing for an empty metric stream', () => {
      test().run(({ cold, expectObservable }) => {
        const out = cold<number>('|').pipe(scan(lrOf({}), initialPlateauState(0.01)), map((s) => s.lr));
        expectObservable(out).toBe('|');
      });
    });

    it('stops on early unsubscribe', () => {
      test().run(({ cold, expectObservable, expectSubscriptions }) => {
        const metrics = cold('a-b-c-d-c-d|', metricValues);
        const unsub = '       ^---!';
        const out = metrics.pipe(scan(lrOf({ patience: 1 }), initialPlateauState(0.01)), map((s) => s.lr));
        expectObservable(out, unsub).toBe('x-x-', lrValues);
        expectSubscriptions(metrics.subscriptions).toBe('^---!');
      });
    });
  });
});
