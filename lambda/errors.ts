// The Lambda API's error responses. Each failure is its own class so routes throw what happened and the HTTP layer
// turns it into the status, `x-amzn-ErrorType` header and body that @aws-sdk/client-lambda maps back to the same
// exception class. The message key's casing follows each exception's shape in the AWS API model.

export abstract class LambdaApiError extends Error {
  abstract readonly status: number;
  /** The AWS exception name: the `x-amzn-ErrorType` header and the SDK's exception class. */
  abstract readonly errorType: string;
  /** `message` or `Message`, as the AWS model spells it for this exception. */
  protected readonly messageKey: 'message' | 'Message' = 'message';
  readonly headers: Record<string, string> = {};

  body(): Record<string, unknown> {
    return { Type: this.status >= 500 ? 'Service' : 'User', [this.messageKey]: this.message };
  }
}

export class ResourceNotFoundError extends LambdaApiError {
  override readonly name = 'ResourceNotFoundError';
  readonly status = 404;
  readonly errorType = 'ResourceNotFoundException';
  protected override readonly messageKey = 'Message';
}

export type ThrottleReason = 'ReservedFunctionConcurrentInvocationLimitExceeded' | 'ConcurrentInvocationLimitExceeded';

export class TooManyRequestsError extends LambdaApiError {
  override readonly name = 'TooManyRequestsError';
  readonly status = 429;
  readonly errorType = 'TooManyRequestsException';

  constructor(readonly reason: ThrottleReason) {
    super('Rate Exceeded.');
    this.headers['Retry-After'] = '1';
  }

  override body(): Record<string, unknown> {
    return { ...super.body(), Reason: this.reason };
  }
}

export class InvalidRequestContentError extends LambdaApiError {
  override readonly name = 'InvalidRequestContentError';
  readonly status = 400;
  readonly errorType = 'InvalidRequestContentException';
}

export class InvalidParameterValueError extends LambdaApiError {
  // Widened so the package checks (zip-package.ts) can subclass it under their own names.
  override readonly name: string = 'InvalidParameterValueError';
  readonly status = 400;
  readonly errorType = 'InvalidParameterValueException';
}

/** A route that the real Lambda API does not have (or a method it does not allow there). */
export class UnknownOperationError extends LambdaApiError {
  override readonly name = 'UnknownOperationError';
  readonly status = 404;
  readonly errorType = 'UnknownOperationException';
}

export class ServiceError extends LambdaApiError {
  override readonly name = 'ServiceError';
  readonly status = 500;
  readonly errorType = 'ServiceException';
  protected override readonly messageKey = 'Message';
}

/** Raised at start-up when the execution-environment bootstrap has not been compiled into dist/. */
export class BootstrapNotBuiltError extends Error {
  override readonly name = 'BootstrapNotBuiltError';
}

/** Create on an existing name, an operation on a function still Pending or mid-update, a referenced version. */
export class ResourceConflictError extends LambdaApiError {
  override readonly name = 'ResourceConflictError';
  readonly status = 409;
  readonly errorType = 'ResourceConflictException';
}

/** A RevisionId precondition that no longer holds (someone changed the function or alias meanwhile). */
export class PreconditionFailedError extends LambdaApiError {
  override readonly name = 'PreconditionFailedError';
  readonly status = 412;
  readonly errorType = 'PreconditionFailedException';
}

/**
 * A request body over the operation's limit: an Invoke payload over 6 MB (1 MB for Event), or a CreateFunction or
 * UpdateFunctionCode body over the 50 MB (zipped, base64-encoded) direct-upload limit. AWS sends this name on the wire
 * for both, although the SDK models Invoke's as RequestTooLargeException.
 */
export class RequestEntityTooLargeError extends LambdaApiError {
  override readonly name = 'RequestEntityTooLargeError';
  readonly status = 413;
  readonly errorType = 'RequestEntityTooLargeException';
}

/** Sent by the SigV4 guard when a request carries no signature at all. */
export class MissingAuthenticationTokenError extends LambdaApiError {
  override readonly name = 'MissingAuthenticationTokenError';
  readonly status = 403;
  readonly errorType = 'MissingAuthenticationTokenException';
}

/** Sent by the SigV4 guard when the access key id is not one of LAMBDA_ACCESS_KEYS. */
export class UnrecognizedClientError extends LambdaApiError {
  override readonly name = 'UnrecognizedClientError';
  readonly status = 403;
  readonly errorType = 'UnrecognizedClientException';
}

/** Sent by the SigV4 guard (and the code URL check) when a signature does not verify or has expired. */
export class InvalidSignatureError extends LambdaApiError {
  override readonly name = 'InvalidSignatureError';
  readonly status = 403;
  readonly errorType = 'InvalidSignatureException';
}

/** Raised at start-up: listening beyond loopback without LAMBDA_ACCESS_KEYS would let anyone deploy code. */
export class UnguardedListenError extends Error {
  override readonly name = 'UnguardedListenError';
}
