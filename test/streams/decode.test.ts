import assert from 'node:assert/strict';
import { from, lastValueFrom, toArray } from 'rxjs';
import { makeImage } from '../../src/ops/Image';
import { decode } from '../../src/streams/decode';
import type { DecodedSample } from '../../src/streams/decodeFile';
import { skip, type Skip } from '../../src/streams/Skip';
import type { SourceItem } from '../../src/streams/SourceItem';

const item = (i: number): SourceItem => ({ kind: 'item', path: `f${i}.jpg`, label: i % 3, category: { id: (i % 3) + 1, name: `c${i % 3}`, label: i % 3 } });

describe('decode operator', () => {
  it('keeps order, passes upstream skips through, never runs more than `concurrency` decodes', async () => {
    let running = 0;
    let peak = 0;
    const decoder = async (path: string, label: number): Promise<DecodedSample | Skip> => {
      running++;
      peak = Math.max(peak, running);
      // Later files finish first: order must still hold.
      await new Promise((r) => setTimeout(r, 20 - Number(path.slice(1, -4))));
      running--;
      if (path === 'f5.jpg') return skip(path, 'truncated', 'cut');
      return { kind: 'sample', image: makeImage(new Uint8Array(3), 1, 1, 3), label, path };
    };
    const input: Array<SourceItem | Skip> = [item(0), item(1), skip('.DS_Store', 'hidden', 'junk'), ...[2, 3, 4, 5, 6, 7, 8, 9].map(item)];
    const out = await lastValueFrom(from(input).pipe(decode({ concurrency: 3, decoder }), toArray()));
    assert.deepEqual(
      out.map((x) => `${x.path}:${x.kind === 'skip' ? x.reason : x.label}`),
      ['f0.jpg:0', 'f1.jpg:1', '.DS_Store:hidden', 'f2.jpg:2', 'f3.jpg:0', 'f4.jpg:1', 'f5.jpg:truncated', 'f6.jpg:0', 'f7.jpg:1', 'f8.jpg:2', 'f9.jpg:0'],
    );
    assert.equal(peak, 3);
  });

  it('passes its decode options to the decoder', async () => {
    const seen: unknown[] = [];
    const decoder = async (path: string, _label: number, opts: unknown): Promise<Skip> => {
      seen.push(opts);
      return skip(path, 'empty', '');
    };
    await lastValueFrom(from([item(0)]).pipe(decode({ concurrency: 1, resize: 64, maxPixels: 10, decoder }), toArray()));
    assert.deepEqual(seen, [{ resize: 64, maxPixels: 10 }]);
  });
});
