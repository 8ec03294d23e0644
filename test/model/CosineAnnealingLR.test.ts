import assert from 'node:assert/strict';
import { cosineAnnealingLR, initialCosineState, isCosineState, type CosineProgress } from '../../src/model/CosineAnnealingLR';

const at = (epochsDone: number, epochs: number, trainingMs = 0, budgetMs: number | null = null): CosineProgress => ({ epochsDone, epochs, trainingMs, budgetMs });

describe('cosineAnnealingLR', () => {
  it('follows PyTorch\'s closed form over the epochs (T_max = epochs)', () => {
    // torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.001), lr 0.1, after each epoch:
    // values printed by Debian's python3-torch for e = 1, 2, 5, 9, 10.
    const step = cosineAnnealingLR({ etaMin: 0.001, horizon: 'epochs' });
    const expected: Array<[number, number]> = [
      [1, 0.0975773],
      [2, 0.0905463],
      [5, 0.0505],
      [9, 0.0034227],
      [10, 0.001],
    ];
    let s = initialCosineState(0.1);
    for (const [e, lr] of expected) {
      const r = step(s, at(e, 10));
      assert.ok(Math.abs(r.lr - lr) < 1e-7, `epoch ${e}: ${r.lr} vs ${lr}`);
      assert.equal(r.changed, true);
      s = r.state;
    }
    assert.equal(s.lr, 0.001);
    assert.equal(step(s, at(11, 10)).changed, false, 'past T_max it stays at etaMin');
  });

  it('a field given as undefined keeps its default, as a missing one does', () => {
    const p: CosineProgress = { epochsDone: 5, epochs: 10, trainingMs: 0, budgetMs: null };
    assert.deepEqual(cosineAnnealingLR({ etaMin: undefined, horizon: undefined })(initialCosineState(0.1), p), cosineAnnealingLR()(initialCosineState(0.1), p));
  });

  it('with horizon budget, ends with the time budget when that comes first', () => {
    const step = cosineAnnealingLR({ etaMin: 0, horizon: 'budget' });
    const s0 = initialCosineState(0.01);
    // 1 of 30 epochs done but half the budget spent: the curve is at its middle.
    assert.ok(Math.abs(step(s0, at(1, 30, 3_600_000, 7_200_000)).lr - 0.005) < 1e-12);
    // The budget's end is the curve's end.
    assert.equal(step(s0, at(1, 30, 7_200_000, 7_200_000)).lr, 0);
    // Epochs ahead of time: epochs decide.
    assert.ok(Math.abs(step(s0, at(15, 30, 60_000, 7_200_000)).lr - 0.005) < 1e-12);
    // Without a budget, time plays no part.
    assert.ok(Math.abs(step(s0, at(15, 30, 7_200_000, null)).lr - 0.005) < 1e-12);
  });

  it('with horizon epochs, ignores the budget', () => {
    const step = cosineAnnealingLR({ etaMin: 0, horizon: 'epochs' });
    assert.ok(Math.abs(step(initialCosineState(0.01), at(15, 30, 7_000_000, 7_200_000)).lr - 0.005) < 1e-12);
  });

  it('never goes back up the curve (a budget raised on resume)', () => {
    const step = cosineAnnealingLR({ horizon: 'budget' });
    const half = step(initialCosineState(0.01), at(2, 30, 3_600_000, 7_200_000)).state;
    const r = step(half, at(3, 30, 3_900_000, 10_800_000));
    assert.ok(Math.abs(r.lr - 0.005) < 1e-12, `stayed at the reached progress: ${r.lr}`);
    assert.equal(r.changed, false);
  });

  it('rejects bad options and learning rates', () => {
    assert.throws(() => cosineAnnealingLR({ etaMin: -1 }), /etaMin must be a non-negative number/);
    assert.throws(() => cosineAnnealingLR({ horizon: 'steps' as never }), /horizon must be 'epochs' or 'budget'/);
    assert.throws(() => initialCosineState(0), /learning rate must be a positive number/);
  });

  it('keeps a JSON-safe state that it recognises after a round trip', () => {
    const s = cosineAnnealingLR()(initialCosineState(0.02), at(3, 10)).state;
    const back: unknown = JSON.parse(JSON.stringify(s));
    assert.deepEqual(back, s);
    assert.equal(isCosineState(back), true);
    assert.equal(isCosineState({ lr: 0.1, best: null, numBadEpochs: 0, cooldownCounter: 0, epochs: 0 }), false);
    assert.equal(isCosineState({ kind: 'cosine', baseLr: 'x', lr: 0.1, progress: 0 }), false);
  });
});
