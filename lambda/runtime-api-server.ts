// The Lambda Runtime API (version 2018-06-01) of one execution environment: the HTTP server whose address the
// environment gets in AWS_LAMBDA_RUNTIME_API. `/next` does not say who is asking, so every environment has a server
// of its own on its own loopback port; the server knows which invocation it holds and nothing else.
//
//   GET  /2018-06-01/runtime/invocation/next           the next event, held until there is one
//   POST /2018-06-01/runtime/invocation/{id}/response  the result (buffered, or streamed with
//                                                      Lambda-Runtime-Function-Response-Mode: streaming)
//   POST /2018-06-01/runtime/invocation/{id}/error     a function error, typed by Lambda-Runtime-Function-Error-Type
//   POST /2018-06-01/runtime/init/error                the runtime could not initialize
//
// Status codes and error bodies follow AWS's (the Runtime Interface Emulator's rendering): 202 {"status":"OK"},
// 400 InvalidRequestID, 403 InvalidStateTransition, 413 RequestEntityTooLarge.
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  FUNCTION_ERROR_BODY_TRAILER,
  FUNCTION_ERROR_TYPE_HEADER,
  NEXT_HEADERS,
  RESPONSE_MODE_HEADER,
  RESPONSE_TOO_LARGE_TYPE,
  responseTooLargeMessage,
  RUNTIME_API_VERSION,
} from './runtime-api-limits';

/** An error as the runtime reported it: the normalised fields Spillway reads, and the body exactly as posted. */
export interface FunctionErrorBody {
  errorType: string;
  errorMessage: string;
  trace?: string[];
  /** Spillway's extension: the error asked for its next attempt this many seconds later. */
  retryAfterSeconds?: number;
}

export interface PostedError {
  error: FunctionErrorBody;
  /** The body as the runtime posted it; Invoke answers with it unchanged. */
  payload: string;
}

/** One event for the runtime, with what the /next headers carry. */
export interface InvocationEvent {
  requestId: string;
  payload: Buffer;
  deadlineMs: number;
  invokedFunctionArn: string;
  traceId: string;
  clientContext?: string;
  cognitoIdentity?: string;
  /** Receives a streamed response's body as it arrives; without it a stream is buffered like any response. */
  onChunk?: (chunk: Buffer) => void;
  /** Called once the response's headers arrive, with its content type and whether it streams. */
  onResponseStart?: (info: { contentType: string | undefined; streaming: boolean }) => void;
}

export type RuntimeOutcome = { kind: 'success'; result: string; streamed: boolean } | ({ kind: 'error' } & PostedError);

export interface RuntimeApiCallbacks {
  /** The runtime asked for its first event: its init phase is over. */
  onReady(): void;
  onInitError(error: PostedError): void;
  /** The event went out to the runtime: its invocation (and its Duration) starts now. */
  onDelivered(requestId: string): void;
  onOutcome(requestId: string, outcome: RuntimeOutcome): void;
}

export interface RuntimeApiLimits {
  maxResponseBytes: number;
  maxStreamedResponseBytes: number;
}

const PREFIX = `/${RUNTIME_API_VERSION}/runtime`;
const INVOCATION_PATH = new RegExp(`^${PREFIX}/invocation/([^/]+)/(response|error)$`);

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

