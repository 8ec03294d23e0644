import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

/**
 * The anchor GitHub gives a heading: lower case, punctuation dropped (letters, digits, spaces,
 * `-` and `_` kept), spaces to `-`; a repeated one gets `-1`, `-2`, … (github-slugger's rules).
 */
function slugs(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    // A `#` line inside a code block is a shell comment, not a heading.
    if (/^```/.test(line)) inFence = !inFence;
    const m = inFence ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m === null) continue;
    const base = m[1].toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Every `[text](target)` outside code blocks and inline code, with its line number. */
function links(markdown: string): { line: number; target: string }[] {
  const out: { line: number; target: string }[] = [];
  let inFence = false;
  markdown.split('\n').forEach((line, i) => {
    if (/^```/.test(line)) inFence = !inFence;
    if (inFence) return;
    for (const m of line.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) out.push({ line: i + 1, target: m[1] });
  });
  return out;
}

describe('README links', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

  it('every #anchor names a heading of the README', () => {
    const anchors = slugs(readme);
    const broken = links(readme)
      .filter((l) => l.target.startsWith('#') && !anchors.has(l.target.slice(1)))
      .map((l) => `line ${l.line}: ${l.target}`);
    assert.deepEqual(broken, []);
  });

  it('every relative link names a file of the repository', () => {
    const broken = links(readme)
      .filter((l) => !/^(#|[a-z]+:)/.test(l.target))
      .filter((l) => !existsSync(path.join(ROOT, decodeURIComponent(l.target.split('#')[0]))))
      .map((l) => `line ${l.line}: ${l.target}`);
    assert.deepEqual(broken, []);
  });

  it('the slug rules match GitHub on headings of the kinds the README uses', () => {
    const s = slugs('## Backends: tfjs-node, WebAssembly, cpu\n### `createImageDataset(opts): BatchSource`\n```sh\n# not a heading\n```\n## Ownership\n## Ownership\n');
    assert.deepEqual([...s], ['backends-tfjs-node-webassembly-cpu', 'createimagedatasetopts-batchsource', 'ownership', 'ownership-1']);
  });
});
