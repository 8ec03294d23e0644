import assert from 'node:assert/strict';
import { closestName } from '../../src/model/closestName';

// One rule for every "did you mean": config fields (TrainConfig), options (parseCommandArgs) and commands (main).
describe('closestName', () => {
  const fields = ['data', 'model', 'epochs', 'batchSize', 'optimizer', 'scheduler', 'replicas', 'seed'];
  const commands = ['preprocess', 'train', 'evaluate', 'predict', 'export', 'monitor', 'import-idx'];
  const options = ['epochs', 'batch-size', 'telemetry', 'telemetry-token', 'no-records'];

  it('ignores case, for fields, options and commands alike', () => {
    assert.equal(closestName('batchsize', fields), 'batchSize');
    assert.equal(closestName('PREDICT', commands), 'predict');
    assert.equal(closestName('EPOCHS', options), 'epochs');
  });

  it('takes a known name the typed one starts, before any edit', () => {
    assert.equal(closestName('epoch', fields), 'epochs');
    assert.equal(closestName('sched', fields), 'scheduler');
    assert.equal(closestName('telemetry-tok', options), 'telemetry-token');
    assert.equal(closestName('no-record', options), 'no-records');
  });

  it('allows one edit up to five letters and two beyond, never three; a swap is one', () => {
    assert.equal(closestName('trian', commands), 'train');
    assert.equal(closestName('seeed', fields), 'seed');
    assert.equal(closestName('sede', fields), 'seed');
    assert.equal(closestName('exprt', commands), 'export');
    assert.equal(closestName('trxyn', commands), undefined, 'two edits in five letters');
    assert.equal(closestName('optimiser', fields), 'optimizer');
    assert.equal(closestName('shedular', fields), 'scheduler', 'two edits in eight letters');
    assert.equal(closestName('telemtry-tokn', options), 'telemetry-token');
    assert.equal(closestName('tlmtry-tokn', options), undefined, 'four edits');
    assert.equal(closestName('evaluatexyz', commands), undefined, 'three edits, however long the name');
  });

  it('suggests nothing for a tie, an empty name or nothing near', () => {
    assert.equal(closestName('batch', ['batch-size', 'batch-norm']), undefined, 'both start so');
    assert.equal(closestName('sed', ['seed', 'send']), undefined, 'one edit from each');
    assert.equal(closestName('', fields), undefined);
    assert.equal(closestName('xyz', commands), undefined);
    assert.equal(closestName('learningRate', ['lr', 'momentum', 'nesterov', 'weightDecay']), undefined);
  });
});
