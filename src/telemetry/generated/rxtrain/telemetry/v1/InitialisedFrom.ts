// Original file: proto/telemetry.proto

import type { Long } from '@grpc/proto-loader';

/**
 * What a run started from another run's weights took (TrainBegin.initialised_from).
 */
export interface InitialisedFrom {
  /**
   * The checkpoint file (on the training machine) the weights came from.
   */
  'path'?: (string);
  /**
   * That checkpoint's global step.
   */
  'step'?: (number | string | Long);
  /**
   * Which of its weights: "ema" (its moving average) or "trained". Take any other value (a
   * newer server's), or none, as unknown: rxtrain monitor shows "unknown weights".
   */
  'weights'?: (string);
  /**
   * How many of the model's weight tensors (BatchNorm statistics included) it set, out of how many.
   */
  'taken'?: (number);
  'total'?: (number);
  /**
   * The tensors left freshly initialised, one label each: "fc8/kernel [4096,257] vs [4096,10]"
   * (the checkpoint's shape, then the model's), or "fc9/bias [10] (not in the checkpoint)".
   * At most the first 100 (a model of thousands of tensors may leave most of them fresh).
   */
  'fresh'?: (string)[];
  /**
   * How many more tensors were left fresh than `fresh` lists: 0 when it lists them all, and
   * from servers before this field.
   */
  'freshMore'?: (number);
}

/**
 * What a run started from another run's weights took (TrainBegin.initialised_from).
 */
export interface InitialisedFrom__Output {
  /**
   * The checkpoint file (on the training machine) the weights came from.
   */
  'path': (string);
  /**
   * That checkpoint's global step.
   */
  'step': (number);
  /**
   * Which of its weights: "ema" (its moving average) or "trained". Take any other value (a
   * newer server's), or none, as unknown: rxtrain monitor shows "unknown weights".
   */
  'weights': (string);
  /**
   * How many of the model's weight tensors (BatchNorm statistics included) it set, out of how many.
   */
  'taken': (number);
  'total': (number);
  /**
   * The tensors left freshly initialised, one label each: "fc8/kernel [4096,257] vs [4096,10]"
   * (the checkpoint's shape, then the model's), or "fc9/bias [10] (not in the checkpoint)".
   * At most the first 100 (a model of thousands of tensors may leave most of them fresh).
   */
  'fresh': (string)[];
  /**
   * How many more tensors were left fresh than `fresh` lists: 0 when it lists them all, and
   * from servers before this field.
   */
  'freshMore': (number);
}
