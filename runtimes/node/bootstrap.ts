// Spillway's Node.js runtime client: the process of a Node.js execution environment. It speaks the Lambda Runtime API
// at AWS_LAMBDA_RUNTIME_API and gives the handler what AWS's Node.js runtime gives it: CommonJS and ES module
// handlers, async and callback handlers (callbacks only up to Node.js 22, as on AWS), the full context
// (callbackWaitsForEmptyEventLoop, getRemainingTimeInMillis, clientContext, identity...), context.succeed/fail/done,
// awslambda.streamifyResponse, and AWS's Runtime.* errors (ImportModuleError, HandlerNotFound,
// UnhandledPromiseRejection...). Each invocation runs to its answer before the next /next.
import type { IncomingHttpHeaders } from 'node:http';
import { CALLBACK_HANDLER_DEPRECATED, RuntimeError, toErrorResponse, unhandledRejection } from './errors';
import type { Handler, HandlerMetadata } from './handler-loader';
import { HIGH_WATER_MARK, handlerMetadata, loadHandler, STREAMING } from './handler-loader';
import { logError, patchConsole, setRequestId } from './logging';
import { HttpResponseStream } from './http-response-stream';
import type * as ResponseStreamModule from './response-stream';
import type { ResponseStream } from './response-stream';
import type { NextInvocation } from './runtime-api-client';
import { RuntimeApiClient } from './runtime-api-client';

type ErrorSink = (error: unknown) => void;

/** What the runtime does with an uncaught exception or unhandled rejection: report it where it belongs, then exit. */
const errorSinks: { uncaughtException: ErrorSink; unhandledRejection: ErrorSink } = {
  uncaughtException: () => process.exit(129),
  unhandledRejection: () => process.exit(128),
};

/** The single 'beforeExit' listener: set while an answer waits for the event loop to empty. */
let beforeExit: () => void = () => undefined;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseJsonHeader(value: string | undefined, name: string): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch (err) {
    throw new Error(`Cannot parse ${name} as json: ${String(err)}`);
  }
}

