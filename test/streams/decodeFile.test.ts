import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import sharp from 'sharp';
import { decode } from '../../src/streams/decode';
import { classifyDecodeError, decodeBuffer, decodeFile, FAST_JPEG, transcodeFile, type DecodedSample } from '../../src/streams/decodeFile';
import { folderSource } from '../../src/streams/folderSource';
import { skip, type Skip } from '../../src/streams/Skip';
import { asUnprivileged, corruptHuffman, cutInScan, PHOTOS, photoJpeg, photoPng, tempDir, write, writeAuditFiles } from './fixtures';

async function sample(x: Promise<DecodedSample | Skip>): Promise<DecodedSample> {
  const r = await x;
  assert.equal(r.kind, 'sample', r.kind === 'skip' ? `${r.reason}: ${r.message}` : '');
  return r as DecodedSample;
}

async function skipOf(x: Promise<DecodedSample | Skip>): Promise<Skip> {
  const r = await x;
  assert.equal(r.kind, 'skip', 'expected a skip');
  return r as Skip;
}

describe('decodeFile: bad files become typed skips', () => {
  let dir: string;
  let jpg: Buffer;
  let png: Buffer;
  const socketServer = net.createServer();
  before(async () => {
    dir = await tempDir();
    jpg = await photoJpeg('coffee.png', 48);
    png = await photoPng('coffee.png', 48);
  });
  after(() => new Promise<void>((resolve) => (socketServer.listening ? socketServer.close(() => resolve()) : resolve())));

  const cases: Array<[string, () => Promise<string>, string, RegExp?]> = [
    ['zero bytes', () => write(path.join(dir, 'empty.jpg'), Buffer.alloc(0)), 'empty'],
    ['truncated JPEG', () => write(path.join(dir, 'trunc.jpg'), jpg.subarray(0, jpg.length >> 1)), 'truncated'],
    ['truncated PNG', () => write(path.join(dir, 'trunc.png'), png.subarray(0, png.length >> 1)), 'truncated'],
    ['PNG cut inside its header', () => write(path.join(dir, 'hdr.png'), png.subarray(0, 30)), 'truncated'],
    ['not an image', () => write(path.join(dir, 'text.jpg'), 'this is a text file, not a JPEG\n'), 'not-an-image'],
    ['unsupported format (BMP)', async () => {
      // A valid 2x1 24-bit BMP: sharp's prebuilt libvips has no BMP loader.
      const b = Buffer.alloc(62);
      b.write('BM', 0, 'latin1'); b.writeUInt32LE(62, 2); b.writeUInt32LE(54, 10); b.writeUInt32LE(40, 14);
      b.writeInt32LE(2, 18); b.writeInt32LE(1, 22); b.writeUInt16LE(1, 26); b.writeUInt16LE(24, 28); b.writeUInt32LE(8, 34);
      return write(path.join(dir, 'x.bmp'), b);
    }, 'unsupported', /BMP/],
    ['a directory named like an image', async () => { const d = path.join(dir, 'folder.jpg'); await fsp.mkdir(d); return d; }, 'not-a-file'],
    ['a dangling symlink', async () => { const l = path.join(dir, 'broken.jpg'); await fsp.symlink(path.join(dir, 'gone.jpg'), l); return l; }, 'dangling-link'],
    ['a symlink to itself (ELOOP)', async () => { const l = path.join(dir, 'self.jpg'); await fsp.symlink('self.jpg', l); return l; }, 'symlink-loop'],
    // A device has no end (/dev/zero) or none worth reading (/dev/null, which once read as 0 bytes).
    ['a link to a device', async () => { const l = path.join(dir, 'null.jpg'); await fsp.symlink('/dev/null', l); return l; }, 'not-a-file', /special file/],
    ['a Unix socket named like an image', async () => {
      // open(2) on a socket file says ENXIO; the server is closed after the tests.
      const sock = path.join(dir, 'socket.jpg');
      await new Promise<void>((resolve) => socketServer.listen(sock, resolve));
      return sock;
    }, 'not-a-file', /special file/],
  ];
  for (const [name, make, reason, message] of cases) {
    it(name, async () => {
      const file = await make();
      const s = await skipOf(decodeFile(file, 0));
      assert.equal(s.path, file);
      assert.equal(s.reason, reason, s.message);
      assert.ok(s.message.length > 0);
      if (message) assert.match(s.message, message);
    });
  }

  // Read as a file, a FIFO waits for a writer for ever (rxtrain predict on a folder holding a
  // link to one hung with no output); mocha's timeout is what fails this without the check.
  const fifos: string[] = [];
  afterEach(() => {
    // A read still blocked on a FIFO (the check missing) ends once a writer opens and closes it.
    for (const fifo of fifos.splice(0)) {
      try {
        fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
      } catch {
        // ENXIO: no reader waits, as it should be
      }
    }
  });
  for (const [name, link] of [['a FIFO named like an image', false], ['a link to a FIFO', true]] as const) {
    it(`${name} is a not-a-file skip, at once`, async () => {
      const fifo = path.join(dir, `fifo-${String(link)}.jpg`);
      execFileSync('mkfifo', [fifo]);
      fifos.push(fifo);
      const file = link ? path.join(dir, 'fifo-link.jpg') : fifo;
      if (link) await fsp.symlink(fifo, file);
      const s = await skipOf(decodeFile(file, 0));
      assert.deepEqual([s.path, s.reason, s.message], [file, 'not-a-file', 'a special file (fifo, socket or device) named like an image']);
    });
  }

  it('too many pixels (decompression-bomb guard), checked before decoding the pixels', async () => {
    const file = await write(path.join(dir, 'bomb.png'), await sharp({ create: { width: 2000, height: 1500, channels: 3, background: 'red' } }).png().toBuffer());
    const s = await skipOf(decodeFile(file, 0, { maxPixels: 2000 * 1500 - 1 }));
    assert.equal(s.reason, 'too-many-pixels');
    // Its size and the limit, not sharp's bare "Input image exceeds pixel limit"; the same when transcoding (preprocess).
    const want = 'image is 2000x1500 (3,000,000 pixels), over the limit of 2,999,999, a guard against decompression bombs (raise it with the maxPixels option of decode or fileStore, or --max-pixels of rxtrain preprocess or rxtrain train)';
    assert.equal(s.message, want);
    const t = await transcodeFile(file, path.join(dir, 'bomb-out.jpg'), 90, { maxPixels: 2000 * 1500 - 1 });
    assert.deepEqual(t.kind === 'skip' && [t.reason, t.message], ['too-many-pixels', want]);
    // A caller with a setting of its own (rxtrain predict's flag) has the message name it alone.
    const own = await skipOf(decodeFile(file, 0, { maxPixels: 2000 * 1500 - 1, maxPixelsSetting: '--max-pixels' }));
    assert.equal(own.message, 'image is 2000x1500 (3,000,000 pixels), over the limit of 2,999,999, a guard against decompression bombs (raise it with --max-pixels)');
    // A header that claims more than the data holds (30000x30000 in a tiny JPEG) is judged by the header.
    const claims = Buffer.from(jpg);
    const sof = claims.indexOf(Buffer.from([0xff, 0xc0]));
    claims.writeUInt16BE(30000, sof + 5);
    claims.writeUInt16BE(30000, sof + 7);
    const c = await skipOf(decodeFile(await write(path.join(dir, 'claims.jpg'), claims), 0));
    assert.equal(c.reason, 'too-many-pixels');
    assert.match(c.message, /^image is 30000x30000 \(900,000,000 pixels\), over the limit of 100,000,000, /);
    // The same file under a limit it meets decodes.
    assert.equal((await sample(decodeFile(file, 0, { maxPixels: 2000 * 1500 }))).image.width, 2000);
  });

  it('unreadable (permission denied; as an unprivileged user when run as root)', async () => {
    const file = await write(path.join(dir, 'locked.jpg'), jpg);
    await fsp.chmod(file, 0o000);
    const s = await skipOf(asUnprivileged(() => decodeFile(file, 0)));
    assert.equal(s.reason, 'unreadable');
    // The path is the skip's own, as given: not Node's "EACCES: …, open '/abs/…'" again.
    assert.equal(s.message, 'permission denied');
  });
});

