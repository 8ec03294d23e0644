import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './generated/telemetry';

/**
 * Absolute path of `proto/telemetry.proto`. It resolves the same from `src/telemetry`
 * (tsx, tests) and from `dist/telemetry` (built package), both two levels below the root.
 *
 * @example
 * ```ts
 * fs.readFileSync(TELEMETRY_PROTO_PATH, 'utf8').includes('service Telemetry'); // true
 * ```
 */
export const TELEMETRY_PROTO_PATH = path.join(__dirname, '..', '..', 'proto', 'telemetry.proto');

/**
 * Loader options. They must match the `gen:proto` script's flags (`--longs=Number
 * --enums=String --defaults --oneofs`), or the generated types would lie about the runtime
 * objects.
 *
 * @example
 * ```ts
 * protoLoader.loadSync(TELEMETRY_PROTO_PATH, TELEMETRY_LOADER_OPTIONS);
 * ```
 */
export const TELEMETRY_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

/**
 * The loaded telemetry protocol: the raw package definition and typed constructors. The
 * definition's descriptors carry the camelCase names grpc-js uses in JavaScript; server
 * reflection serves the .proto's own names instead (`reflectionPackageDefinition`).
 *
 * @example
 * ```ts
 * const { packageDefinition, v1 } = loadTelemetryProto();
 * Object.keys(packageDefinition).includes('rxtrain.telemetry.v1.Event'); // true
 * ```
 */
export interface TelemetryProto {
  readonly packageDefinition: protoLoader.PackageDefinition;
  readonly v1: ProtoGrpcType['rxtrain']['telemetry']['v1'];
}

let cached: TelemetryProto | undefined;

/**
 * Loads `proto/telemetry.proto` once per process (parsing it takes a few ms).
 *
 * @example
 * ```ts
 * const { v1 } = loadTelemetryProto();
 * const client = new v1.Telemetry('127.0.0.1:50051', grpc.credentials.createInsecure());
 * ```
 */
export function loadTelemetryProto(): TelemetryProto {
  if (cached === undefined) {
    const packageDefinition = protoLoader.loadSync(TELEMETRY_PROTO_PATH, TELEMETRY_LOADER_OPTIONS);
    const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as ProtoGrpcType;
    cached = { packageDefinition, v1: loaded.rxtrain.telemetry.v1 };
  }
  return cached;
}
