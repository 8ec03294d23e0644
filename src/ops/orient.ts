import type { Image } from './Image';
import type { AnyImage } from './assertImage';
import { mapSameImage, type MonoImageOperator } from './mapImage';
import { checkOrientation, orientImage, type ExifOrientation } from './orientImage';

/**
 * Operator form of {@link orientImage}: applies one fixed EXIF orientation to every image.
 *
 * @example
 * ```ts
 * decoded$.pipe(orient(6), centerCrop(), resize(256, 'area'));
 * ```
 */
export function orient(orientation: ExifOrientation): MonoImageOperator {
  checkOrientation(orientation, 'orient');
  return mapSameImage((img: AnyImage) => orientImage(img as Image<Uint8Array | Float32Array>, orientation) as AnyImage);
}
