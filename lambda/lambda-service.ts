// The local Lambda service: an HTTP server speaking the AWS Lambda REST API (control plane and Invoke) over
// functions deployed into its data directory, so @aws-sdk/client-lambda and `aws lambda` work against it unchanged.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { buildRoutes, newRequestId } from './api-routes';
import { CodeStore } from './code-store';
import { CodeUrlSigner, loadCodeUrlSecret } from './code-url';
import { ConcurrencySlots } from './concurrency-slots';
import { buildControlPlaneRoutes } from './control-plane-routes';
import {
  InvalidParameterValueError,
  LambdaApiError,
  ServiceError,
  UnguardedListenError,
  UnknownOperationError,
} from './errors';
import { DestinationDelivery } from './destination-delivery';
import { EventQueue } from './event-queue';
import { FunctionLifecycle } from './function-lifecycle';
import { FunctionRegistry } from './function-registry';
import { FunctionStore } from './function-store';
import { errorResponse, readBody, send, sendStream } from './http-io';
import { Invoker } from './invoker';
import { LATEST } from './qualifiers';
import { QueueJournal } from './queue-journal';
import { repoRoot } from './repo-paths';
import type { Route } from './router';
import { RuntimeHost } from './runtime-host';
import type { AccessKey } from './sigv4-guard';
import { isLoopbackHost, SigV4Guard } from './sigv4-guard';
import type { ServiceStatus } from './status-report';
import { buildStatus } from './status-report';

export const DEFAULT_PORT = 9001;
export const DEFAULT_IDLE_RECLAIM_MS = 5 * 60_000;
export const DEFAULT_ACCOUNT_CONCURRENCY_LIMIT = 50;
export const DEFAULT_ASYNC_RETRY_BASE_MS = 1000;
export const ACCOUNT_ID = '000000000000';

/** Variables of the service's own environment that every execution environment inherits. */
const INHERITED_VARIABLES = ['PATH', 'LANG', 'SPILLWAY_CALLBACK_SECRET'];

export function defaultDataDir(): string {
  return path.join(repoRoot(), 'data', 'lambda');
}

export interface LambdaServiceOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 9001; 0 picks a free port. */
  port?: number;
  /** Functions, versions, aliases, packages and the code URL secret live here. Default <repo>/data/lambda. */
  dataDir?: string;
  /** Access keys whose SigV4 signatures are accepted; none: any (or no) credentials, on loopback only. */
  accessKeys?: readonly AccessKey[];
  /** Base of the URLs handed to clients (GetFunction's Code.Location); default the request's Host. */
  publicUrl?: string;
  /** Idle environments are killed after this long; default 5 minutes. */
  idleReclaimMs?: number;
  /** Concurrent invocations across all functions; default 50. */
  accountConcurrencyLimit?: number;
  /** Extra variables for every execution environment, on top of PATH, LANG and SPILLWAY_CALLBACK_SECRET. */
  environment?: Readonly<Record<string, string>>;
  /** AWS_REGION inside environments and in ARNs; default us-east-1. */
  region?: string;
  /** The async event journal; default <dataDir>/queue.json. */
  queueFile?: string;
  /** First async retry delay; the second is twice that. Default 1000 ms. */
  asyncRetryBaseMs?: number;
  /** Extra time a new or updated function stays Pending / InProgress after unpacking; default 0. */
  activationDelayMs?: number;
  /** Awaited before a new or updated function leaves Pending / InProgress (after activationDelayMs): tests hold it. */
  activationHold?: () => Promise<void>;
  /**
   * A region far away, without root for a delayed network: every request is answered this much later, and every
   * queued event starts this much later (standing in for its callback's trip back). Default 0.
   */
  delayMs?: number;
  /** Clock for event ages, drop times, signature skew and code URL expiry; tests move it. */
  now?: () => number;
  /** Receives every invocation log (START, output, END, REPORT); default the service's stdout. */
  log?: (text: string) => void;
}

export interface LambdaService {
  port: number;
  url: string;
  server: Server;
  dataDir: string;
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
  const host = options.host ?? '127.0.0.1';
  const accessKeys = options.accessKeys ?? [];
  if (accessKeys.length === 0 && !isLoopbackHost(host)) {
    throw new UnguardedListenError(
      `Refusing to listen on ${host} without access keys: anyone who can reach it could deploy and run code. ` +
        'Set LAMBDA_ACCESS_KEYS="AKID:SECRET" or listen on 127.0.0.1.',
    );
  }
  const region = options.region ?? 'us-east-1';
  const now = options.now ?? Date.now;
  const dataDir = path.resolve(options.dataDir ?? defaultDataDir());
  const writeLog = options.log ?? ((text: string) => process.stdout.write(text));
  const accountConcurrencyLimit = options.accountConcurrencyLimit ?? DEFAULT_ACCOUNT_CONCURRENCY_LIMIT;
  const delayMs = options.delayMs ?? 0;