describe('decodeFile: corrupt is not truncated, and every skip is one line', () => {
  // The files of a user audit: before, the corrupt JPEG was called "truncated … (file ends
  // inside the header)" with libvips' message over three lines.
  let dir: string;
  let jpg: Buffer;
  before(async () => {
    dir = await tempDir();
    jpg = await photoJpeg('coffee.png', 64);
  });
  const oneLine = (s: Skip): void => assert.doesNotMatch(s.message, /[\r\n]/, `one line: ${JSON.stringify(s.message)}`);

  it('a full-length JPEG with a damaged Huffman table is corrupt, with no claim that the file ends early', async () => {
    const file = await write(path.join(dir, 'zz_corrupt.jpg'), corruptHuffman(jpg));
    for (const s of [await skipOf(decodeFile(file, 0)), await skipOf(transcodeFile(file, path.join(dir, 'out.jpg'), 90) as Promise<Skip>)]) {
      assert.equal(s.reason, 'corrupt', s.message);
      oneLine(s);
      assert.match(s.message, /Huffman/);
      assert.doesNotMatch(s.message, /ends|cut off|truncat/i);
    }
  });

  it('a JPEG cut inside its scan data or inside its header is truncated, said from its bytes', async () => {
    const scan = await skipOf(decodeFile(await write(path.join(dir, 'cut-scan.jpg'), cutInScan(jpg)), 0));
    assert.equal(scan.reason, 'truncated');
    oneLine(scan);
    assert.match(scan.message, /ends inside the image data, before the JPEG end-of-image marker/);
    const header = await skipOf(decodeFile(await write(path.join(dir, 'cut-header.jpg'), jpg.subarray(0, 120)), 0));
    assert.equal(header.reason, 'truncated');
    oneLine(header);
    assert.match(header.message, /ends inside the JPEG header, after 120 bytes/);
  });

  it('the audit folder: each bad file gets its own reason and a one-line message', async () => {
    const root = await tempDir();
    const want = await writeAuditFiles(path.join(root, 'a'));
    const out = await lastValueFrom(folderSource(root).pipe(decode({ concurrency: 4 }), toArray()));
    const skips = out.filter((x): x is Skip => x.kind === 'skip');
    skips.forEach(oneLine);
    assert.deepEqual(Object.fromEntries(skips.map((k) => [path.basename(k.path), k.reason])), want);
  });

  it('skip() folds a multi-line message onto one line, dropping repeats', () => {
    const s = skip('a.jpg', 'corrupt', 'Input buffer has corrupt header: VipsJpeg: Bogus Huffman table definition\nVipsJpeg: Bogus Huffman table definition\nVipsJpeg: Bogus marker length\n');
    assert.equal(s.message, 'Input buffer has corrupt header: VipsJpeg: Bogus Huffman table definition; VipsJpeg: Bogus marker length');
  });
});

