import assert from 'node:assert/strict';
import { ROOT } from './fixtures/readmeExamples';
import { optionalInputsRefusingUndefined } from './fixtures/optionalInputs';

// optionsAcceptUndefined.test.ts checks a training script; this checks every option object of
// the public API (what counts as one: test/fixtures/optionalInputs.ts), so that a maybe-value
// (`seed: flags.seed`) compiles under the exactOptionalPropertyTypes that `tsc --init` turns on.
describe('optional properties of the public inputs (src/index.ts, src/ops/index.ts)', () => {
  it('all take undefined as "not given" (`x?: T | undefined`)', function () {
    this.timeout(120_000);
    const refusing = optionalInputsRefusingUndefined(ROOT, ['src/index.ts', 'src/ops/index.ts']);
    assert.equal(
      refusing.map((p) => `${p.property} (${p.file}:${p.line}, reached as ${p.via})`).join('\n'),
      '',
      `${refusing.length} optional input properties refuse undefined under exactOptionalPropertyTypes`,
    );
  });
});
