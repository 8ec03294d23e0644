import { map, type Observable } from 'rxjs';
import type { Skip } from '../streams/Skip';
import type { AnyImage } from './assertImage';

/**
 * What an image operator accepts: a bare image, any object carrying it in an `image` field
 * (such as a `Sample`), or a {@link Skip} (passed through untouched, so a decode stream of
 * `Sample | Skip` can be piped straight through the operators).
 *
 * @example
 * ```ts
 * const img = makeImage(new Uint8Array(3), 1, 1, 3);
 * const bare: ImageValue = img;
 * const sample: Sample = { image: img, label: 0, path: 'a.jpg' };
 * const carried: ImageValue = sample; // any object with an `image` field
 * ```
 */
export type ImageValue<I extends AnyImage = AnyImage> = I | { readonly image: I } | Skip;

/**
 * The output type of an image operator for input `T`: a bare image becomes `O`; a carrier
 * keeps every field and readonly-ness, with `image` retyped to `O`; a `Skip` stays a `Skip`.
 *
 * @example
 * ```ts
 * type Out = WithImage<Sample, FloatImage>; // { readonly image: FloatImage; readonly label: number; readonly path: string }
 * ```
 */
export type WithImage<T, O extends AnyImage> = T extends Skip
  ? T
  : T extends { readonly image: AnyImage }
    ? { [K in keyof T]: K extends 'image' ? O : T[K] }
    : O;

/**
 * An operator that maps images of type `I` to images of type `O` inside any
 * {@link ImageValue}, keeping the other fields. Generic in the stream's value type, so
 * `Observable<Sample>` in gives a precisely typed `Observable<Sample<O>>`-shaped value out.
 *
 * @example
 * ```ts
 * const toFloat: ImageOperator<Image, FloatImage> = normalize([124, 116, 104]);
 * ```
 */
export type ImageOperator<I extends AnyImage, O extends AnyImage> = <T extends ImageValue<I>>(
  source: Observable<T>,
) => Observable<WithImage<T, O>>;

/**
 * An image operator that keeps the image type (geometry, colour): the stream's value type is
 * unchanged, whatever carrier it is.
 *
 * @example
 * ```ts
 * const op: MonoImageOperator = flipHorizontal();
 * ```
 */
export type MonoImageOperator<I extends AnyImage = AnyImage> = <T extends ImageValue<I>>(
  source: Observable<T>,
) => Observable<T>;

/**
 * Lifts an image kernel `(image) => image` into an RxJS operator over {@link ImageValue}s:
 * a bare image is replaced by `kernel(image)`; a carrier object is shallow-copied as
 * `{ ...value, image: kernel(value.image) }` (carriers should be plain objects: a class
 * instance would lose its prototype); a `Skip` passes through untouched.
 *
 * The kernel runs synchronously inside `map`, so if it throws (bad argument, image too small)
 * the stream errors with that exception and unsubscribes from the source, by ordinary RxJS
 * semantics. Values that are neither images, carriers nor skips error the stream with a
 * `TypeError`.
 *
 * @example
 * ```ts
 * const invert = mapImage((img: Image) =>
 *   makeImage(img.data.map((v) => 255 - v), img.width, img.height, img.channels));
 * samples$.pipe(invert).subscribe((s) => console.log(s.label, s.image.data[0]));
 * ```
 */
export function mapImage<I extends AnyImage, O extends AnyImage>(
  kernel: (image: I) => O,
): ImageOperator<I, O> {
  const apply = (value: unknown): unknown => {
    if (value !== null && typeof value === 'object') {
      const v = value as { image?: unknown; data?: unknown; kind?: unknown };
      if (v.image !== null && typeof v.image === 'object') {
        return { ...v, image: kernel(v.image as I) };
      }
      if (ArrayBuffer.isView(v.data)) return kernel(v as I);
      if (v.kind === 'skip') return v;
    }
    throw new TypeError(
      `image operator: expected an Image, an object with an \`image\` field, or a Skip; got ${describe(value)}`,
    );
  };
  return (<T extends ImageValue<I>>(source: Observable<T>) =>
    source.pipe(map((v) => apply(v) as WithImage<T, O>))) as ImageOperator<I, O>;
}

/**
 * {@link mapImage} for kernels that keep the image type; the operator's output type is its
 * input type.
 *
 * @example
 * ```ts
 * const blackout = mapSameImage((img: Image) => ({ ...img, data: new Uint8Array(img.data.length) }));
 * ```
 */
export function mapSameImage<I extends AnyImage>(kernel: (image: I) => I): MonoImageOperator<I> {
  return mapImage(kernel) as unknown as MonoImageOperator<I>;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  const keys = Object.keys(value).slice(0, 5);
  return `an object with keys [${keys.join(', ')}]`;
}
