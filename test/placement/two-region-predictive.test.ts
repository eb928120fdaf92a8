// Predictive AUTO across two regions, end to end and without root: two local Lambda services of this process, the
// far one answering every request and starting every event LAMBDA_DELAY_MS later (lambda/lambda-service.ts
// `delayMs`). The workers' monitors measure it slower (GET /api/placement/targets, /metrics), the API measures its
// callbacks later, and predictive AUTO sends a task that may run in either region to the near one, and one whose
// residency allows only the far region there. The far target is listed first, so only the measurement can make the
// near one win. Where a task ran is read from the service that ran it.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { startLambdaService, type LambdaService } from '../../lambda/lambda-service';
import { deployExamples } from '../support/deploy-examples';
import { createTargetLatencyStore } from '../../live/target-latency';
import { eventually, readStack, startHarness, uniqueId, type TestHarness } from '../support/test-stack';

jest.setTimeout(180_000);

const stack = readStack();
const work = mkdtempSync(path.join(os.tmpdir(), 'spillway-two-regions-'));
/** LOCAL runs in a third region, so residency to the Lambda regions keeps tasks off the local pool. */
const HOME = 'local-home';
const NEAR = 'local-near';
const FAR = 'local-far';
/** Each request to the far region and each of its events waits this long. */
const FAR_DELAY_MS = 400;
let near: LambdaService;
let far: LambdaService;
let harness: TestHarness;
let app: FastifyInstance;

async function startService(name: string, region: string, delayMs: number): Promise<LambdaService> {
  const service = await startLambdaService({
    port: 0,
    region,
    delayMs,
    dataDir: path.join(work, name),
    // The functions sign their callbacks with the stack's secret, which this process does not have in its env.
    environment: { SPILLWAY_CALLBACK_SECRET: stack.callbackSecret },
    log: () => undefined,
  });
  await deployExamples(
    {
      endpoint: service.url,
      region,
      credentials: { accessKeyId: 'spillway-local', secretAccessKey: 'spillway-local' },
    },
    ['noop'],
  );
  return service;
}

async function invocations(service: LambdaService): Promise<number> {
  const status = (await (await fetch(`${service.url}/_spillway/status`)).json()) as {
    functions: Array<{ name: string; invocations: number }>;
  };
  return status.functions.find((f) => f.name === 'noop')?.invocations ?? 0;
}

interface TargetView {
  name: string;
  region: string;
  invoke: { ewmaMs: number | null; p95Ms: number | null; samples: number };
  callback: { ewmaMs: number | null; p95Ms: number | null; samples: number };
  healthy: boolean | null;
  throttled: boolean;
  workers: number;
}

const targets = async () =>
  (await app.inject({ method: 'GET', url: '/api/placement/targets' })).json<{ targets: TargetView[] }>().targets;
const byName = (list: TargetView[], name: string) => list.find((t) => t.name === name);

beforeAll(async () => {
  near = await startService('near', NEAR, 0);
  far = await startService('far', FAR, FAR_DELAY_MS);
  harness = await startHarness({
    env: {
      SCHEDULER_AUTO_POLICY: 'predictive',
      LAMBDA_ENDPOINT: near.url,
      SPILLWAY_LOCAL_REGION: HOME,
      LAMBDA_TARGETS: JSON.stringify([
        { name: 'far', region: FAR, endpoint: far.url },
        { name: 'near', region: NEAR, endpoint: near.url },
      ]),
    },
  });
  app = await buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
  // The functions call back to the API's own port.
  await app.listen({ host: '127.0.0.1', port: stack.apiPort });
});

afterAll(async () => {
  await app?.close();
  await harness?.close();
  await far?.close();
  await near?.close();
  rmSync(work, { recursive: true, force: true });
});

