// Original file: proto/telemetry.proto


export interface GetRunRequest {
}

export interface GetRunRequest__Output {
}
