// Traces end to end: one LOCAL and one LAMBDA task, submitted over HTTP to a real API, run by a worker with
// Temporal's OpenTelemetry interceptors and, for LAMBDA, by the local Lambda service, whose function calls back.
// The spans go over OTLP to a real OpenTelemetry Collector (spillway-otelcol, built from the collector's modules by
// scripts/otel-collector.js), which forwards them as OTLP/JSON to a sink in this test. Each task must make one
// trace: rooted at the API request, through the workflow and its activities to the Lambda invocation and its
// callback, with Spillway's attributes on the spans.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApp } from '../../api/app';
import { TASK_WORKFLOW_TYPE } from '../../domain/constants';
import { connectRedis } from '../../live/redis-client';
import { clientInterceptors, startTracing, type Tracing } from '../../telemetry/tracing';
import { createWorkers } from '../../worker/create-workers';
import { eventually, readStack, testConfig } from '../support/test-stack';

/* eslint-disable @typescript-eslint/no-require-imports */
const { ensureCollector } = require('../../scripts/otel-collector.js') as {
  ensureCollector(log?: (m: string) => void): string;
};
// The launchers' own: a port handed out once per process, never one the kernel offers again a moment later.
const { freePort, waitForPort } = require('../../scripts/lib/net.js') as {
  freePort(): Promise<number>;
  waitForPort(port: number, host: string, timeoutMs: number, isAlive: () => boolean): Promise<void>;
};
/* eslint-enable @typescript-eslint/no-require-imports */

jest.setTimeout(600_000);

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  service: string;
  attributes: Record<string, string | number | boolean>;
}

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

function valueOf(v: OtlpValue): string | number | boolean {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  return v.boolValue ?? '';
}

