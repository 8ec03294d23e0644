// Original file: proto/telemetry.proto


export interface LrChanged {
  'from'?: (number | string);
  'to'?: (number | string);
}

export interface LrChanged__Output {
  'from': (number);
  'to': (number);
}
