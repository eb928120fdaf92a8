// The runtime's side of the Lambda Runtime API at AWS_LAMBDA_RUNTIME_API: HTTP/1.1 over one kept-alive TCP
// connection, written by hand because the answer and the next /next go out together (pipelined, one write), which
// halves the round trips of a warm invocation against Node's http client. The host's answers always carry a
// Content-Length. Streamed responses use Node's http client on a connection of their own (chunked, with trailers).
//
// If the API goes away the host is gone, and an environment without its host has nothing left to do: it exits, so no
// handler keeps running (and repeating side effects) for nobody.
import type * as Http from 'node:http';
import type { ClientRequest, IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { connect } from 'node:net';
import type { ErrorResponse } from './errors';

const BASE = '/2018-06-01/runtime';
export const ERROR_TYPE_HEADER = 'Lambda-Runtime-Function-Error-Type';
export const ERROR_BODY_TRAILER = 'Lambda-Runtime-Function-Error-Body';
export const RESPONSE_MODE_HEADER = 'Lambda-Runtime-Function-Response-Mode';

export interface NextInvocation {
  body: string;
  headers: IncomingHttpHeaders;
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** The host's Runtime API did not answer: the environment cannot go on. */
function hostGone(reason: string): never {
  process.stderr.write(`The Runtime API is gone (${reason}); the environment exits.\n`);
  process.exit(129);
}

export class RuntimeApiClient {
  readonly hostname: string;
  readonly port: number;
  private readonly socket: Socket;
  /** Callbacks of the requests written and not yet answered, in order (HTTP/1.1 answers in request order). */
  private readonly waiting: Array<(reply: Reply) => void> = [];
  private buffer: Buffer = Buffer.alloc(0);
  private corked = false;

  constructor(address: string) {
    const at = address.lastIndexOf(':');
    this.hostname = address.slice(0, at);
    this.port = Number(address.slice(at + 1));
    this.socket = connect({ host: this.hostname, port: this.port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => hostGone(err.message));
    this.socket.on('close', () => hostGone('connection closed'));
    // Only a request waiting for its answer keeps the process alive: between two, the handler's own work decides
    // when the event loop is empty (callbackWaitsForEmptyEventLoop).
    this.socket.unref();
  }

  next(): Promise<NextInvocation> {
    return this.send('GET', `${BASE}/invocation/next`, undefined, {}).then((reply) => {
      if (reply.status !== 200) hostGone(`GET /next answered ${reply.status}: ${reply.body.toString('utf8')}`);
      return { body: reply.body.toString('utf8'), headers: reply.headers };
    });
  }

  postResponse(requestId: string, body: string): Promise<void> {
    return this.post(`${BASE}/invocation/${encodeURIComponent(requestId)}/response`, body, {});
  }

  postError(requestId: string, error: ErrorResponse): Promise<void> {
    return this.post(`${BASE}/invocation/${encodeURIComponent(requestId)}/error`, JSON.stringify(error), {
      [ERROR_TYPE_HEADER]: error.errorType,
    });
  }

  postInitError(error: ErrorResponse): Promise<void> {
    return this.post(`${BASE}/init/error`, JSON.stringify(error), { [ERROR_TYPE_HEADER]: error.errorType });
  }

  /**
   * A streamed response: its own connection, chunked, its error (if any) in the trailers. Node's http client is
   * loaded only here: it costs a cold start milliseconds that a function that never streams should not pay.
   */
  openStream(requestId: string, contentType: string): ClientRequest {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Agent, request } = require('node:http') as typeof Http;
    return request({
      hostname: this.hostname,
      port: this.port,
      path: `${BASE}/invocation/${encodeURIComponent(requestId)}/response`,
      method: 'POST',
      agent: new Agent({ keepAlive: false }),
      headers: {
        [RESPONSE_MODE_HEADER]: 'streaming',
        'Transfer-Encoding': 'chunked',
        Trailer: `${ERROR_TYPE_HEADER}, ${ERROR_BODY_TRAILER}`,
        'Content-Type': contentType,
      },
    });
  }

  private async post(path: string, body: string, headers: Record<string, string>): Promise<void> {
    // A 413 (too large) or 400 (an answer that came too late) is the host's to report; the runtime moves on.
    await this.send('POST', path, Buffer.from(body, 'utf8'), { 'Content-Type': 'application/json', ...headers });
  }

  /** Writes one request; requests written in the same tick leave in one write. */
  private send(
    method: string,
    path: string,
    body: Buffer | undefined,
    headers: Record<string, string>,
  ): Promise<Reply> {
    let head = `${method} ${path} HTTP/1.1\r\nHost: ${this.hostname}:${this.port}\r\n`;
    for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
    if (body) head += `Content-Length: ${body.length}\r\n`;
    head += '\r\n';
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(head, 'latin1');
    if (body && body.length > 0) this.socket.write(body);
    this.socket.ref();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf(HEADER_END);
      if (end < 0) return;
      const lines = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(lines[0]?.split(' ')[1]);
      const headers: IncomingHttpHeaders = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? 0);
      const start = end + HEADER_END.length;
      if (this.buffer.length < start + length) return;
      const body = this.buffer.subarray(start, start + length);
      this.buffer = this.buffer.subarray(start + length);
      const resolve = this.waiting.shift();
      if (this.waiting.length === 0) this.socket.unref();
      resolve?.({ status, headers, body });
    }
  }
}
