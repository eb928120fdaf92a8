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
  override readonly name = 'InvalidParameterValueError';
  readonly status = 400;
  readonly errorType = 'InvalidParameterValueException';
}

export class RequestTooLargeError extends LambdaApiError {
  override readonly name = 'RequestTooLargeError';
  readonly status = 413;
  readonly errorType = 'RequestTooLargeException';
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
