import assert from 'node:assert/strict';
import { TYPESCRIPTS, runTsc, tscVersion } from './fixtures/typeScripts';

// `npm test` type-checks the project with TypeScript 5.9 (`tsc`); the README says rxtrain's
// typings, the typed operatorChecklist and runMarbles among them, check under TypeScript 7 too.
// The type tests (the @ts-expect-error lines of test/ops) hold only if 7 reports the same errors:
// a line that compiles under 7 is "Unused '@ts-expect-error' directive" here.
describe('TypeScript 7', () => {
  const ts7 = TYPESCRIPTS.find((ts) => ts.major === 7)!;

  it('is the compiler this test runs (test/typescript7, installed by npm ci)', async () => {
    assert.match(await tscVersion(ts7), /^7\./);
  });

  it('type-checks the project, its type tests included, as TypeScript 5.9 does', async function () {
    this.timeout(180_000);
    const errors = await runTsc(ts7, ['-p', 'tsconfig.json', '--noEmit']);
    assert.equal(errors, '', errors);
  });
});
