// How a recorded history is kept on disk: the protobufjs object form of temporal.api.history.v1.History from
// @temporalio/proto (64-bit numbers and enums as strings, bytes as base64), which History.fromObject turns back into
// the exact message. Not the proto3 JSON that `temporal workflow show -o json` prints: the SDK reads that through
// protobufjs's JSON extension, which fails here ("type must be a Type") because npm installs two copies of
// protobufjs 8 (under @temporalio/common and @temporalio/proto) next to grpc's protobufjs 7.
import { temporal } from '@temporalio/proto';

export const HISTORY_FORMAT =
  'temporal.api.history.v1.History.toObject({ longs: String, enums: String, bytes: String }) of @temporalio/proto';

const History = temporal.api.history.v1.History;

export function historyToFile(history: temporal.api.history.v1.IHistory): string {
  const message = History.fromObject(history as Record<string, unknown>);
  return `${JSON.stringify(History.toObject(message, { longs: String, enums: String, bytes: String }), null, 1)}\n`;
}

export function historyFromFile(text: string): temporal.api.history.v1.History {
  return History.fromObject(JSON.parse(text) as Record<string, unknown>);
}