const accepted = (res: ServerResponse) => reply(res, 202, { status: 'OK' });
const ACCEPTED_BODY = JSON.stringify({ status: 'OK' });
const invalidRequestId = (res: ServerResponse) =>
  reply(res, 400, { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
const invalidTransition = (res: ServerResponse, from: string, to: string) =>
  reply(res, 403, {
    errorMessage: `State transition from ${from} to ${to} failed for runtime. Error: State transition is not allowed`,
    errorType: 'InvalidStateTransition',
  });

/** Reads a body up to `limit` bytes; says whether it was longer (the rest is drained, not kept). */
function readLimited(req: IncomingMessage, limit: number): Promise<{ body: Buffer; overflow: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let overflow = false;
    req.on('data', (chunk: Buffer) => {
      if (overflow) return;
      size += chunk.length;
      if (size > limit) {
        overflow = true;
        chunks.length = 0;
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve({ body: overflow ? Buffer.alloc(0) : Buffer.concat(chunks), overflow }));
    req.on('error', reject);
  });
}

/** A posted error body made readable: AWS's runtimes send errorType/errorMessage and trace or stackTrace. */
export function normaliseError(body: Buffer, typeHeader: string | undefined): PostedError {
  const payload = body.toString('utf8');
  let parsed: Record<string, unknown> | undefined;
  try {
    const value: unknown = JSON.parse(payload);
    if (value && typeof value === 'object' && !Array.isArray(value)) parsed = value as Record<string, unknown>;
  } catch {
    parsed = undefined;
  }
  const errorType = (typeof parsed?.errorType === 'string' && parsed.errorType) || typeHeader || 'Runtime.Unknown';
  const errorMessage =
    typeof parsed?.errorMessage === 'string' ? parsed.errorMessage : parsed ? '' : payload.slice(0, 4096);
  const rawTrace = parsed?.trace ?? parsed?.stackTrace;
  const error: FunctionErrorBody = { errorType, errorMessage };
  if (Array.isArray(rawTrace)) error.trace = rawTrace.map((line) => String(line));
  const after = parsed?.retryAfterSeconds;
  if (typeof after === 'number' && Number.isFinite(after) && after >= 0) error.retryAfterSeconds = after;
  return { error, payload: parsed ? payload : JSON.stringify(error) };
}

export class RuntimeApiServer {
  private readonly server: Server;
  private ready = false;
  /** A /next waiting for an event. */
  private waiting: ServerResponse | undefined;
  /** The event handed to this environment and not yet sent to the runtime. */
  private queued: InvocationEvent | undefined;
  /**
   * The event the runtime took last, and whether its answer is in (a second answer is refused, as AWS refuses it).
   * Kept per delivery, not per request id: an asynchronous retry is the same request id delivered again.
   */
  private current: { event: InvocationEvent; answered: boolean } | undefined;
  /** An answer for the current event is being read; a /next pipelined behind it waits for it. */
  private receiving = false;
  private closed = false;
  /** The connection an answer's 202 waits on, corked, to leave in one write with the next event. */
  private corked: Socket | undefined;

  constructor(
    private readonly callbacks: RuntimeApiCallbacks,
    private readonly limits: RuntimeApiLimits,
  ) {
    this.server = createServer((req, res) => this.route(req, res));
    // Runtimes hold /next open for as long as the environment idles; nothing here may time it out.
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 0;
    this.server.keepAliveTimeout = 0;
    this.server.timeout = 0;
  }

  /** Listens on a free loopback port; resolves to the value of AWS_LAMBDA_RUNTIME_API. */
  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve(`127.0.0.1:${(this.server.address() as AddressInfo).port}`);
      });
    });
  }

  /** Hands the runtime its next event: at once if it is waiting in /next, else when it asks. */
  deliver(event: InvocationEvent): void {
    this.queued = event;
    this.flush();
  }

  /** The invocation ended without the runtime (timeout, cancellation): later answers for it are refused. */
  abandon(): void {
    this.receiving = false;
    if (this.current) this.current.answered = true;
    this.queued = undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.uncork();
    this.queued = undefined;
    this.current = undefined;
    this.waiting?.destroy();
    this.waiting = undefined;
    this.server.close();
    this.server.closeAllConnections();
  }

  private flush(): void {
    const res = this.waiting;
    const event = this.queued;
    if (!res || !event || this.closed) return;
    // The runtime still owes the answer of the event before (its /next came pipelined behind that answer).
    if (this.current && !this.current.answered) return;
    this.waiting = undefined;
    this.queued = undefined;
    this.current = { event, answered: false };
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/json',
      'Content-Length': event.payload.length,
      [NEXT_HEADERS.requestId]: event.requestId,
      [NEXT_HEADERS.deadlineMs]: String(event.deadlineMs),
      [NEXT_HEADERS.invokedFunctionArn]: event.invokedFunctionArn,
      [NEXT_HEADERS.traceId]: event.traceId,
    };
    if (event.clientContext !== undefined) headers[NEXT_HEADERS.clientContext] = event.clientContext;
    if (event.cognitoIdentity !== undefined) headers[NEXT_HEADERS.cognitoIdentity] = event.cognitoIdentity;
    res.writeHead(200, headers);
    res.end(event.payload);
    this.uncork();
    this.callbacks.onDelivered(event.requestId);
  }

  /**
   * Answers an answer with 202. A runtime that pipelines its next /next behind the answer does not wait for the
   * 202, so it is held (corked) until the next event goes out on the same connection, or two turns of the loop
   * have passed: a warm invocation then costs the host one write instead of two.
   */
  private acceptAnswer(res: ServerResponse): void {
    const socket = res.socket;
    if (socket && !this.corked) {
      socket.cork();
      this.corked = socket;
      setImmediate(() => setImmediate(() => this.uncork()));
    }
    res.writeHead(202, { 'Content-Type': 'application/json', 'Content-Length': ACCEPTED_BODY.length });
    res.end(ACCEPTED_BODY);
  }

  private uncork(): void {
    const socket = this.corked;
    this.corked = undefined;
    socket?.uncork();
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    if (this.closed) {
      res.destroy();
      return;
    }
    const url = req.url ?? '/';
    const pathname = url.split('?')[0] ?? '/';
    if (req.method === 'GET' && pathname === `${PREFIX}/invocation/next`) {
      this.next(req, res);
      return;
    }
    if (req.method === 'POST' && pathname === `${PREFIX}/init/error`) {
      void this.initError(req, res);
      return;
    }
    const match = req.method === 'POST' ? INVOCATION_PATH.exec(pathname) : null;
    if (match) {
      let requestId: string;
      try {
        requestId = decodeURIComponent(match[1] ?? '');
      } catch {
        req.resume();
        invalidRequestId(res);
        return;
      }
      if (match[2] === 'response') void this.response(requestId, req, res);
      else void this.error(requestId, req, res);
      return;
    }
    req.resume();
    reply(res, 404, {
      errorMessage: `Unknown Runtime API route ${req.method ?? ''} ${pathname}`,
      errorType: 'NotFound',
    });
  }

  private next(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    if (this.current && !this.current.answered && !this.receiving) {
      invalidTransition(res, 'RuntimeInvocationRunning', 'RuntimeReady');
      return;
    }
    if (this.waiting) {
      invalidTransition(res, 'RuntimeReady', 'RuntimeReady');
      return;
    }
    this.waiting = res;
    // A runtime that gives up waiting (or dies) must not be handed an event.
    res.on('close', () => {
      if (this.waiting === res) this.waiting = undefined;
    });
    if (!this.ready) {
      this.ready = true;
      this.callbacks.onReady();
    }
    this.flush();
  }

  private async initError(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { body } = await readLimited(req, this.limits.maxResponseBytes);
    if (this.ready) {
      invalidTransition(res, 'RuntimeReady', 'RuntimeInitError');
      return;
    }
    accepted(res);
    this.callbacks.onInitError(normaliseError(body, header(req.headers, FUNCTION_ERROR_TYPE_HEADER)));
  }

  private isCurrent(requestId: string): boolean {
    return this.current?.event.requestId === requestId && !this.current.answered;
  }

  /** After a wait: the same delivery is still the one running (not timed out and handed out again). */
  private stillCurrent(delivery: RuntimeApiServer['current']): boolean {
    return delivery !== undefined && this.current === delivery && !delivery.answered;
  }

  private settle(requestId: string, outcome: RuntimeOutcome): void {
    this.receiving = false;
    if (this.current) this.current.answered = true;
    this.callbacks.onOutcome(requestId, outcome);
  }

  private async error(requestId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.isCurrent(requestId)) {
      req.resume();
      invalidRequestId(res);
      return;
    }
    this.receiving = true;
    const delivery = this.current;
    const { body, overflow } = await readLimited(req, this.limits.maxResponseBytes);
    if (!this.stillCurrent(delivery)) {
      invalidRequestId(res);
      return;
    }
    if (overflow) {
      this.tooLarge(requestId, res, this.limits.maxResponseBytes);
      return;
    }
    this.acceptAnswer(res);
    this.settle(requestId, {
      kind: 'error',
      ...normaliseError(body, header(req.headers, FUNCTION_ERROR_TYPE_HEADER)),
    });
  }

  private tooLarge(requestId: string, res: ServerResponse, limit: number): void {
    reply(res, 413, {
      errorMessage: `Exceeded maximum allowed payload size (${limit} bytes).`,
      errorType: 'RequestEntityTooLarge',
    });
    const error = { errorType: RESPONSE_TOO_LARGE_TYPE, errorMessage: responseTooLargeMessage(limit) };
    this.settle(requestId, { kind: 'error', error, payload: JSON.stringify(error) });
  }

  private async response(requestId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const event = this.current?.event;
    if (!event || !this.isCurrent(requestId)) {
      req.resume();
      invalidRequestId(res);
      return;
    }
    const mode = header(req.headers, RESPONSE_MODE_HEADER);
    if (mode !== undefined && mode !== 'streaming') {
      req.resume();
      reply(res, 400, { errorMessage: 'Invalid function response mode', errorType: 'InvalidFunctionResponseMode' });
      const error = { errorType: 'Runtime.InvalidResponseModeHeader', errorMessage: '' };
      this.settle(requestId, { kind: 'error', error, payload: JSON.stringify(error) });
      return;
    }
    const streaming = mode === 'streaming';
    this.receiving = true;
    const delivery = this.current;
    event.onResponseStart?.({ contentType: header(req.headers, 'content-type'), streaming });
    if (!streaming || !event.onChunk) {
      const limit = this.limits.maxResponseBytes;
      const { body, overflow } = await readLimited(req, limit);
      if (!this.stillCurrent(delivery)) {
        invalidRequestId(res);
        return;
      }
      if (overflow) {
        this.tooLarge(requestId, res, limit);
        return;
      }
      const failure = streaming ? streamedError(req) : undefined;
      this.acceptAnswer(res);
      this.settle(
        requestId,
        failure ? { kind: 'error', ...failure } : { kind: 'success', result: body.toString('utf8'), streamed: false },
      );
      return;
    }
    await this.streamResponse(requestId, event, req, res, delivery);
  }

  /** A streamed response goes to the caller chunk by chunk; its error, if any, comes in the trailers. */
  private async streamResponse(
    requestId: string,
    event: InvocationEvent,
    req: IncomingMessage,
    res: ServerResponse,
    delivery: RuntimeApiServer['current'],
  ): Promise<void> {
    const limit = this.limits.maxStreamedResponseBytes;
    let size = 0;
    let overflow = false;
    const onChunk = event.onChunk;
    await new Promise<void>((resolve) => {
      req.on('data', (chunk: Buffer) => {
        if (overflow || !this.stillCurrent(delivery)) return;
        size += chunk.length;
        if (size > limit) {
          overflow = true;
          return;
        }
        onChunk?.(chunk);
      });
      req.on('end', () => resolve());
      req.on('error', () => resolve());
      req.on('close', () => resolve());
    });
    if (!this.stillCurrent(delivery)) {
      invalidRequestId(res);
      return;
    }
    if (overflow) {
      this.tooLarge(requestId, res, limit);
      return;
    }
    if (!req.complete) {
      // The runtime went away mid-stream; AWS reports the response as truncated.
      const error = { errorType: 'Runtime.TruncatedResponse', errorMessage: 'The response stream was cut short.' };
      this.settle(requestId, { kind: 'error', error, payload: JSON.stringify(error) });
      return;
    }
    const failure = streamedError(req);
    this.acceptAnswer(res);
    this.settle(requestId, failure ? { kind: 'error', ...failure } : { kind: 'success', result: '', streamed: true });
  }
}

/** The error a streaming runtime reports in its trailers after part of the body went out. */
function streamedError(req: IncomingMessage): PostedError | undefined {
  const type = req.trailers[FUNCTION_ERROR_TYPE_HEADER.toLowerCase()];
  if (!type) return undefined;
  const encoded = req.trailers[FUNCTION_ERROR_BODY_TRAILER.toLowerCase()];
  const body = encoded ? Buffer.from(encoded, 'base64') : Buffer.from(JSON.stringify({ errorType: type }));
  return normaliseError(body, type);
}