  const runtimeHost = new RuntimeHost({
    maxEnvironments: accountConcurrencyLimit,
    idleReclaimMs: options.idleReclaimMs ?? DEFAULT_IDLE_RECLAIM_MS,
    region,
    baseEnvironment: inheritedEnvironment(options.environment),
  });
  const registry = new FunctionRegistry(new FunctionStore(dataDir), accountConcurrencyLimit, region, ACCOUNT_ID);
  const code = new CodeStore(dataDir);
  const codeUrls = new CodeUrlSigner(loadCodeUrlSecret(dataDir), now);
  const guard = accessKeys.length > 0 ? new SigV4Guard(accessKeys, region, now) : undefined;
  // Called only once invocations run, by which time the queue below exists.
  const slots = new ConcurrencySlots(registry, () => queue.pump());
  const invoker = new Invoker(runtimeHost, code, registry, writeLog);
  const queue = new EventQueue(registry, slots, {
    retryBaseMs: options.asyncRetryBaseMs ?? DEFAULT_ASYNC_RETRY_BASE_MS,
    now,
    journal: new QueueJournal(options.queueFile ?? path.join(dataDir, 'queue.json')),
    deliver: async (state, event) => {
      if (delayMs > 0) await sleep(delayMs);
      const target = registry.invokeTarget(state.record.name, event.qualifier ?? LATEST);
      return invoker.invoke(target, event.requestId, event.payload);
    },
    onDrop: (state, dropped) => {
      registry.recordDropped(state, dropped);
      writeLog(`[${state.record.name}] dropped event ${dropped.requestId}: ${dropped.reason}\n`);
    },
    onSettled: (state, event, settled) => destinations.send(state, event, settled),
  });
  const destinations = new DestinationDelivery(registry, queue, now, writeLog);
  const lifecycle = new FunctionLifecycle(registry, code, runtimeHost, queue, {
    activationDelayMs: options.activationDelayMs ?? 0,
    activationHold: options.activationHold,
  });
  const routes: Route[] = [
    ...buildControlPlaneRoutes({ registry, lifecycle, code, codeUrls }),
    ...buildRoutes({ registry, host: runtimeHost, slots, queue, invoker }),
  ];
  let closing = false;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    try {
      if (delayMs > 0) await sleep(delayMs);
      const rawUrl = req.url ?? '/';
      const url = new URL(rawUrl, 'http://localhost');
      const rawPath = rawUrl.split('?')[0] ?? '/';
      let matched: { route: Route; match: RegExpExecArray } | undefined;
      let pathKnown = false;
      for (const route of routes) {
        const match = route.pattern.exec(url.pathname);
        if (!match) continue;
        pathKnown = true;
        if (route.method === req.method) {
          matched = { route, match };
          break;
        }
      }
      // Kept a byte past the operation's limit: enough to tell "too large" from "just fits" without buffering more.
      const maxBody = matched?.route.maxBodyBytes ?? 0;
      const body = await readBody(req, maxBody + 1);
      if (closing) throw new ServiceError('The Lambda service is shutting down.');
      if (!matched) {
        throw new UnknownOperationError(
          `Unknown operation ${req.method ?? ''} ${url.pathname}${pathKnown ? ' (method)' : ''}`,
        );
      }
      const { route, match } = matched;
      // Before the signature check: a body cut at the limit could never match its signed hash.
      if (body.size > route.maxBodyBytes) throw route.tooLarge(route.operation, route.maxBodyBytes);
      if (guard && route.signed) {
        await guard.check({
          method: req.method ?? 'GET',
          rawPath,
          query: url.searchParams,
          headers: req.headers,
          body: body.data,
        });
      }
      const params = match.slice(1).map(decodePathSegment);
      const baseUrl = options.publicUrl ?? `http://${req.headers.host ?? `${host}:${address().port}`}`;
      const response = await route.handler({
        pathname: url.pathname,
        params,
        query: url.searchParams,
        headers: req.headers,
        body,
        requestId,
        baseUrl: baseUrl.replace(/\/+$/, ''),
      });
      if (response.stream) await sendStream(res, response, requestId);
      else send(res, response, requestId);
    } catch (err) {
      const apiError = err instanceof LambdaApiError ? err : new ServiceError((err as Error).message ?? String(err));
      if (!(err instanceof LambdaApiError)) console.error('lambda service error', err);
      if (!res.headersSent) send(res, errorResponse(apiError), requestId);
    }
  }

  // Read before listening so a corrupt journal fails the start without leaving a server open.
  queue.restore();
  lifecycle.resume();
  const server = createServer((req, res) => void handle(req, res));
  const address = () => server.address() as AddressInfo;
  // Clients (the AWS SDK) reuse idle sockets; closing them sooner than clients expect resets requests in flight.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? DEFAULT_PORT, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await lifecycle.close();
    await runtimeHost.close();
    throw err;
  }
  // Delivery starts only once listening, so a port clash does not deliver a journal nobody can watch.
  queue.start();

  const port = address().port;
  return {
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    server,
    dataDir,
    status: () => buildStatus(registry, runtimeHost, queue),
    async close() {
      if (closing) return;
      closing = true;
      queue.stop();
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await lifecycle.close();
      await runtimeHost.close();
      server.closeAllConnections();
      await serverClosed;
    },
  };
}
