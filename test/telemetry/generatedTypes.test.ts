import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Every file under `dir`, relative, sorted. */
function listFiles(dir: string, rel = ''): string[] {
  return fs
    .readdirSync(path.join(dir, rel), { withFileTypes: true })
    .flatMap((d) => (d.isDirectory() ? listFiles(dir, path.join(rel, d.name)) : [path.join(rel, d.name)]))
    .sort();
}

describe('generated telemetry types', () => {
  it('are exactly what `npm run gen:proto` produces from proto/telemetry.proto', function () {
    this.timeout(60000);
    const root = path.join(__dirname, '..', '..');
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const script = pkg.scripts['gen:proto'];
    assert.ok(script?.includes('-O src/telemetry/generated'), 'gen:proto writes src/telemetry/generated');
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtrain-gen-'));
    try {
      const args = script.replace(/^proto-loader-gen-types\s+/, '').replace('-O src/telemetry/generated', `-O ${out}`).split(/\s+/);
      execFileSync(path.join(root, 'node_modules', '.bin', 'proto-loader-gen-types'), args, { cwd: root, stdio: 'pipe' });
      const committed = path.join(root, 'src', 'telemetry', 'generated');
      assert.deepEqual(listFiles(out), listFiles(committed), 'same files');
      for (const f of listFiles(out)) {
        assert.equal(fs.readFileSync(path.join(committed, f), 'utf8'), fs.readFileSync(path.join(out, f), 'utf8'), `${f} is stale: run npm run gen:proto`);
      }
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