/** The context object, built as AWS's runtime builds it: environment facts, then the invocation's headers. */
function invocationContext(headers: IncomingHttpHeaders, requestId: string): Record<string, unknown> {
  const deadline = Number(header(headers, 'lambda-runtime-deadline-ms'));
  return {
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: parseJsonHeader(header(headers, 'lambda-runtime-client-context'), 'ClientContext'),
    identity: parseJsonHeader(header(headers, 'lambda-runtime-cognito-identity'), 'CognitoIdentity'),
    invokedFunctionArn: header(headers, 'lambda-runtime-invoked-function-arn'),
    awsRequestId: requestId,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}

function serialize(result: unknown): string {
  try {
    return JSON.stringify(result === undefined ? null : result);
  } catch {
    throw new Error('Unable to stringify response body');
  }
}

class Runtime {
  constructor(
    private readonly client: RuntimeApiClient,
    private readonly handler: Handler,
    private readonly metadata: HandlerMetadata,
  ) {}

  /**
   * Asks for the next event. Called in the same tick as the previous answer's post, so both requests leave in one
   * write and the host answers them in order.
   */
  scheduleNext(): void {
    this.client
      .next()
      .then((invocation) => (this.metadata.streaming ? this.handleStreaming(invocation) : this.handle(invocation)))
      .catch((err: unknown) => {
        console.log(`Unexpected Top Level Error: ${String(err)}`);
        errorSinks.uncaughtException(err);
      });
  }

  private begin(headers: IncomingHttpHeaders): string {
    const requestId = header(headers, 'lambda-runtime-aws-request-id') ?? '';
    setRequestId(requestId);
    const trace = header(headers, 'lambda-runtime-trace-id');
    if (trace) process.env._X_AMZN_TRACE_ID = trace;
    else delete process.env._X_AMZN_TRACE_ID;
    errorSinks.uncaughtException = (error) => {
      void this.client.postError(requestId, toErrorResponse(error)).then(() => process.exit(129));
    };
    errorSinks.unhandledRejection = (error) => {
      void this.client.postError(requestId, toErrorResponse(error)).then(() => process.exit(128));
    };
    return requestId;
  }

  private handle({ body, headers }: NextInvocation): void {
    const requestId = this.begin(headers);
    const next = () => this.scheduleNext();

    let completed = false;
    const complete = (result: unknown) => {
      if (completed) {
        console.error(
          'Invocation has already been reported as done. Cannot call complete more than once per invocation.',
        );
        return;
      }
      const text = serialize(result);
      completed = true;
      void this.client.postResponse(requestId, text);
      next();
    };
    const postError = (err: unknown) => {
      logError('Invoke Error', err);
      completed = true;
      void this.client.postError(requestId, toErrorResponse(err));
      next();
    };

    let waitForEmptyEventLoop = true;
    const callback = (err: unknown, result?: unknown) => {
      beforeExit = () => undefined;
      if (err !== undefined && err !== null) postError(err);
      else if (!waitForEmptyEventLoop) complete(result);
      else beforeExit = () => setImmediate(() => complete(result));
    };
    const done = (err: unknown, result?: unknown) => {
      beforeExit = () => undefined;
      if (err !== undefined && err !== null) postError(err);
      else complete(result);
    };
    // Only the first of callback, succeed, fail and done counts, as on AWS.
    let finished = false;
    const once =
      <A extends unknown[]>(fn: (...args: A) => void) =>
      (...args: A) => {
        if (finished) return;
        fn(...args);
        finished = true;
      };
    const context = invocationContext(headers, requestId);
    Object.defineProperty(context, 'callbackWaitsForEmptyEventLoop', {
      get: () => waitForEmptyEventLoop,
      set: (value: boolean) => (waitForEmptyEventLoop = value),
      enumerable: true,
    });
    context.succeed = once((result: unknown) => done(null, result));
    context.fail = once((err: unknown) => done(err === undefined || err === null ? 'handled' : err));
    context.done = once(done);
    const onlyOnce = once(callback);

    // The handler returned and the event loop ran dry without an answer.
    beforeExit = () => {
      completed = true;
      if (this.metadata.isAsync) {
        const error = new RuntimeError(
          'NodeJsExit',
          'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes',
        );
        logError('Invoke Error', error);
        void this.client.postError(requestId, toErrorResponse(error));
      } else {
        void this.client.postResponse(requestId, 'null');
      }
      next();
    };

    try {
      const result = this.handler(JSON.parse(body) as unknown, context, onlyOnce);
      if (result && typeof (result as Promise<unknown>).then === 'function') {
        (result as Promise<unknown>)
          .then(context.succeed as (v: unknown) => void, context.fail as (e: unknown) => void)
          .catch(context.fail as (e: unknown) => void);
      }
    } catch (err) {
      onlyOnce(err);
    }
  }

  private async handleStreaming({ body, headers }: NextInvocation): Promise<void> {
    const requestId = this.begin(headers);
    // Loaded on the first streamed invocation only (it brings node:stream and node:http).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ResponseStream: Stream } = require('./response-stream') as typeof ResponseStreamModule;
    const stream: ResponseStream = new Stream(this.client, requestId, this.metadata.highWaterMark);
    let waitForEmptyEventLoop = true;
    const context = invocationContext(headers, requestId);
    Object.defineProperty(context, 'callbackWaitsForEmptyEventLoop', {
      get: () => waitForEmptyEventLoop,
      set: (value: boolean) => (waitForEmptyEventLoop = value),
      enumerable: true,
    });
    const next = () => {
      beforeExit = () => undefined;
      if (!waitForEmptyEventLoop) this.scheduleNext();
      else beforeExit = () => setImmediate(() => this.scheduleNext());
    };
    beforeExit = () => this.scheduleNext();
    const fail = async (err: unknown) => {
      logError('Invoke Error', err);
      await stream.fail(err);
      next();
    };
    try {
      const result = this.handler(JSON.parse(body) as unknown, stream, context);
      if (!result || typeof (result as Promise<unknown>).then !== 'function') {
        await fail('Streaming does not support non-async handlers.');
        return;
      }
      const value = await (result as Promise<unknown>);
      if (value !== undefined) console.warn('Streaming handlers ignore return values.');
      if (!stream.writableFinished) {
        await fail('Response stream is not finished.');
        return;
      }
      await stream.done();
      next();
    } catch (err) {
      await fail(err);
    }
  }
}

function installProcessHandlers(): void {
  process.on('uncaughtException', (error) => {
    logError('Uncaught Exception', error);
    errorSinks.uncaughtException(error);
  });
  process.on('unhandledRejection', (reason) => {
    const error = unhandledRejection(reason);
    logError('Unhandled Promise Rejection', error);
    errorSinks.unhandledRejection(error);
  });
  process.on('beforeExit', () => beforeExit());
}

function installAwsLambdaGlobal(): void {
  const off = process.env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA;
  if (off === '1' || off === 'true') return;
  (globalThis as Record<string, unknown>).awslambda = {
    streamifyResponse: (handler: Handler, options?: { highWaterMark?: number }) => {
      const marked = handler as unknown as Record<symbol, unknown>;
      marked[STREAMING] = 'response';
      if (typeof options?.highWaterMark === 'number') marked[HIGH_WATER_MARK] = Math.floor(options.highWaterMark);
      return handler;
    },
    HttpResponseStream,
  };
}

/** Node.js 24 and later take async handlers only; AWS refuses a callback handler at init. */
function callbacksAllowed(): boolean {
  const match = /^AWS_Lambda_nodejs(\d+)/.exec(process.env.AWS_EXECUTION_ENV ?? '');
  return !match?.[1] || Number(match[1]) < 24;
}

async function main(): Promise<void> {
  patchConsole();
  const address = process.env.AWS_LAMBDA_RUNTIME_API;
  if (!address) {
    console.error('AWS_LAMBDA_RUNTIME_API is not set: this process runs only inside an execution environment.');
    process.exit(1);
  }
  const client = new RuntimeApiClient(address);
  errorSinks.uncaughtException = (error) =>
    void client.postInitError(toErrorResponse(error)).then(() => process.exit(129));
  errorSinks.unhandledRejection = (error) =>
    void client.postInitError(toErrorResponse(error)).then(() => process.exit(128));
  installProcessHandlers();
  installAwsLambdaGlobal();

  let handler: Handler;
  let metadata: HandlerMetadata;
  try {
    handler = await loadHandler(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), process.env._HANDLER ?? '');
    metadata = handlerMetadata(handler);
    if (!callbacksAllowed() && metadata.argsNum >= 3 && !metadata.isAsync && !metadata.streaming) {
      throw new RuntimeError('CallbackHandlerDeprecated', CALLBACK_HANDLER_DEPRECATED);
    }
  } catch (err) {
    logError('Init Error', err);
    await client.postInitError(toErrorResponse(err));
    process.exit(129);
  }
  new Runtime(client, handler, metadata).scheduleNext();
}

void main();
