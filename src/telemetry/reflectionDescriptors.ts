import type * as protoLoader from '@grpc/proto-loader';
import { protoPath as HEALTH_PROTO_PATH } from 'grpc-health-check';
import * as protobuf from 'protobufjs';
import * as descriptor from 'protobufjs/ext/descriptor';
import { TELEMETRY_PROTO_PATH } from './telemetryProto';

/** The parts of the descriptors (as protobufjs builds them) that are patched. */
interface FieldDesc {
  name?: string;
  typeName?: string;
  proto3_optional?: boolean;
  proto3Optional?: boolean;
}
interface MessageDesc {
  name?: string;
  field?: FieldDesc[];
  nestedType?: MessageDesc[];
  options?: { mapEntry?: boolean };
}
interface FileDesc {
  name?: string;
  messageType?: MessageDesc[];
}

/** `health_status` -> `HealthStatusEntry`: the name protoc gives a map field's entry type. */
function mapEntryName(field: string): string {
  return field.replace(/(?:^|_)([a-z0-9])/g, (_, c: string) => c.toUpperCase()) + 'Entry';
}

// Two places where protobufjs's descriptors differ from protoc's, and clients reject or
// misread them: a proto3 `optional` field is marked `proto3_optional`, which the descriptor
// type does not encode (clients would see a one-field oneof), and a map's entry type is
// named `Field` instead of `FieldEntry` (protobuf's own runtimes refuse the whole file).
function likeProtoc(m: MessageDesc): void {
  for (const f of m.field ?? []) {
    if (f.proto3_optional === true) f.proto3Optional = true;
    const entry = m.nestedType?.find((n) => n.options?.mapEntry === true && n.name === f.typeName);
    if (entry !== undefined && f.name !== undefined) f.typeName = entry.name = mapEntryName(f.name);
  }
  for (const n of m.nestedType ?? []) likeProtoc(n);
}

function fileDescriptor(file: string, name: string): Uint8Array {
  // keepCase: the names a generic client sees (and must send, e.g. grpcurl -d) are those
  // of the .proto (`from_sequence`), not the camelCase ones grpc-js uses in JavaScript.
  const root = new protobuf.Root().loadSync(file, { keepCase: true });
  root.resolveAll();
  const files = (root.toDescriptor('proto3') as unknown as { file: FileDesc[] }).file;
  if (files.length !== 1) throw new Error(`reflection: ${file} should declare one package, found ${files.length}`);
  const fd = files[0];
  // protobufjs names a file after its package; clients that ask by file name expect the
  // name protoc gives it.
  fd.name = name;
  for (const m of fd.messageType ?? []) likeProtoc(m);
  return descriptor.FileDescriptorProto.encode(fd).finish();
}

let cached: protoLoader.PackageDefinition | undefined;

/**
 * What server reflection serves: `telemetry.proto` and `grpc/health/v1/health.proto` as
 * protoc would describe them (the .proto's field names, proto3 `optional` fields marked as
 * such, map entry types named `…Entry`), so that generic clients (grpcurl, Postman, a Python
 * client without stubs) see the schema someone who compiles the .proto files sees. Only the
 * descriptors are filled in: pass the result to `ReflectionService`, not to
 * `grpc.loadPackageDefinition`.
 *
 * @example
 * ```ts
 * new ReflectionService(reflectionPackageDefinition()).addToServer(server);
 * ```
 */
export function reflectionPackageDefinition(): protoLoader.PackageDefinition {
  if (cached !== undefined) return cached;
  const telemetry = fileDescriptor(TELEMETRY_PROTO_PATH, 'telemetry.proto');
  const health = fileDescriptor(HEALTH_PROTO_PATH, 'grpc/health/v1/health.proto');
  // ReflectionService reads only `fileDescriptorProtos` of each entry.
  const entry = (bytes: Uint8Array): protoLoader.AnyDefinition => ({
    format: 'Protocol Buffer 3 FileDescriptorProto',
    type: {},
    fileDescriptorProtos: [Buffer.from(bytes)],
  } as unknown as protoLoader.AnyDefinition);
  cached = { 'rxtrain.telemetry.v1': entry(telemetry), 'grpc.health.v1': entry(health) };
  return cached;
}
