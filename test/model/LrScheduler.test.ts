import assert from 'node:assert/strict';
import { lrScheduler, type EpochOutcome } from '../../src/model/LrScheduler';
import { initialPlateauState, reduceLROnPlateau } from '../../src/model/ReduceLROnPlateau';

const outcome = (metric: number, epochsDone: number): EpochOutcome => ({ metric, epochsDone, epochs: 4, trainingMs: 0, budgetMs: null });

describe('lrScheduler', () => {
  it('without a name is ReduceLROnPlateau, step for step the plain reducer', () => {
    const sched = lrScheduler({ patience: 0, factor: 0.5 });
    const plain = reduceLROnPlateau({ patience: 0, factor: 0.5 });
    let a = sched.initial(0.1);
    let b = initialPlateauState(0.1);
    for (const [i, loss] of [1, 1, 0.5, 0.6].entries()) {
      const ra = sched.step(a, outcome(loss, i + 1));
      const rb = plain(b, loss);
      assert.deepEqual(ra, rb);
      a = ra.state;
      b = rb.state;
    }
    assert.equal(sched.name, 'ReduceLROnPlateau');
  });

  it('CosineAnnealingLR ignores the metric and follows the epochs', () => {
    const sched = lrScheduler({ name: 'CosineAnnealingLR', etaMin: 0, horizon: 'epochs' });
    const r1 = sched.step(sched.initial(0.1), outcome(1, 2));
    const r2 = sched.step(sched.initial(0.1), outcome(1e9, 2));
    assert.ok(Math.abs(r1.lr - 0.05) < 1e-12);
    assert.deepEqual(r1, r2);
  });

  it('tells its own checkpointed state from another scheduler\'s, and refuses a foreign one', () => {
    const plateau = lrScheduler({ name: 'ReduceLROnPlateau' });
    const cosine = lrScheduler({ name: 'CosineAnnealingLR' });
    const ps = plateau.initial(0.1);
    const cs = cosine.initial(0.1);
    assert.deepEqual([plateau.owns(ps), plateau.owns(cs), cosine.owns(cs), cosine.owns(ps)], [true, false, true, false]);
    assert.equal(plateau.owns(null), false);
    assert.throws(() => cosine.step(ps, outcome(1, 1)), /not its own/);
    assert.throws(() => plateau.step(cs, outcome(1, 1)), /not its own/);
  });

  it('validates the options of the scheduler it builds', () => {
    assert.throws(() => lrScheduler({ name: 'CosineAnnealingLR', etaMin: Number.NaN }), /etaMin/);
    assert.throws(() => lrScheduler({ name: 'ReduceLROnPlateau', factor: 1 }), /factor must be in \(0, 1\)/);
  });
});
