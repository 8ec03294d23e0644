// Original file: proto/telemetry.proto


/**
 * The learning-rate scheduler changed the rate. (`from` is a Python keyword: getattr(m, "from").)
 */
export interface LrChanged {
  'from'?: (number | string);
  'to'?: (number | string);
}

/**
 * The learning-rate scheduler changed the rate. (`from` is a Python keyword: getattr(m, "from").)
 */
export interface LrChanged__Output {
  'from': (number);
  'to': (number);
}
