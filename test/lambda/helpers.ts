// Shared set-up for the local Lambda service tests: a service on a random port serving the fixture handlers, and
// an SDK client pointed at it. Tests talk to the service only through the wire.
import path from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { FunctionSpec } from '../../domain/function-catalog';
import type { LambdaService, LambdaServiceOptions } from '../../lambda/lambda-service';
import { startLambdaService } from '../../lambda/lambda-service';
import type { ServiceStatus } from '../../lambda/status-report';

export const FIXTURES_DIR = path.join(__dirname, 'fixtures');

export function fixture(name: string, handler: string, overrides: Partial<FunctionSpec> = {}): FunctionSpec {
  return {
    name,
    taskType: `fixture-${name}`,
    handler: `handlers.${handler}`,
    description: `fixture ${handler}`,
    memoryMB: 128,
    timeoutSeconds: 2,
    architecture: 'x86_64',
    environment: {},
    expectedDurationMs: 10,
    warmPoolSize: 0,
    ...overrides,
  };
}

export interface Harness {
  service: LambdaService;
  client: LambdaClient;
  logs: string[];
  stop(): Promise<void>;
}

export async function startHarness(options: LambdaServiceOptions): Promise<Harness> {
  const logs: string[] = [];
  const service = await startLambdaService({
    port: 0,
    functionsDir: FIXTURES_DIR,
    log: (text) => logs.push(text),
    ...options,
  });
  const client = new LambdaClient({
    endpoint: service.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  return {
    service,
    client,
    logs,
    async stop() {
      client.destroy();
      await service.close();
    },
  };
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
