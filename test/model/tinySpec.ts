import { alexNetPattern } from '../../src/model/alexNet';
import type { NetworkSpec } from '../../src/model/NetworkSpec';

/** The seed's AlexNet layer pattern at toy widths, so tests run in seconds on the cpu backend. */
export const tinyAlexNet = (numClasses = 3): NetworkSpec =>
  alexNetPattern('tiny', { filters: 4, kernel: 3, stride: 1, pad: 1 }, [6, 8, 8, 6], 16, { numClasses, inputShape: [16, 16, 1] }, 16);
