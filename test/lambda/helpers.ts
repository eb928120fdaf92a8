// Shared set-up for the local Lambda service tests: a service on a random port with its own temporary data
// directory, an SDK client pointed at it, and fixture functions deployed through CreateFunction like any user's.
// Tests talk to the service only through the wire.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateFunctionCommand,
  LambdaClient,
  PutFunctionConcurrencyCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import type { LambdaService, LambdaServiceOptions } from '../../lambda/lambda-service';
import { startLambdaService } from '../../lambda/lambda-service';
import type { ServiceStatus } from '../../lambda/status-report';
import type { ZipInput } from '../../lambda/zip-package';
import { zipEntries } from '../../lambda/zip-package';

export const FIXTURES_DIR = path.join(__dirname, 'fixtures');
export const ROLE = 'arn:aws:iam::000000000000:role/lambda-role';

export interface FixtureSpec {
  name: string;
  handler: string;
  runtime?: string;
  memoryMB?: number;
  timeoutSeconds?: number;
  environment?: Record<string, string>;
  reservedConcurrency?: number;
  /** The package; default the fixture handlers (handlers.js). */
  zip?: Buffer;
}

/** A function whose handler is one of the exports of fixtures/handlers.js. */
export function fixture(name: string, handler: string, overrides: Partial<FixtureSpec> = {}): FixtureSpec {
  return { name, handler: `handlers.${handler}`, timeoutSeconds: 2, ...overrides };
}

let handlersZip: Promise<Buffer> | undefined;

/** fixtures/handlers.js as a package with handlers.js at its root. */
export function handlersPackage(): Promise<Buffer> {
  handlersZip ??= zipEntries([{ name: 'handlers.js', data: readFileSync(path.join(FIXTURES_DIR, 'handlers.js')) }]);
  return handlersZip;
}

export function zipOf(entries: ZipInput[]): Promise<Buffer> {
  return zipEntries(entries);
}

export function newClient(url: string, credentials = { accessKeyId: 'test', secretAccessKey: 'test' }): LambdaClient {
  return new LambdaClient({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1 });
}

/** CreateFunction, then waits until it is Active, as a careful client would. */
export async function deploy(client: LambdaClient, spec: FixtureSpec): Promise<void> {
  await client.send(
    new CreateFunctionCommand({
      FunctionName: spec.name,
      Runtime: (spec.runtime ?? 'nodejs20.x') as 'nodejs20.x',
      Role: ROLE,
      Handler: spec.handler,
      Code: { ZipFile: spec.zip ?? (await handlersPackage()) },
      MemorySize: spec.memoryMB ?? 128,
      Timeout: spec.timeoutSeconds ?? 2,
      Environment: spec.environment ? { Variables: spec.environment } : undefined,
      Description: `fixture ${spec.handler}`,
    }),
  );
  await waitActive(client, spec.name);
  if (spec.reservedConcurrency !== undefined) {
    await client.send(
      new PutFunctionConcurrencyCommand({
        FunctionName: spec.name,
        ReservedConcurrentExecutions: spec.reservedConcurrency,
      }),
    );
  }
}

export async function waitActive(client: LambdaClient, name: string): Promise<void> {
  const result = await waitUntilFunctionActiveV2({ client, maxWaitTime: 60, minDelay: 1 }, { FunctionName: name });
  if (result.state !== 'SUCCESS') throw new Error(`${name} did not become Active: ${result.state}`);
}

export async function waitUpdated(client: LambdaClient, name: string): Promise<void> {
  const result = await waitUntilFunctionUpdatedV2({ client, maxWaitTime: 60, minDelay: 1 }, { FunctionName: name });
  if (result.state !== 'SUCCESS') throw new Error(`${name} did not finish updating: ${result.state}`);
}

export interface Harness {
  service: LambdaService;
  client: LambdaClient;
  logs: string[];
  dataDir: string;
  /** Closes the service; removes the data directory unless the test passed its own. */
  stop(): Promise<void>;
}

export function tempDataDir(label = 'data'): string {
  return mkdtempSync(path.join(tmpdir(), `spillway-lambda-${label}-`));
}

export async function startHarness(
  options: LambdaServiceOptions & { functions?: FixtureSpec[] } = {},
): Promise<Harness> {
  const { functions = [], ...serviceOptions } = options;
  const ownDir = serviceOptions.dataDir === undefined;
  const dataDir = serviceOptions.dataDir ?? tempDataDir();
  const logs: string[] = [];
  const service = await startLambdaService({
    port: 0,
    log: (text) => logs.push(text),
    ...serviceOptions,
    dataDir,
  });
  const client = newClient(service.url);
  const harness: Harness = {
    service,
    client,
    logs,
    dataDir,
    async stop() {
      client.destroy();
      await service.close();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    for (const spec of functions) await deploy(client, spec);
  } catch (err) {
    await harness.stop();
    throw err;
  }
  return harness;
}

export async function fetchStatus(service: LambdaService): Promise<ServiceStatus> {
  const response = await fetch(`${service.url}/_spillway/status`);
  return (await response.json()) as ServiceStatus;
}

export function functionStatus(status: ServiceStatus, name: string) {
  const found = status.functions.find((f) => f.name === name);
  if (!found) throw new Error(`no status for ${name}`);
  return found;
}

export async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function decodePayload(payload: Uint8Array | undefined): unknown {
  return JSON.parse(Buffer.from(payload ?? new Uint8Array()).toString('utf8'));
}

export function decodeLog(logResult: string | undefined): string {
  return Buffer.from(logResult ?? '', 'base64').toString('utf8');
}

/**
 * A zip with an entry named `actual`, which yazl refuses to write (`../x`, `/abs`): the entry is written as
 * `placeholder`, a name of the same length, and the name's bytes are then replaced in the local header and the
 * central directory. Zip checksums cover the data, not the names, so the archive stays valid.
 */
export async function zipWithRawName(placeholder: string, actual: string, data: string): Promise<Buffer> {
  if (Buffer.byteLength(placeholder) !== Buffer.byteLength(actual)) throw new Error('names must be the same length');
  const zip = await zipEntries([
    { name: 'index.js', data: 'exports.handler = async () => "ok";' },
    { name: placeholder, data },
  ]);
  const from = Buffer.from(placeholder);
  const to = Buffer.from(actual);
  let replaced = 0;
  for (let at = zip.indexOf(from); at >= 0; at = zip.indexOf(from, at + from.length)) {
    to.copy(zip, at);
    replaced++;
  }
  if (replaced !== 2) throw new Error(`expected the name in the local header and central directory, found ${replaced}`);
  return zip;
}
