// Original file: proto/telemetry.proto


/**
 * Latest known metrics; a field is absent until the run has reported it.
 */
export interface Metrics {
  'loss'?: (number | string);
  'accuracy'?: (number | string);
  'lr'?: (number | string);
  'imagesPerSec'?: (number | string);
  'trainLoss'?: (number | string);
  'trainAccuracy'?: (number | string);
  'valLoss'?: (number | string);
  'valAccuracy'?: (number | string);
  'bestValAccuracy'?: (number | string);
  '_loss'?: "loss";
  '_accuracy'?: "accuracy";
  '_lr'?: "lr";
  '_imagesPerSec'?: "imagesPerSec";
  '_trainLoss'?: "trainLoss";
  '_trainAccuracy'?: "trainAccuracy";
  '_valLoss'?: "valLoss";
  '_valAccuracy'?: "valAccuracy";
  '_bestValAccuracy'?: "bestValAccuracy";
}

/**
 * Latest known metrics; a field is absent until the run has reported it.
 */
export interface Metrics__Output {
  'loss'?: (number);
  'accuracy'?: (number);
  'lr'?: (number);
  'imagesPerSec'?: (number);
  'trainLoss'?: (number);
  'trainAccuracy'?: (number);
  'valLoss'?: (number);
  'valAccuracy'?: (number);
  'bestValAccuracy'?: (number);
  '_loss'?: "loss";
  '_accuracy'?: "accuracy";
  '_lr'?: "lr";
  '_imagesPerSec'?: "imagesPerSec";
  '_trainLoss'?: "trainLoss";
  '_trainAccuracy'?: "trainAccuracy";
  '_valLoss'?: "valLoss";
  '_valAccuracy'?: "valAccuracy";
  '_bestValAccuracy'?: "bestValAccuracy";
}
