// The local Lambda service: an HTTP server speaking the AWS Lambda REST API over a pool of execution environments,
// so @aws-sdk/client-lambda and `aws lambda` work against it unchanged.
import { existsSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FunctionSpec } from '../domain/function-catalog';
import { listFunctions } from '../domain/function-catalog';
import { buildRoutes, MAX_SYNC_PAYLOAD_BYTES, newRequestId } from './api-routes';
import { EnvironmentPool } from './environment-pool';
import {
  BootstrapNotBuiltError,
  InvalidParameterValueError,
  LambdaApiError,
  ServiceError,
  UnknownOperationError,
} from './errors';
import { EventQueue } from './event-queue';
import { FunctionRegistry } from './function-registry';
import { errorResponse, readBody, send } from './http-io';
import { Invoker } from './invoker';
import { QueueJournal } from './queue-journal';
import { bootstrapPath, defaultFunctionsDir } from './repo-paths';
import type { ServiceStatus } from './status-report';
import { buildStatus } from './status-report';

export const DEFAULT_PORT = 9001;
export const DEFAULT_IDLE_RECLAIM_MS = 5 * 60_000;
export const DEFAULT_ACCOUNT_CONCURRENCY_LIMIT = 50;
export const DEFAULT_ASYNC_RETRY_BASE_MS = 1000;

/** Variables of the service's own environment that every execution environment inherits. */
const INHERITED_VARIABLES = ['PATH', 'LANG', 'SPILLWAY_CALLBACK_SECRET'];

export interface LambdaServiceOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 9001; 0 picks a free port. */
  port?: number;
  /** Default: the domain function catalog. */
  functions?: readonly FunctionSpec[];
  /** Where handler modules are resolved; default <repo root>/dist/functions. */
  functionsDir?: string;
  /** Idle environments are killed after this long; default 5 minutes. */
  idleReclaimMs?: number;
  /** Concurrent invocations across all functions; default 50. */
  accountConcurrencyLimit?: number;
  /** Extra variables for every execution environment, on top of PATH, LANG and SPILLWAY_CALLBACK_SECRET. */
  environment?: Readonly<Record<string, string>>;
  /** AWS_REGION inside environments and in ARNs; default us-east-1. */
  region?: string;
  /** When set, the async event queue is journalled here and restored at start. */
  queueFile?: string;
  /** First async retry delay; the second is twice that. Default 1000 ms. */
  asyncRetryBaseMs?: number;
  /** Clock for event ages and drop times; tests move it forward to age events without waiting. */
  now?: () => number;
  /** Receives every invocation log (START, output, END, REPORT); default the service's stdout. */
  log?: (text: string) => void;
}

export interface LambdaService {
  port: number;
  url: string;
  server: Server;
  /** The same document GET /_spillway/status returns. */
  status(): ServiceStatus;
  /** Stops accepting requests, kills every execution environment and waits for them to exit. */
  close(): Promise<void>;
}

function inheritedEnvironment(extra: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const env: Record<string, string> = { TZ: 'UTC' };
  for (const name of INHERITED_VARIABLES) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new InvalidParameterValueError(`Malformed path segment: ${segment}`);
  }
}

export async function startLambdaService(options: LambdaServiceOptions = {}): Promise<LambdaService> {
  const bootstrap = bootstrapPath();
  if (!existsSync(bootstrap)) {
    throw new BootstrapNotBuiltError(`${bootstrap} is missing; run npm run build first`);
  }
  const region = options.region ?? 'us-east-1';
  const now = options.now ?? Date.now;
  const writeLog = options.log ?? ((text: string) => process.stdout.write(text));
  const registry = new FunctionRegistry(
    options.functions ?? listFunctions(),
    options.accountConcurrencyLimit ?? DEFAULT_ACCOUNT_CONCURRENCY_LIMIT,
    region,
    '000000000000',
  );
  const pool = new EnvironmentPool(
    registry,
    {
      bootstrapPath: bootstrap,
      functionsDir: options.functionsDir ?? defaultFunctionsDir(),
      idleReclaimMs: options.idleReclaimMs ?? DEFAULT_IDLE_RECLAIM_MS,
      region,
      baseEnvironment: inheritedEnvironment(options.environment),
    },
    // Called only once invocations run, by which time the queue below exists.
    () => queue.pump(),
  );
  const invoker = new Invoker(pool, writeLog);
  const queue = new EventQueue(registry, pool, {
    retryBaseMs: options.asyncRetryBaseMs ?? DEFAULT_ASYNC_RETRY_BASE_MS,
    now,
    journal: options.queueFile ? new QueueJournal(options.queueFile) : undefined,
    deliver: async (state, event) =>
      (await invoker.invoke(state, event.requestId, event.payload)).outcome.kind === 'success',
    onDrop: (state, dropped) => {
      registry.recordDropped(state, dropped);
      writeLog(`[${state.spec.name}] dropped event ${dropped.requestId}: ${dropped.reason}\n`);
    },
  });
  const routes = buildRoutes({ registry, pool, queue, invoker });
  let closing = false;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      // Kept a byte past the sync limit: enough to tell "too large" from "just fits" without buffering more.
      const body = await readBody(req, MAX_SYNC_PAYLOAD_BYTES + 1);
      if (closing) throw new ServiceError('The Lambda service is shutting down.');
      for (const route of routes) {
        const match = route.pattern.exec(url.pathname);
        if (!match || route.method !== req.method) continue;
        const params = match.slice(1).map(decodePathSegment);
        send(
          res,
          await route.handler({ params, query: url.searchParams, headers: req.headers, body, requestId }),
          requestId,
        );
        return;
      }
      throw new UnknownOperationError(`Unknown operation ${req.method ?? ''} ${url.pathname}`);
    } catch (err) {
      const apiError = err instanceof LambdaApiError ? err : new ServiceError((err as Error).message ?? String(err));
      if (!(err instanceof LambdaApiError)) console.error('lambda service error', err);
      if (!res.headersSent) send(res, errorResponse(apiError), requestId);
    }
  }

  // Read before listening so a corrupt journal fails the start without leaving a server open.
  queue.restore();
  const server = createServer((req, res) => void handle(req, res));
  // Clients (the AWS SDK) reuse idle sockets; closing them sooner than clients expect resets requests in flight.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_PORT, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Delivery starts only once listening, so a port clash does not deliver a journal nobody can watch.
  queue.start();

  const address = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  return {
    port: address.port,
    url: `http://${host}:${address.port}`,
    server,
    status: () => buildStatus(registry, pool, queue),
    async close() {
      if (closing) return;
      closing = true;
      queue.stop();
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await pool.close();
      server.closeAllConnections();
      await serverClosed;
    },
  };
}