describe('decodeBuffer: every input becomes 8-bit RGB', () => {
  const rgbOf = async (b: Buffer, opts = {}): Promise<DecodedSample> => sample(decodeBuffer(b, 'x', 3, opts));
  const maxDiff = (a: Uint8Array, b: Uint8Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  let reference: { data: Uint8Array; width: number; height: number };
  before(async () => {
    const { data, info } = await sharp(path.join(PHOTOS, 'chelsea.png')).resize(24, 16).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    reference = { data: new Uint8Array(data), width: info.width, height: info.height };
  });
  const raw = () => sharp(Buffer.from(reference.data), { raw: { width: reference.width, height: reference.height, channels: 3 } });

  it('RGB PNG: exact pixels and the label/path carried through', async () => {
    const s = await rgbOf(await raw().png().toBuffer());
    assert.deepEqual([s.image.width, s.image.height, s.image.channels, s.label, s.path], [24, 16, 3, 3, 'x']);
    assert.deepEqual(s.image.data, reference.data);
  });

  it('16-bit PNG → 8-bit, same picture', async () => {
    const b = await raw().toColourspace('rgb16').png().toBuffer();
    assert.equal((await sharp(b).metadata()).depth, 'ushort');
    const s = await rgbOf(b);
    assert.ok(s.image.data instanceof Uint8Array);
    assert.ok(maxDiff(s.image.data, reference.data) <= 1, `max diff ${maxDiff(s.image.data, reference.data)}`);
  });

  it('palette PNG → RGB close to the original', async () => {
    const b = await raw().png({ palette: true, colours: 256, dither: 0 }).toBuffer();
    assert.equal((await sharp(b).metadata()).isPalette, true);
    const s = await rgbOf(b);
    assert.equal(s.image.channels, 3);
    assert.ok(maxDiff(s.image.data, reference.data) <= 40);
  });

  it('grey → three equal channels', async () => {
    const b = await raw().toColourspace('b-w').png().toBuffer();
    assert.equal((await sharp(b).metadata()).channels, 1);
    const s = await rgbOf(b);
    assert.equal(s.image.channels, 3);
    for (let i = 0; i < s.image.data.length; i += 3) assert.ok(s.image.data[i] === s.image.data[i + 1] && s.image.data[i] === s.image.data[i + 2]);
  });

  it('CMYK JPEG → sRGB close to the original', async () => {
    const b = await raw().toColourspace('cmyk').jpeg({ quality: 100 }).toBuffer();
    assert.equal((await sharp(b).metadata()).space, 'cmyk');
    const s = await rgbOf(b);
    const mean = (d: Uint8Array): number => d.reduce((a, v) => a + v, 0) / d.length;
    assert.equal(s.image.channels, 3);
    assert.ok(Math.abs(mean(s.image.data) - mean(reference.data)) < 20, `${mean(s.image.data)} vs ${mean(reference.data)}`);
  });

  it('alpha is flattened onto black by default, white on request', async () => {
    const b = await sharp({ create: { width: 2, height: 2, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    assert.deepEqual([...(await rgbOf(b)).image.data.slice(0, 3)], [0, 0, 0]);
    assert.deepEqual([...(await rgbOf(b, { background: 'white' })).image.data.slice(0, 3)], [255, 255, 255]);
    const half = await sharp({ create: { width: 2, height: 2, channels: 4, background: { r: 200, g: 100, b: 0, alpha: 1 } } }).png().toBuffer();
    assert.deepEqual([...(await rgbOf(half)).image.data.slice(0, 3)], [200, 100, 0]);
  });

  it('EXIF orientation is applied (6 = rotate 90° clockwise)', async () => {
    // 4x2: left half red, right half blue; rotated 90° cw it becomes 2x4, red on top.
    const px = Buffer.from([255, 0, 0, 255, 0, 0, 0, 0, 255, 0, 0, 255, 255, 0, 0, 255, 0, 0, 0, 0, 255, 0, 0, 255]);
    const b = await sharp(px, { raw: { width: 4, height: 2, channels: 3 } }).png().withMetadata({ orientation: 6 }).toBuffer();
    assert.equal((await sharp(b).metadata()).orientation, 6);
    const s = await rgbOf(b);
    assert.deepEqual([s.image.width, s.image.height], [2, 4]);
    assert.deepEqual([...s.image.data.slice(0, 3)], [255, 0, 0]);
    assert.deepEqual([...s.image.data.slice(-3)], [0, 0, 255]);
  });

  it('resize centre-crops to a square and scales', async () => {
    const s = await rgbOf(await raw().png().toBuffer(), { resize: 8 });
    assert.deepEqual([s.image.width, s.image.height, s.image.data.length], [8, 8, 8 * 8 * 3]);
  });
});

describe('folderSource → decode: every bad file is a typed skip, every valid file comes through', () => {
  it('on a tree with one file of each bad kind', async () => {
    const root = await tempDir();
    const jpg = await photoJpeg('astronaut.png', 40);
    const good = [
      await write(path.join(root, 'a/1.jpg'), jpg),
      await write(path.join(root, 'a/2.png'), await photoPng('horse.png', 40)),
      await write(path.join(root, 'b/3.jpg'), await photoJpeg('rocket.jpg', 40)),
      await write(path.join(root, 'b/4.JPEG'), jpg),
    ];
    await write(path.join(root, 'a/empty.jpg'), Buffer.alloc(0));
    await write(path.join(root, 'a/trunc.jpg'), jpg.subarray(0, jpg.length - 200));
    await write(path.join(root, 'a/text.png'), 'hello');
    await write(path.join(root, 'a/.DS_Store'), 'junk');
    await write(path.join(root, 'a/._1.jpg'), 'appledouble');
    await write(path.join(root, 'b/Thumbs.db'), 'junk');
    await fsp.mkdir(path.join(root, 'b/dir.png'));
    await fsp.symlink(path.join(root, 'nowhere.jpg'), path.join(root, 'b/link.jpg'));
    await write(path.join(root, 'b/big.png'), await sharp({ create: { width: 300, height: 300, channels: 3, background: 'blue' } }).png().toBuffer());
    const locked = await write(path.join(root, 'b/locked.jpg'), jpg);
    await fsp.chmod(locked, 0o000);

    const out = await asUnprivileged(() => lastValueFrom(folderSource(root).pipe(decode({ concurrency: 3, maxPixels: 200 * 200 }), toArray())));
    const samples = out.filter((x): x is DecodedSample => x.kind === 'sample');
    assert.deepEqual(samples.map((s) => [s.path, s.label]), good.map((g) => [g, g.includes('/a/') ? 0 : 1]));
    for (const s of samples) assert.deepEqual([s.image.width, s.image.height, s.image.channels], [40, 40, 3]);
    const skips = Object.fromEntries(out.filter((x): x is Skip => x.kind === 'skip').map((s) => [path.relative(root, s.path), s.reason]));
    assert.deepEqual(skips, {
      'a/empty.jpg': 'empty',
      'a/trunc.jpg': 'truncated',
      'a/text.png': 'not-an-image',
      'a/.DS_Store': 'hidden',
      'a/._1.jpg': 'hidden',
      'b/Thumbs.db': 'hidden',
      'b/dir.png': 'not-a-file',
      'b/link.jpg': 'dangling-link',
      'b/big.png': 'too-many-pixels',
      'b/locked.jpg': 'unreadable',
    });
    assert.equal(out.length, good.length + Object.keys(skips).length);
  });
});

describe('classifyDecodeError: the bytes outrank a message that may belong to another image', () => {
  // libvips keeps one error buffer per process, so simultaneous failures can swap messages.
  it('a JPEG or PNG cut off before its end marker is truncated, whatever the message says', async () => {
    const jpg = await photoJpeg('astronaut.png', 40);
    const png = await photoPng('horse.png', 40);
    const other = new Error('VipsForeignLoad: source is not in a known format');
    assert.equal(classifyDecodeError(other, jpg.subarray(0, jpg.length - 200)).reason, 'truncated');
    assert.equal(classifyDecodeError(other, jpg.subarray(0, 300)).reason, 'truncated');
    assert.equal(classifyDecodeError(other, png.subarray(0, png.length - 30)).reason, 'truncated');
  });

  it('content no decoder knows is not an image, even with a truncation message', () => {
    const r = classifyDecodeError(new Error('VipsJpeg: premature end of JPEG image'), Buffer.from('hello'));
    assert.equal(r.reason, 'not-an-image');
  });

  it('complete files are still classified by the message', async () => {
    const jpg = await photoJpeg('astronaut.png', 40);
    assert.equal(classifyDecodeError(new Error('Input image exceeds pixel limit'), jpg).reason, 'too-many-pixels');
    assert.equal(classifyDecodeError(new Error('VipsJpeg: Unsupported color conversion request'), jpg).reason, 'unsupported');
  });

  it('a complete JPEG or PNG is corrupt, not truncated, whatever the message says', async () => {
    const jpg = await photoJpeg('astronaut.png', 40);
    const png = await photoPng('horse.png', 40);
    for (const [msg, buf] of [
      ['VipsJpeg: premature end of data segment', jpg],
      ['Input buffer has corrupt header: VipsJpeg: Bogus Huffman table definition\nVipsJpeg: Bogus Huffman table definition\n', jpg],
      ['Unknown error', jpg],
      ['Input buffer has corrupt header: VipsForeignLoad: libpng read error', png],
    ] as const) {
      const r = classifyDecodeError(new Error(msg), buf);
      assert.equal(r.reason, 'corrupt', msg);
      assert.doesNotMatch(r.message, /\n|file ends/, msg);
    }
    assert.match(classifyDecodeError(new Error('Unknown error'), jpg).message, /the decoder gave no detail/);
  });

  it('a 12- or 16-bit or hierarchical JPEG is unsupported, said from its header, whatever the message says', async () => {
    const jpg = await photoJpeg('astronaut.png', 40);
    // The frame header of an extended (SOF1) JPEG with the given sample precision, or a hierarchical (SOF5) one.
    const withFrame = (marker: number, precision: number): Buffer => {
      const b = Buffer.from(jpg);
      const sof = b.indexOf(Buffer.from([0xff, 0xc0]));
      b[sof + 1] = marker;
      b[sof + 4] = precision;
      return b;
    };
    // What libvips says when the error buffer was emptied by another failing decode, or holds another file's message.
    for (const msg of ['Unknown error', '', 'VipsJpeg: Unsupported JPEG data precision 16', 'VipsJpeg: Bogus Huffman table definition']) {
      for (const bits of [12, 16]) {
        const r = classifyDecodeError(new Error(msg), withFrame(0xc1, bits));
        assert.equal(r.reason, 'unsupported', `${bits}-bit, message ${JSON.stringify(msg)}`);
        assert.match(r.message, new RegExp(`^a ${bits}-bit JPEG .*8-bit JPEGs only; convert it`));
      }
      const h = classifyDecodeError(new Error(msg), withFrame(0xc5, 8));
      assert.equal(h.reason, 'unsupported', `hierarchical, message ${JSON.stringify(msg)}`);
      assert.match(h.message, /^a hierarchical JPEG/);
    }
    // A cut-off one is still truncated first; an ordinary 8-bit one still corrupt.
    assert.equal(classifyDecodeError(new Error('Unknown error'), withFrame(0xc1, 12).subarray(0, 300)).reason, 'truncated');
    assert.equal(classifyDecodeError(new Error('Unknown error'), withFrame(0xc1, 8)).reason, 'corrupt');
  });

  it('12-bit JPEGs decoded alongside damaged files are each unsupported with their own message', async () => {
    const root = await tempDir();
    const jpg = await photoJpeg('astronaut.png', 40);
    const twelve = Buffer.from(jpg);
    const sof = twelve.indexOf(Buffer.from([0xff, 0xc0]));
    twelve[sof + 1] = 0xc1;
    twelve[sof + 4] = 12;
    for (let i = 0; i < 12; i += 1) {
      await write(path.join(root, `a/deep${i}.jpg`), twelve);
      await write(path.join(root, `a/corrupt${i}.jpg`), corruptHuffman(jpg));
    }
    const out = await lastValueFrom(folderSource(root).pipe(decode({ concurrency: 8 }), toArray()));
    for (const k of out.filter((x): x is Skip => x.kind === 'skip')) {
      if (!path.basename(k.path).startsWith('deep')) continue;
      assert.equal(k.reason, 'unsupported', `${k.path}: ${k.message}`);
      assert.match(k.message, /^a 12-bit JPEG/, k.path);
    }
    assert.equal(out.filter((x) => x.kind === 'skip' && x.reason === 'unsupported').length, 12);
  });

  it('markers inside an EXIF thumbnail and a damaged segment length do not make a complete JPEG look cut off', async () => {
    const jpg = corruptHuffman(await photoJpeg('astronaut.png', 40));
    // An APP1 segment holding a tiny "thumbnail" with its own SOS and EOI, right after SOI.
    const thumb = Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 0x11, 0x22, 0xff, 0xd9]);
    const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, 0x00, thumb.length + 2]), thumb]);
    const withThumb = Buffer.concat([jpg.subarray(0, 2), app1, jpg.subarray(2)]);
    const bogus = new Error('VipsJpeg: Bogus Huffman table definition');
    assert.equal(classifyDecodeError(bogus, withThumb).reason, 'corrupt');
    // Cut inside the main image's header, after the thumbnail's end-of-image marker: cut off.
    const cut = classifyDecodeError(bogus, withThumb.subarray(0, app1.length + 40));
    assert.equal(cut.reason, 'truncated');
    assert.match(cut.message, /ends inside the JPEG header/);
    // A length field damaged to run past the end, in a file that still ends with its marker.
    const longLength = Buffer.from(jpg);
    longLength.writeUInt16BE(0xfff0, jpg.indexOf(Buffer.from([0xff, 0xc4])) + 2);
    assert.equal(classifyDecodeError(new Error('VipsJpeg: Bogus marker length'), longLength).reason, 'corrupt');
  });

  it('many cut-off, corrupt and non-image files failing at once keep their own reasons and messages', async () => {
    const root = await tempDir();
    const jpg = await photoJpeg('astronaut.png', 40);
    for (let i = 0; i < 12; i += 1) {
      await write(path.join(root, `a/trunc${i}.jpg`), jpg.subarray(0, jpg.length - 100 - i * 7));
      await write(path.join(root, `a/corrupt${i}.jpg`), corruptHuffman(jpg));
      await write(path.join(root, `a/text${i}.png`), `not an image ${i}`);
    }
    const out = await lastValueFrom(folderSource(root).pipe(decode({ concurrency: 8 }), toArray()));
    const skips = out.filter((x): x is Skip => x.kind === 'skip');
    assert.equal(skips.length, 36);
    const want: Record<string, string> = { 'trunc.jpg': 'truncated', 'corrupt.jpg': 'corrupt', 'text.png': 'not-an-image' };
    for (const k of skips) {
      const name = path.basename(k.path).replace(/\d+/, '');
      assert.equal(k.reason, want[name], `${name}: ${k.message}`);
      assert.doesNotMatch(k.message, /\n/, name);
      // A cut file's message comes from its bytes, never from another image's error (or none).
      if (k.reason === 'truncated') assert.match(k.message, /^the file ends inside the image data/, name);
    }
  });
});

