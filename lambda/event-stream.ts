// AWS's event-stream framing (application/vnd.amazon.eventstream), the body of InvokeWithResponseStream: each
// message is a prelude (total length, headers length, CRC32 of both), string headers, the payload and a CRC32 of
// everything before it. @aws-sdk/client-lambda decodes PayloadChunk and InvokeComplete events from it.
import { crc32 } from 'node:zlib';

const STRING_HEADER = 7;

export function encodeEventMessage(headers: Record<string, string>, payload: Buffer): Buffer {
  const headerParts: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const nameBytes = Buffer.from(name, 'utf8');
    const valueBytes = Buffer.from(value, 'utf8');
    const part = Buffer.alloc(1 + nameBytes.length + 1 + 2 + valueBytes.length);
    let at = part.writeUInt8(nameBytes.length, 0);
    at += nameBytes.copy(part, at);
    at = part.writeUInt8(STRING_HEADER, at);
    at = part.writeUInt16BE(valueBytes.length, at);
    valueBytes.copy(part, at);
    headerParts.push(part);
  }
  const headerBytes = Buffer.concat(headerParts);
  const total = 12 + headerBytes.length + payload.length + 4;
  const message = Buffer.alloc(total);
  message.writeUInt32BE(total, 0);
  message.writeUInt32BE(headerBytes.length, 4);
  message.writeUInt32BE(crc32(message.subarray(0, 8)), 8);
  headerBytes.copy(message, 12);
  payload.copy(message, 12 + headerBytes.length);
  message.writeUInt32BE(crc32(message.subarray(0, total - 4)), total - 4);
  return message;
}

/** A PayloadChunk event: part of the function's streamed response. */
export function payloadChunkEvent(chunk: Buffer): Buffer {
  return encodeEventMessage(
    { ':event-type': 'PayloadChunk', ':content-type': 'application/octet-stream', ':message-type': 'event' },
    chunk,
  );
}

export interface InvokeComplete {
  ErrorCode?: string;
  ErrorDetails?: string;
  LogResult?: string;
}

/** The InvokeComplete event that ends every response stream, with the error and the log tail if any. */
export function invokeCompleteEvent(complete: InvokeComplete): Buffer {
  return encodeEventMessage(
    { ':event-type': 'InvokeComplete', ':content-type': 'application/json', ':message-type': 'event' },
    Buffer.from(JSON.stringify(complete)),
  );
}
