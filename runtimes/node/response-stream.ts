// The response stream of a handler wrapped in awslambda.streamifyResponse: a Writable whose bytes go to the Runtime
// API as one chunked POST .../response with Lambda-Runtime-Function-Response-Mode: streaming. An error after part of
// the body went out travels in the trailers (Lambda-Runtime-Function-Error-Type and -Body), as AWS's runtime sends
// it. awslambda.HttpResponseStream.from() puts its JSON prelude and eight NUL bytes before the first write.
import type { ClientRequest } from 'node:http';
import { Writable } from 'node:stream';
import { RuntimeError, toErrorResponse } from './errors';
import type { RuntimeApiClient } from './runtime-api-client';
import { ERROR_BODY_TRAILER, ERROR_TYPE_HEADER } from './runtime-api-client';

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

export class ResponseStream extends Writable {
  /** Set by HttpResponseStream.from: writes the prelude before the body. */
  _onBeforeFirstWrite: ((write: (chunk: Buffer | string | Uint8Array) => void) => void) | undefined;
  private req: ClientRequest | undefined;
  private contentType = DEFAULT_CONTENT_TYPE;
  private readonly answered: Promise<void>;
  private resolveAnswered: () => void = () => undefined;

  constructor(
    private readonly client: RuntimeApiClient,
    private readonly requestId: string,
    highWaterMark?: number,
  ) {
    super(highWaterMark ? { highWaterMark } : {});
    this.answered = new Promise((resolve) => (this.resolveAnswered = resolve));
  }

  setContentType(contentType: string): void {
    if (this.req) throw new RuntimeError('InvalidStreamingOperation', 'Cannot set content-type, too late.');
    this.contentType = contentType;
  }

  /** Objects are written as JSON, as AWS's stream does. */
  override write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    const data =
      typeof chunk === 'string' || Buffer.isBuffer(chunk) || chunk instanceof Uint8Array
        ? chunk
        : JSON.stringify(chunk);
    return super.write(data, encoding as BufferEncoding, callback as (error?: Error | null) => void);
  }

  /** Resolves once the Runtime API has answered the response (or the error in its trailers). */
  done(): Promise<void> {
    return this.answered;
  }

  /** Ends the response with an error in the trailers; what was written so far stays sent. */
  fail(error: unknown): Promise<void> {
    const req = this.open();
    const body = toErrorResponse(error);
    req.addTrailers({
      [ERROR_TYPE_HEADER]: body.errorType,
      [ERROR_BODY_TRAILER]: Buffer.from(JSON.stringify(body)).toString('base64'),
    });
    if (!req.writableEnded) req.end();
    this.destroy();
    return this.answered;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const fresh = !this.req;
    const req = this.open();
    if (fresh && this._onBeforeFirstWrite) this._onBeforeFirstWrite((prelude) => req.write(prelude));
    if (req.write(chunk)) callback();
    else req.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    const req = this.open();
    req.end();
    void this.answered.then(() => callback());
  }

  private open(): ClientRequest {
    if (this.req) return this.req;
    const req = this.client.openStream(this.requestId, this.contentType);
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => this.resolveAnswered());
    });
    req.on('error', () => process.exit(129));
    this.req = req;
    return req;
  }
}
