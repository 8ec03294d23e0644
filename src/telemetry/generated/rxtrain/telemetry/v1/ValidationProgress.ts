// Original file: proto/telemetry.proto

import type { Long } from '@grpc/proto-loader';

/**
 * The epoch's validation pass goes on (10-crop validation too): sent as it starts (batches_done
 * 0), then throttled as BatchEnd is (rxtrain train: progress.batchEventsPerSec, or every
 * progress.everyBatches batches), and never after the pass ends: its figures come with the
 * epoch's EpochEnd. `Event.epoch` is the epoch validated.
 */
export interface ValidationProgress {
  /**
   * Validation batches scored so far in this pass.
   */
  'batchesDone'?: (number);
  /**
   * The pass's planned batches, counted from the files before any is skipped (so the pass may
   * end before them). Absent when the training process does not know it, and once
   * batches_done has passed it (a data source whose count was short).
   */
  'batches'?: (number);
  /**
   * Validation images scored so far (with 10-crop, images, not crops).
   */
  'images'?: (number | string | Long);
  '_batches'?: "batches";
}

/**
 * The epoch's validation pass goes on (10-crop validation too): sent as it starts (batches_done
 * 0), then throttled as BatchEnd is (rxtrain train: progress.batchEventsPerSec, or every
 * progress.everyBatches batches), and never after the pass ends: its figures come with the
 * epoch's EpochEnd. `Event.epoch` is the epoch validated.
 */
export interface ValidationProgress__Output {
  /**
   * Validation batches scored so far in this pass.
   */
  'batchesDone': (number);
  /**
   * The pass's planned batches, counted from the files before any is skipped (so the pass may
   * end before them). Absent when the training process does not know it, and once
   * batches_done has passed it (a data source whose count was short).
   */
  'batches'?: (number);
  /**
   * Validation images scored so far (with 10-crop, images, not crops).
   */
  'images': (number);
  '_batches'?: "batches";
}