test('the monitors measure the far region slower, and predictive AUTO routes to the near one unless residency forbids it', async () => {
  // The worker probes every target of several on a timer; wait until its monitors of both are published.
  const measured = await eventually(
    async () => {
      const list = await targets();
      return list.every((t) => t.invoke.samples > 0) ? list : undefined;
    },
    60_000,
    500,
  );
  // Every request to the far region waits FAR_DELAY_MS: its round trips cannot be shorter.
  expect(byName(measured, 'far')?.invoke.ewmaMs).toBeGreaterThanOrEqual(FAR_DELAY_MS);
  expect(byName(measured, 'far')).toMatchObject({ region: FAR, healthy: true, throttled: false, workers: 1 });

  const submit = async (allowedRegions: string[]) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/tasks',
      payload: { name: uniqueId('two-regions'), type: 'noop', executionMode: 'AUTO', allowedRegions },
    });
    expect(res.statusCode).toBe(201);
    const id = res.json().id as string;
    await harness.client.workflow.getHandle(id).result();
    return (await app.inject({ method: 'GET', url: `/api/tasks/${id}` })).json<{
      placement: { placement: string; target?: { name: string; region: string }; reason: string; runnerUp?: string };
    }>();
  };

  const [nearBefore, farBefore] = [await invocations(near), await invocations(far)];
  const either = await submit([NEAR, FAR]);
  expect(either.placement).toMatchObject({
    placement: 'LAMBDA',
    target: { name: 'near', region: NEAR },
    runnerUp: 'far',
  });
  expect(either.placement.reason).toMatch(/^predictive AUTO: LAMBDA near .* beats LAMBDA far .*ruled out: LOCAL/);
  expect([await invocations(near), await invocations(far)]).toEqual([nearBefore + 1, farBefore]);

  const farOnly = await submit([FAR]);
  expect(farOnly.placement).toMatchObject({ placement: 'LAMBDA', target: { name: 'far', region: FAR } });
  expect(farOnly.placement.reason).toMatch(/ruled out: .*LAMBDA near local-near is not among the allowed regions/);
  expect([await invocations(near), await invocations(far)]).toEqual([nearBefore + 1, farBefore + 1]);

  // The far region's event started FAR_DELAY_MS late: its callback, measured by the API, cannot come sooner.
  const after = await eventually(async () => {
    const list = await targets();
    return (byName(list, 'far')?.callback.samples ?? 0) > 0 ? list : undefined;
  });
  expect(byName(after, 'far')?.callback.ewmaMs).toBeGreaterThanOrEqual(FAR_DELAY_MS);
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  expect(metrics).toMatch(
    /^spillway_lambda_target_latency_ms\{target="far",region="local-far",path="callback",stat="ewma"\} \d/m,
  );
  expect(metrics).toMatch(/^spillway_lambda_target_healthy\{target="near",region="local-near"\} 1$/m);
});

test('a burst that may run in either region spills all of it to the near one: its placements count against the target they went to, and both services start environments on the same cores', async () => {
  const name = uniqueId('two-regions-burst');
  const [nearBefore, farBefore] = [await invocations(near), await invocations(far)];
  const res = await app.inject({
    method: 'POST',
    url: '/api/tasks/bulk',
    payload: {
      tasks: Array.from({ length: 6 }, () => ({
        name,
        type: 'noop',
        executionMode: 'AUTO',
        allowedRegions: [NEAR, FAR],
      })),
    },
  });
  expect(res.statusCode).toBe(207);
  const ids = (res.json().results as Array<{ task: { id: string } }>).map((r) => r.task.id);
  await Promise.all(ids.map((id) => harness.client.workflow.getHandle(id).result()));
  const tasks = await Promise.all(
    ids.map(async (id) =>
      (await app.inject({ method: 'GET', url: `/api/tasks/${id}` })).json<{
        placement: { target?: { name: string } };
        attempts: Array<{ coldStart?: boolean; initDurationMs?: number; initContention?: number }>;
      }>(),
    ),
  );
  expect(tasks.map((t) => t.placement.target?.name)).toEqual(ids.map(() => 'near'));
  expect([await invocations(near), await invocations(far)]).toEqual([nearBefore + 6, farBefore]);
  // Each cold start says how much the burst's others stretched its init on these shared cores (placement learns the
  // init divided by it), and each callback delay keeps the load its invocation met.
  const cold = tasks.flatMap((t) => t.attempts).filter((a) => a.coldStart);
  expect(cold.length).toBeGreaterThan(0);
  for (const a of cold) expect(a.initContention).toBeGreaterThanOrEqual(1);
  const samples = await eventually(async () => {
    const list = (await createTargetLatencyStore(harness.redis, harness.config.redis.prefix).callbackSamples(['near']))
      .get('near')
      ?.filter((x) => x.load !== undefined);
    return list && list.length >= 6 ? list : undefined;
  });
  for (const x of samples) expect(x.load).toBeGreaterThanOrEqual(1);
  // The worker that invoked measured each invocation's dispatch, from the attempt's scheduling to its Invoke.
  // Recorded without waiting, before each Invoke.
  const dispatched = await eventually(async () => {
    const list = (
      await createTargetLatencyStore(harness.redis, harness.config.redis.prefix).dispatchSamples(['near'])
    ).get('near');
    return list && list.length >= 6 ? list : undefined;
  });
  for (const x of dispatched) {
    expect(x.ms).toBeGreaterThanOrEqual(0);
    expect(x.load).toBeGreaterThanOrEqual(1);
  }
});
