// Lambda's payload limits and the Runtime API's names, in one place: the service, the Runtime API server and the
// tests read them from here. The numbers are AWS's own (the Runtime Interface Emulator's interop.MaxPayloadSize and
// the Invoke API's documented limits).

/** A buffered response: 6 MiB plus 100 bytes, as the Runtime API enforces it (6291556 bytes). */
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100;
/** A streamed response (InvokeWithResponseStream): 200 MB. */
export const MAX_STREAMED_RESPONSE_BYTES = 200 * 1024 * 1024;
/** A synchronous Invoke request: "Request must be smaller than 6291456 bytes for the InvokeFunction operation". */
export const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** An asynchronous (Event) Invoke request: 1 MB. */
export const MAX_EVENT_PAYLOAD_BYTES = 1024 * 1024;

export const RUNTIME_API_VERSION = '2018-06-01';

/** Headers of GET /runtime/invocation/next, as AWS names them. */
export const NEXT_HEADERS = {
  requestId: 'Lambda-Runtime-Aws-Request-Id',
  deadlineMs: 'Lambda-Runtime-Deadline-Ms',
  invokedFunctionArn: 'Lambda-Runtime-Invoked-Function-Arn',
  traceId: 'Lambda-Runtime-Trace-Id',
  clientContext: 'Lambda-Runtime-Client-Context',
  cognitoIdentity: 'Lambda-Runtime-Cognito-Identity',
} as const;

export const FUNCTION_ERROR_TYPE_HEADER = 'Lambda-Runtime-Function-Error-Type';
export const FUNCTION_ERROR_BODY_TRAILER = 'Lambda-Runtime-Function-Error-Body';
export const RESPONSE_MODE_HEADER = 'Lambda-Runtime-Function-Response-Mode';

/** The error type of a response over the limit, and its message, as the invoker of the function sees them. */
export const RESPONSE_TOO_LARGE_TYPE = 'Function.ResponseSizeTooLarge';
export function responseTooLargeMessage(limit: number): string {
  return `Response payload size exceeded maximum allowed payload size (${limit} bytes).`;
}
