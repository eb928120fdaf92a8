// awslambda.HttpResponseStream: a status code and headers before a streamed body, for function URLs. Kept apart
// from the response stream itself so the awslambda global costs a cold start nothing.

/** What HttpResponseStream needs of a response stream (response-stream.ts). */
export interface PreludeTarget {
  setContentType(contentType: string): void;
  _onBeforeFirstWrite: ((write: (chunk: Buffer | string | Uint8Array) => void) => void) | undefined;
}

const PRELUDE_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';

/** awslambda.HttpResponseStream: a status code and headers before the body, for function URLs. */
export class HttpResponseStream {
  static from<T extends PreludeTarget>(stream: T, prelude: unknown): T {
    stream.setContentType(PRELUDE_CONTENT_TYPE);
    const text = JSON.stringify(prelude);
    stream._onBeforeFirstWrite = (write) => {
      write(text);
      write(new Uint8Array(8));
    };
    return stream;
  }
}
