import assert from 'node:assert/strict';
import sharp from 'sharp';
import { readJpegHeader } from '../../src/streams/readJpegHeader';
import { exifSegment, photoAsJpeg, withoutIcc, withSegments } from './jpegTestFiles';

describe('readJpegHeader', () => {
  it('reads size, components, precision and coding of a baseline colour JPEG', async () => {
    const h = readJpegHeader(await photoAsJpeg('chelsea.png', 120, 80));
    assert.deepEqual(h, { precision: 8, width: 120, height: 80, components: 3, coding: 'baseline', orientation: 1, hasIccProfile: false, adobeTransform: undefined });
  });

  it('tells progressive, grey and CMYK files apart', async () => {
    const base = sharp({ create: { width: 33, height: 17, channels: 3, background: '#336699' } });
    assert.equal(readJpegHeader(await base.clone().jpeg({ progressive: true }).toBuffer())?.coding, 'progressive');
    assert.equal(readJpegHeader(await base.clone().toColourspace('b-w').jpeg().toBuffer())?.components, 1);
    const cmyk = readJpegHeader(await base.clone().toColourspace('cmyk').jpeg().toBuffer());
    assert.equal(cmyk?.components, 4);
    assert.equal(cmyk?.adobeTransform, 0);
  });

  it('reads the EXIF orientation in both byte orders, and sees ICC profiles', async () => {
    const plain = await photoAsJpeg('coffee.png', 40, 30);
    for (const o of [1, 2, 3, 4, 5, 6, 7, 8]) {
      assert.equal(readJpegHeader(withSegments(plain, exifSegment(o)))?.orientation, o);
      assert.equal(readJpegHeader(withSegments(plain, exifSegment(o, true)))?.orientation, o);
    }
    // Out-of-range values are ignored, as decoders do.
    assert.equal(readJpegHeader(withSegments(plain, exifSegment(9)))?.orientation, 1);
    const tagged = await sharp(plain).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    assert.equal(readJpegHeader(tagged)?.orientation, 6);
    assert.equal(readJpegHeader(tagged)?.hasIccProfile, true);
    assert.equal(readJpegHeader(withoutIcc(tagged))?.hasIccProfile, false);
    assert.equal(readJpegHeader(withoutIcc(tagged))?.orientation, 6);
  });

  it('returns undefined for non-JPEGs, empty input and headers cut before the frame', async () => {
    const jpeg = await photoAsJpeg('rocket.jpg', 64, 48);
    assert.equal(readJpegHeader(Buffer.alloc(0)), undefined);
    assert.equal(readJpegHeader(await sharp(jpeg).png().toBuffer()), undefined);
    assert.equal(readJpegHeader(Buffer.from('not an image at all')), undefined);
    assert.equal(readJpegHeader(jpeg.subarray(0, 30)), undefined);
    // A truncated Exif segment does not throw: it only loses the orientation.
    const exif = exifSegment(6);
    const broken = Buffer.from(exif);
    broken.writeUInt32LE(5000, 4 + 6 + 4); // IFD0 offset far outside the segment
    assert.equal(readJpegHeader(withSegments(jpeg, broken))?.orientation, 1);
  });
});