/** Spans out of one OTLP/JSON export request, flattened, with their service name. */
function spansOf(body: unknown): ReceivedSpan[] {
  type Attr = { key: string; value: OtlpValue };
  const request = body as {
    resourceSpans?: Array<{
      resource?: { attributes?: Attr[] };
      scopeSpans?: Array<{ spans?: Array<Omit<ReceivedSpan, 'attributes' | 'service'> & { attributes?: Attr[] }> }>;
    }>;
  };
  const attrs = (list: Attr[] = []) => Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));
  return (request.resourceSpans ?? []).flatMap((rs) => {
    const service = String(attrs(rs.resource?.attributes)['service.name'] ?? '');
    return (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((s) => ({
        traceId: s.traceId,
        spanId: s.spanId,
        parentSpanId: s.parentSpanId ?? '',
        name: s.name,
        kind: s.kind,
        service,
        attributes: attrs(s.attributes),
      })),
    );
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

describe('traces from the API request to the Lambda callback', () => {
  const stack = readStack();
  const received: ReceivedSpan[] = [];
  let sink: Server;
  let collector: ChildProcess;
  let collectorLog = '';
  let workdir: string;
  let tracing: Tracing;
  let app: FastifyInstance;
  let workers: Worker[] = [];
  let running: Promise<unknown>[] = [];
  let closeWorkers: () => Promise<void> = async () => undefined;
  let connection: Connection;
  let native: NativeConnection;
  let redis: Redis;
  let base: string;
  const previousEndpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;

  beforeAll(async () => {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // Already installed in this process.
    }
    const binary = ensureCollector((m) => console.warn(m));
    // The sink: where the collector's OTLP/HTTP exporter delivers, as JSON.
    sink = createServer((req, res) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (text += chunk));
      req.on('end', () => {
        if (req.url === '/v1/traces') received.push(...spansOf(JSON.parse(text || '{}')));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    const sinkPort = await listen(sink);
    const otlpPort = await freePort();
    workdir = mkdtempSync(path.join(os.tmpdir(), 'spillway-otelcol-'));
    const configFile = path.join(workdir, 'config.yaml');
    writeFileSync(
      configFile,
      [
        'receivers:',
        '  otlp:',
        '    protocols:',
        '      http:',
        `        endpoint: 127.0.0.1:${otlpPort}`,
        'exporters:',
        '  otlp_http:',
        `    endpoint: http://127.0.0.1:${sinkPort}`,
        '    encoding: json',
        '    compression: none',
        '    retry_on_failure:',
        '      enabled: false',
        'service:',
        '  telemetry:',
        '    metrics:',
        '      level: none',
        '    logs:',
        '      level: warn',
        '  pipelines:',
        '    traces:',
        '      receivers: [otlp]',
        '      exporters: [otlp_http]',
        '',
      ].join('\n'),
    );
    collector = spawn(binary, ['--config', `file:${configFile}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    collector.stdout?.on('data', (d: Buffer) => (collectorLog += d.toString()));
    collector.stderr?.on('data', (d: Buffer) => (collectorLog += d.toString()));
    await waitForPort(otlpPort, '127.0.0.1', 30_000, () => collector.exitCode === null).catch((err: Error) => {
      throw new Error(`${err.message}\n${collectorLog}`);
    });

    // This process traces, as the API and the worker do when OTEL_EXPORTER_OTLP_ENDPOINT is set.
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${otlpPort}`;
    tracing = startTracing('spillway-test');
    expect(tracing.enabled).toBe(true);

    const config = testConfig();
    connection = await Connection.connect({ address: config.temporal.address });
    const client = new Client({
      connection,
      namespace: config.temporal.namespace,
      interceptors: clientInterceptors(),
    });
    native = await NativeConnection.connect({ address: config.temporal.address });
    redis = connectRedis(config.redis.url, 'spillway-test-traces');
    const created = await createWorkers({ config, connection: native, client, redis });
    workers = created.workers;
    closeWorkers = created.close;
    running = workers.map((w) => w.run());
    app = await buildApp({ config, client, redis });
    // The functions' callbacks come to the test stack's API port.
    await app.listen({ host: '127.0.0.1', port: stack.apiPort });
    base = `http://127.0.0.1:${stack.apiPort}`;
  });

  afterAll(async () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.allSettled(running);
    await closeWorkers();
    await app?.close();
    await native?.close();
    await connection?.close();
    if (redis) {
      const keys = await redis.keys(`${testConfig().redis.prefix}*`).catch(() => []);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
    await tracing?.shutdown();
    collector?.kill('SIGTERM');
    await new Promise((r) => sink?.close(r));
    if (workdir) rmSync(workdir, { recursive: true, force: true });
    if (previousEndpoint === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = previousEndpoint;
  });

  async function submit(executionMode: 'LOCAL' | 'LAMBDA'): Promise<string> {
    const res = await fetch(`${base}/api/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: `traced ${executionMode}`, type: 'noop', executionMode }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  async function finished(id: string) {
    return eventually(async () => {
      const task = (await (await fetch(`${base}/api/tasks/${id}`)).json()) as { status: string };
      return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(task.status) ? task : undefined;
    }, 120_000);
  }

  /** The trace whose API span created the task: every span of it, once the given ones have arrived. */
  async function traceOf(taskId: string, expected: string[]): Promise<ReceivedSpan[]> {
    const seen = () =>
      received.map((s) => `${s.traceId.slice(0, 8)} ${s.name} ${String(s.attributes['spillway.task.id'] ?? '')}`);
    return eventually(async () => {
      await tracing.forceFlush();
      const root = received.find((s) => s.name === 'POST /api/tasks' && s.attributes['spillway.task.id'] === taskId);
      if (!root) return undefined;
      const spans = received.filter((s) => s.traceId === root.traceId);
      const names = new Set(spans.map((s) => s.name));
      return expected.every((n) => names.has(n)) ? spans : undefined;
    }, 60_000).catch((err: Error) => {
      throw new Error(
        `${err.message}; the trace of ${taskId} needs ${expected.join(', ')}; received:\n${seen().join('\n')}`,
      );
    });
  }

  /** One tree: a single root (the API request), and every other span's parent is in the trace. */
  function expectOneTree(spans: ReceivedSpan[]) {
    const ids = new Set(spans.map((s) => s.spanId));
    const roots = spans.filter((s) => !s.parentSpanId);
    expect(roots.map((s) => s.name)).toEqual(['POST /api/tasks']);
    expect(roots[0]?.kind).toBe(SPAN_KIND_SERVER);
    const orphans = spans.filter((s) => s.parentSpanId && !ids.has(s.parentSpanId)).map((s) => s.name);
    expect(orphans).toEqual([]);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
  }

  const parentOf = (spans: ReceivedSpan[], span: ReceivedSpan | undefined) =>
    spans.find((s) => s.spanId === span?.parentSpanId);

  test('a LOCAL task and a LAMBDA task each make one trace, from the request to the callback', async () => {
    const localId = await submit('LOCAL');
    const lambdaId = await submit('LAMBDA');
    await expect(finished(localId)).resolves.toEqual(expect.objectContaining({ status: 'COMPLETED' }));
    await expect(finished(lambdaId)).resolves.toEqual(expect.objectContaining({ status: 'COMPLETED' }));

    // LOCAL: request → StartWorkflow → RunWorkflow → StartActivity → RunActivity:runLocalTask, which (the task's
    // only attempt) also tells the projection that the task completed.
    const local = await traceOf(localId, [
      'POST /api/tasks',
      `StartWorkflow:${TASK_WORKFLOW_TYPE}`,
      `RunWorkflow:${TASK_WORKFLOW_TYPE}`,
      'RunActivity:runLocalTask',
    ]);
    expectOneTree(local);
    const runLocal = local.find((s) => s.name === 'RunActivity:runLocalTask');
    expect(runLocal?.attributes).toEqual(
      expect.objectContaining({
        'spillway.task.id': localId,
        'spillway.task.type': 'noop',
        'spillway.placement': 'LOCAL',
        'spillway.attempt': 1,
        'spillway.cost_usd': expect.any(Number),
        'spillway.task.status': 'COMPLETED',
        'spillway.attempts': 1,
      }),
    );
    expect(local.map((s) => s.name)).not.toContain('RunActivity:publishTransition');
    const startWorkflow = local.find((s) => s.name === `StartWorkflow:${TASK_WORKFLOW_TYPE}`);
    expect(parentOf(local, startWorkflow)?.name).toBe('POST /api/tasks');

    // LAMBDA: … → RunActivity:invokeLambda → lambda.invoke noop → POST /api/callbacks/lambda (the callback
    // continues the trace the invocation's event carried).
    const lambda = await traceOf(lambdaId, [
      'POST /api/tasks',
      `RunWorkflow:${TASK_WORKFLOW_TYPE}`,
      'RunActivity:invokeLambda',
      'lambda.invoke noop',
      'POST /api/callbacks/lambda',
      'RunActivity:publishTransition',
    ]);
    expectOneTree(lambda);
    expect(lambda.map((s) => s.traceId)).not.toContain(local[0]?.traceId);
    const invoke = lambda.find((s) => s.name === 'lambda.invoke noop');
    expect(invoke?.kind).toBe(SPAN_KIND_CLIENT);
    expect(parentOf(lambda, invoke)?.name).toBe('RunActivity:invokeLambda');
    expect(invoke?.attributes).toEqual(
      expect.objectContaining({
        'spillway.task.id': lambdaId,
        'spillway.placement': 'LAMBDA',
        'spillway.attempt': 1,
        'faas.invoked_name': 'noop',
        'faas.invocation_type': 'Event',
      }),
    );
    const callback = lambda.find((s) => s.name === 'POST /api/callbacks/lambda');
    expect(callback?.kind).toBe(SPAN_KIND_SERVER);
    expect(parentOf(lambda, callback)?.spanId).toBe(invoke?.spanId);
    expect(callback?.attributes).toEqual(
      expect.objectContaining({
        'spillway.task.id': lambdaId,
        'spillway.attempt': 1,
        'spillway.cold_start': expect.any(Boolean),
        'spillway.callback.accepted': true,
      }),
    );
    const lambdaPublished = lambda.find((s) => s.name === 'RunActivity:publishTransition');
    expect(lambdaPublished?.attributes).toEqual(
      expect.objectContaining({
        'spillway.task.id': lambdaId,
        'spillway.placement': 'LAMBDA',
        'spillway.cost_usd': expect.any(Number),
        'spillway.cold_starts': expect.any(Number),
      }),
    );
    // Every process that took part is named: this test's API and worker share one service name here.
    expect(new Set(lambda.map((s) => s.service))).toEqual(new Set(['spillway-test']));
  });
});
