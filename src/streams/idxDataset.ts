import { makeImage, type Image } from '../ops/Image';
import { readIdxFile, type IdxArray } from './idxArray';

/**
 * A labelled image dataset read from an IDX image file and an IDX label file (MNIST-style):
 * images as 8-bit grey (or `C`-channel, for N×H×W×C files) {@link Image}s, labels as
 * 0-based class indices.
 *
 * @example
 * ```ts
 * const ds = await readIdxDataset('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', { numClasses: 10 });
 * ds.image(0).width; // 28
 * ```
 */
export interface IdxDataset {
  readonly count: number;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly labels: Uint8Array;
  /** Image `i`; the pixels are a view into the file's data, not a copy. */
  image(i: number): Image;
}

/**
 * Options of {@link readIdxDataset}.
 *
 * @example
 * ```ts
 * const o: IdxDatasetOptions = { numClasses: 10 };
 * ```
 */
export interface IdxDatasetOptions {
  /** Labels must be below this (default: any 8-bit label). */
  readonly numClasses?: number | undefined;
}

function checkImages(a: IdxArray, file: string): { n: number; h: number; w: number; c: number } {
  if (a.type !== 'ubyte') throw new Error(`${file}: expected 8-bit (ubyte) image data, found ${a.type}`);
  if (a.dims.length !== 3 && !(a.dims.length === 4 && [1, 3, 4].includes(a.dims[3]))) {
    throw new Error(`${file}: expected images of shape N×H×W (idx3) or N×H×W×C with C = 1, 3 or 4, found ${a.dims.join('×')}`);
  }
  const [n, h, w, c = 1] = a.dims;
  if (h === 0 || w === 0) throw new Error(`${file}: images have an empty size ${h}×${w}`);
  return { n, h, w, c };
}

/**
 * Reads and cross-checks an IDX image/label pair (each gzip or raw). Clear errors, naming the
 * file, for: wrong magic or element type, wrong rank, truncated data, a label file that is
 * not 1-D, image and label counts that differ, and labels out of range.
 *
 * @example
 * ```ts
 * const ds = await readIdxDataset(
 *   '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz',
 *   '/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz',
 *   { numClasses: 10 },
 * );
 * ds.count; // 10000
 * ```
 */
export async function readIdxDataset(imagesFile: string, labelsFile: string, opts: IdxDatasetOptions = {}): Promise<IdxDataset> {
  const [images, labels] = await Promise.all([readIdxFile(imagesFile), readIdxFile(labelsFile)]);
  // The two files in the wrong order is the likeliest mistake: say so rather than "wrong shape".
  if (images.dims.length === 1 && labels.dims.length >= 3) {
    throw new Error(`${imagesFile} holds labels (1-D) and ${labelsFile} holds images (${labels.dims.join('×')}): the IMAGES and LABELS files are swapped`);
  }
  const { n, h, w, c } = checkImages(images, imagesFile);
  if (labels.type !== 'ubyte' || labels.dims.length !== 1) {
    throw new Error(`${labelsFile}: expected a 1-D ubyte label file (idx1-ubyte), found ${labels.dims.length}-D ${labels.type} ${labels.dims.join('×')}`);
  }
  if (labels.dims[0] !== n) {
    throw new Error(`${labelsFile}: has ${labels.dims[0]} labels but ${imagesFile} has ${n} images; they must be the same count`);
  }
  const ys = labels.data as Uint8Array;
  if (opts.numClasses !== undefined) {
    const bad = ys.findIndex((y) => y >= (opts.numClasses as number));
    if (bad >= 0) {
      throw new Error(`${labelsFile}: label ${ys[bad]} of item ${bad} is out of range: expected 0..${opts.numClasses - 1} for ${opts.numClasses} classes`);
    }
  }
  const pixels = images.data as Uint8Array;
  const size = h * w * c;
  return {
    count: n,
    width: w,
    height: h,
    channels: c,
    labels: ys,
    image: (i) => {
      if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`image index ${i} out of range 0..${n - 1}`);
      return makeImage(pixels.subarray(i * size, (i + 1) * size), w, h, c);
    },
  };
}