describe('transcodeFile: decode and JPEG-encode in one call', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir();
  });

  it('writes the same bytes as encoding decodeFile’s pixels, EXIF rotation and resize included', async () => {
    const px = Buffer.alloc(40 * 24 * 3);
    for (let i = 0; i < px.length; i++) px[i] = (i * 37) % 251;
    const src = await write(
      path.join(dir, 'rot.jpg'),
      await sharp(px, { raw: { width: 40, height: 24, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer(),
    );
    const opts = { resize: 16 } as const;
    const dest = path.join(dir, 'out.jpg');
    const r = await transcodeFile(src, dest, 85, opts);
    assert.deepEqual(r, { kind: 'written', width: 16, height: 16 });
    const s = await sample(decodeFile(src, 0, opts));
    const expected = await sharp(Buffer.from(s.image.data), { raw: { width: 16, height: 16, channels: 3 } }).jpeg({ ...FAST_JPEG, quality: 85 }).toBuffer();
    assert.ok((await fsp.readFile(dest)).equals(expected), 'one-call output differs from decode + encode');
  });

  it('bad input is a typed skip and writes nothing', async () => {
    const jpg = await photoJpeg('coffee.png', 48);
    const src = await write(path.join(dir, 'cut.jpg'), jpg.subarray(0, jpg.length >> 1));
    const dest = path.join(dir, 'cut-out.jpg');
    const r = await transcodeFile(src, dest, 90);
    assert.equal(r.kind, 'skip');
    assert.equal((r as Skip).reason, 'truncated');
    await assert.rejects(fsp.access(dest));
    const gone = await transcodeFile(path.join(dir, 'missing.jpg'), dest, 90);
    assert.equal((gone as Skip).reason, 'unreadable');
  });
});

describe('decodeBuffer with channels: 1 (grey)', () => {
  const grey = (w: number, h: number, f: (i: number) => number): Buffer => Buffer.from(Uint8Array.from({ length: w * h }, (_, i) => f(i)));

  it('a grey PNG keeps its exact pixels in one channel; channels 3 replicates the same values', async () => {
    const px = grey(7, 5, (i) => (i * 53) % 256);
    const png = await sharp(px, { raw: { width: 7, height: 5, channels: 1 } }).toColourspace('b-w').png().toBuffer();
    assert.equal((await sharp(png).metadata()).channels, 1);
    const g = await sample(decodeBuffer(png, 'g.png', 1, { channels: 1 }));
    assert.deepEqual([g.image.width, g.image.height, g.image.channels], [7, 5, 1]);
    assert.deepEqual(g.image.data, new Uint8Array(px));
    const rgb = await sample(decodeBuffer(png, 'g.png', 1));
    assert.equal(rgb.image.channels, 3);
    for (let i = 0; i < px.length; i++) assert.deepEqual([...rgb.image.data.subarray(3 * i, 3 * i + 3)], [px[i], px[i], px[i]], `pixel ${i}`);
  });

  it('colour images become their luminance: black 0, white 255, green > red > blue', async () => {
    const colours = [[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255]];
    const png = await sharp(Buffer.from(colours.flat()), { raw: { width: 5, height: 1, channels: 3 } }).png().toBuffer();
    const s = await sample(decodeBuffer(png, 'c.png', 0, { channels: 1 }));
    assert.equal(s.image.channels, 1);
    const [black, white, red, green, blue] = s.image.data;
    assert.deepEqual([black, white], [0, 255]);
    assert.ok(green > red && red > blue && blue > 0, `grey values ${[...s.image.data].join(', ')}`);
  });

  it('grey with alpha is flattened onto the background; decodeFile agrees with decodeBuffer', async () => {
    const ga = Buffer.from([200, 0, 200, 255, 10, 128]); // 3 pixels of grey + alpha
    const png = await sharp(ga, { raw: { width: 3, height: 1, channels: 2 } }).png().toBuffer();
    const s = await sample(decodeBuffer(png, 'a.png', 0, { channels: 1 }));
    assert.equal(s.image.channels, 1);
    assert.deepEqual([s.image.data[0], s.image.data[1]], [0, 200]);
    const w = await sample(decodeBuffer(png, 'a.png', 0, { channels: 1, background: 'white' }));
    assert.equal(w.image.data[0], 255);
    const dir = await tempDir();
    const f = await write(path.join(dir, 'a.png'), png);
    assert.deepEqual((await sample(decodeFile(f, 0, { channels: 1 }))).image.data, s.image.data);
  });
});
