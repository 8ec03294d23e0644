import { alexNetPattern, type AlexNetOptions } from './alexNet';
import type { NetworkSpec } from './NetworkSpec';

/**
 * The small-input variant of the seed's AlexNet (torch_train.py `--small`), for 28–64 px
 * images: the same layer pattern with conv 64 5×5/1 pad 2 first, then 192 5×5, 384, 256,
 * 256 3×3, and dense 1024, 1024. Default input 32² (5 877 834 parameters for 10 classes).
 *
 * @example
 * ```ts
 * const spec = smallAlexNet({ numClasses: 10, inputSize: 28 });
 * ```
 */
export function smallAlexNet(options: AlexNetOptions): NetworkSpec {
  return alexNetPattern('small', { filters: 64, kernel: 5, stride: 1, pad: 2 }, [192, 384, 256, 256], 1024, options, 32);
}
