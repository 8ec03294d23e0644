// Original file: proto/telemetry.proto


/**
 * GetRun takes no parameters: a server serves one run.
 */
export interface GetRunRequest {
}

/**
 * GetRun takes no parameters: a server serves one run.
 */
export interface GetRunRequest__Output {
}
