// The API as a Fastify plugin tree. The server only listens; tests build this app and call it through inject.
import { createObjectStore } from '../clients/object-store';
import { createPayloadOffload } from './services/payload-offload';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import Fastify, { LogController } from 'fastify';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import { createFunctionDirectory, type FunctionDirectory } from '../clients/function-directory';
import { createFunctionPackages } from '../clients/function-packages';
import { createLambdaClient } from '../clients/lambda-client';
import { createControlsReader } from '../clients/operator-controls';
import { createFlowControl } from '../live/flow-control';
import { createDebounceService } from './services/debounce-service';
import { createOperatorService, type OperatorService } from './services/operator-service';
import { createRedriveService, type RedriveService } from './services/redrive-service';
import { createScheduleService, type ScheduleService } from './services/schedule-service';
import { flowRoutes } from './routes/flow';
import { scheduleRoutes } from './routes/schedules';
import { WARM_POOL_WORKFLOW_TYPE, WORKFLOW_TASK_QUEUE } from '../domain/constants';
import type { SpillwayConfig } from '../domain/config';
import { loadPriceTable } from '../domain/price-table';
import type { ExecutionMode } from '../domain/task-model';
import { TransitionEventSchema } from '../domain/transition-event';
import { EventFeed } from '../live/event-feed';
import { createPlacementLeases } from '../live/placement-leases';
import { reconcile, type ReconcileResult } from '../live/reconcile';
import { connectRedis } from '../live/redis-client';
import { readStats, type TaskStats } from '../live/stats-reader';
import { createTaskProjection } from '../live/task-projection';
import { createBudgetBook } from '../live/budget-book';
import { budgetRoutes } from './routes/budgets';
import { createBudgetService, type BudgetService } from './services/budget-service';
import type { WarmPoolResult } from '../workflows/warm-pool';
import { errorBody, Errors, toSpillwayError } from './errors';
import { needsKey, securityPlugin } from './plugins/security';
import { callbackRoutes } from './routes/callbacks';
import { functionRoutes } from './routes/functions';
import { healthRoutes } from './routes/health';
import { liveRoutes } from './routes/live';
import { pipelineRoutes } from './routes/pipelines';
import { placementRoutes } from './routes/placement';
import { stepFunctionsRoutes } from './routes/stepfunctions';
import { TASK_BODY_LIMIT_WITH_STORE, taskRoutes } from './routes/tasks';
import { ErrorResponse } from './schemas/common';
import { withTimeout } from './with-timeout';
import { tracingPlugin } from '../telemetry/http';
import { createCallbackService, type CallbackService } from './services/callback-service';
import { createMetrics } from './services/metrics';
import { createPipelineService, type PipelineService } from './services/pipeline-service';
import { createSimulateService, type SimulateService } from './services/simulate-service';
import { createTargetsService, type TargetsService } from './services/targets-service';
import { createTargetLatencyStore } from '../live/target-latency';
import { invokeTarget } from '../domain/placement-inputs';
import { loadTransferPrices } from '../domain/transfer-price-table';
import { createSubmissionPlacement } from './services/submission-placement';
import { loadSfnConfig, type SfnConfig } from './services/sfn-config';
import { createTaskService, type TaskService } from './services/task-service';

export interface ComponentHealth {
  status: 'UP' | 'DOWN';
  details?: string;
}

/** Statistics from the Redis projection, or the counts from visibility while Redis is away. */
export type StatsAnswer = TaskStats | { source: 'temporal-visibility'; totals: TaskStats['totals'] };

declare module 'fastify' {
  interface FastifyInstance {
    tasks: TaskService;
    budgets: BudgetService;
    simulator: SimulateService;
    targets: TargetsService;
    functions: FunctionDirectory;
    redrive: RedriveService;
    schedules: ScheduleService;
    operator: OperatorService;
    callbacks: CallbackService;
    feed: EventFeed | undefined;
    stats(): Promise<StatsAnswer>;
    health(): Promise<Record<string, ComponentHealth>>;
    metricsText(): Promise<string>;
    reconcile(): Promise<ReconcileResult>;
    warmPoolNow(): Promise<WarmPoolResult & { workflowId: string }>;
    pipelines: PipelineService;
    sfnConfig: SfnConfig;
  }
}

export interface AppDeps {
  config: SpillwayConfig;
  client: Client;
  redis?: Redis;
  availableModes?: ReadonlySet<ExecutionMode>;
  workerMetricsUrl?: string;
  logger?: boolean | object;
  /** The deployed functions; by default learned from the configured Lambda endpoint. */
  functions?: FunctionDirectory;
  /** Pipeline settings (ARN region and account, a remote Step Functions); by default from the environment. */
  sfn?: SfnConfig;
}

const ROOT = path.resolve(__dirname, '..', '..');
const REPO_ROOT = existsSync(path.join(ROOT, 'package.json')) ? ROOT : path.resolve(__dirname, '..');

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, client, redis } = deps;
  const app = Fastify({
    logger: deps.logger ?? false,
    // A line per request costs more CPU than a task creation; failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    // A task id or a query can be long; an URL past this is abuse, not a request.
    routerOptions: { maxParamLength: 200 },
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Every body Spillway takes is JSON; a text/plain body is a client mistake that deserves 415, not a string.
  app.removeContentTypeParser('text/plain');
  app.addSchema(ErrorResponse);
  // Named in the OpenAPI document (the live feed's `task` events), so generated clients name it too.
  app.addSchema(TransitionEventSchema);
  app.setErrorHandler((err, request, reply) => {
    const error = toSpillwayError(err);
    if (error.statusCode >= 500) request.log.error({ err }, 'request failed');
    return reply.code(error.statusCode).send(errorBody(error));
  });
  app.setNotFoundHandler((request, reply) => {
    const error = Errors.routeNotFound(`no route ${request.method} ${request.url.split('?')[0]}`);
    return reply.code(404).send(errorBody(error));
  });

  const projection = redis ? createTaskProjection(redis, config.redis.prefix) : undefined;
  const leases = redis ? createPlacementLeases(redis, config.redis.prefix) : undefined;
  const prices = loadPriceTable(config.placement.pricesFile);
  const budgetBook = redis ? createBudgetBook(redis, config.redis.prefix, config.placement.budgets) : undefined;
  const budgets = createBudgetService(config.placement.budgets, budgetBook);
  app.decorate('budgets', budgets);
  app.decorate('simulator', createSimulateService({ client, config, prices }));
  const latency = redis ? createTargetLatencyStore(redis, config.redis.prefix) : undefined;
  const targets = createTargetsService({ config, latency });
  app.decorate('targets', targets);
  // The API's one client of LAMBDA_ENDPOINT: the function directory's and placement's at submission.
  const lambda = createLambdaClient(config.lambda);
  app.addHook('onClose', async () => lambda.destroy());
  let functions = deps.functions;
  if (!functions) {
    functions = createFunctionDirectory({
      lambda,
      packages: createFunctionPackages({ lambda, cacheDir: path.resolve(config.functions.packageCacheDir) }),
      refreshMs: config.functions.refreshMs,
      log: (m) => app.log.warn(m),
    });
  }
  app.decorate('functions', functions);
  const controls = createControlsReader(client, config.flow.controlsCacheMs, (m) => app.log.warn(m));
  const objectStore = config.placement.objectStore ? createObjectStore(config.placement.objectStore) : undefined;
  if (objectStore) app.addHook('onClose', async () => objectStore.destroy());
  const flow = redis ? createFlowControl(redis, config.redis.prefix) : undefined;
  const transferPrices = loadTransferPrices(config.placement.transferPricesFile);
  const placement = createSubmissionPlacement({
    config,
    redis,
    lambda,
    leases,
    functions,
    controls,
    prices,
    transfer: transferPrices,
    budgets: budgetBook,
    latency,
    log: (m) => app.log.warn(m),
  });
  if (placement) app.addHook('onClose', async () => placement.close());
  const tasks = createTaskService({
    client,
    config,
    projection,
    prices,
    functions,
    controls,
    debounce: createDebounceService({ client, flow }),
    availableModes: deps.availableModes ?? new Set<ExecutionMode>(['LOCAL', 'LAMBDA', 'AUTO']),
    payloads: objectStore
      ? createPayloadOffload({
          store: objectStore,
          region: config.placement.localRegion,
          largePayloadBytes: config.placement.largePayloadBytes,
        })
      : undefined,
    objects: objectStore,
    budgets: budgetBook,
    placement,
    log: (m) => app.log.warn(m),
  });
  app.decorate('tasks', tasks);
  app.decorate('redrive', createRedriveService({ client, tasks, store: objectStore }));
  app.decorate(
    'schedules',
    createScheduleService({ client, tasks, uiUrl: config.temporal.uiUrl, namespace: config.temporal.namespace }),
  );
  app.decorate('operator', createOperatorService({ client, namespace: config.temporal.namespace, controls }));
  app.decorate(
    'callbacks',
    createCallbackService({
      client,
      config: config.lambda,
      prices,
      leases,
      latency,
      defaultTarget: invokeTarget(config.placement.lambdaTargets, config.lambda.endpoint)?.name,
      transfer: {
        prices: transferPrices,
        regionOf: (name) => config.placement.lambdaTargets.find((t) => t.name === name)?.region,
      },
      log: (m) => app.log.warn(m),
    }),
  );

  let feed: EventFeed | undefined;
  if (redis && projection) {
    const blocking = connectRedis(config.redis.url, 'spillway-api-feed', { blocking: true });
    feed = new EventFeed(blocking, redis, projection.streamKey, (m) => app.log.warn(m));
    app.addHook('onClose', async () => feed?.stop());
  }
  app.decorate('feed', feed);

  const sfnConfig = deps.sfn ?? loadSfnConfig(config);
  app.decorate('sfnConfig', sfnConfig);
  const pipelines = createPipelineService({
    client,
    config,
    scope: sfnConfig,
    sfn: sfnConfig,
    log: (m) => app.log.warn(m),
  });
  app.decorate('pipelines', pipelines);
  app.addHook('onClose', async () => pipelines.remote.close());

  const stats = async (): Promise<StatsAnswer> => {
    if (redis) {
      try {
        return await readStats(redis, config.redis.prefix);
      } catch (err) {
        app.log.warn(`stats from Redis unavailable, counting in Temporal visibility: ${(err as Error).message}`);
      }
    }
    return { source: 'temporal-visibility', totals: await tasks.countByStatus() };
  };
  app.decorate('stats', stats);

  const metrics = createMetrics({
    stats: async () => {
      const answer = await stats();
      return answer.source === 'redis' ? answer : undefined;
    },
    budgets: () => budgets.statuses(),
    targets: async () => (await targets.list()).targets,
    workerMetricsUrl: deps.workerMetricsUrl,
  });
  app.decorate('metricsText', () => metrics.text());

  app.decorate('reconcile', async () => {
    if (!redis) throw Errors.redisUnavailable('no Redis is configured, so there is nothing to reconcile');
    try {
      return await reconcile({ client, namespace: config.temporal.namespace, redis, prefix: config.redis.prefix });
    } catch (err) {
      if ((err as { name?: string }).name === 'ServiceError') throw err;
      throw Errors.redisUnavailable(`reconcile could not write to Redis: ${(err as Error).message}`);
    }
  });

  app.decorate('warmPoolNow', async () => {
    const workflowId = `warm-pool-manual-${randomUUID()}`;
    const result = await client.workflow.execute<(input: { trigger: 'manual' }) => Promise<WarmPoolResult>>(
      WARM_POOL_WORKFLOW_TYPE,
      { taskQueue: WORKFLOW_TASK_QUEUE, workflowId, args: [{ trigger: 'manual' }], workflowExecutionTimeout: 120_000 },
    );
    return { workflowId, ...result };
  });

  app.decorate('health', async () => {
    const components: Record<string, ComponentHealth> = {};
    try {
      await withTimeout(client.workflowService.getSystemInfo({}), 2_000);
      components.temporal = { status: 'UP', details: config.temporal.address };
    } catch (err) {
      components.temporal = { status: 'DOWN', details: (err as Error).message };
    }
    if (redis) {
      try {
        await withTimeout(redis.ping(), 2_000);
        components.redis = { status: 'UP' };
      } catch (err) {
        components.redis = { status: 'DOWN', details: (err as Error).message };
      }
    }
    return components;
  });

  await app.register(tracingPlugin);
  await app.register(securityPlugin, { config, redis });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Spillway API',
        version: '0.1.0',
        description: 'Hybrid task scheduler on Temporal and AWS Lambda',
        license: { name: 'UNLICENSED' },
      },
      // Relative: the API that serves this document (a client is given its base URL).
      servers: [{ url: '/', description: 'The API that serves this document' }],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'One of SPILLWAY_API_KEYS, when the deployment sets them (otherwise no key is asked for)',
          },
          accessToken: {
            type: 'apiKey',
            in: 'query',
            name: 'access_token',
            description: 'The same key as a query parameter, for EventSource, which cannot send headers',
          },
        },
      },
    },
    // Shared schemas keep their $id as their name (ErrorResponse, Task), so generated clients name them too.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    // Which operations need a key is decided where it is enforced (needsKey in plugins/security.ts).
    transform: ({ schema, url }) => ({
      schema: {
        ...schema,
        security: !needsKey(url)
          ? []
          : url === '/api/events'
            ? [{ bearerAuth: [] }, { accessToken: [] }]
            : [{ bearerAuth: [] }],
      } as typeof schema,
      url,
    }),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes);
  await app.register(budgetRoutes);
  await app.register(placementRoutes);
  await app.register(taskRoutes, objectStore ? { taskBodyLimit: TASK_BODY_LIMIT_WITH_STORE } : {});
  await app.register(functionRoutes);
  await app.register(flowRoutes);
  await app.register(scheduleRoutes);
  await app.register(callbackRoutes);
  await app.register(liveRoutes);
  await app.register(pipelineRoutes);
  await app.register(stepFunctionsRoutes, { apiKeys: config.api.keys });

  const samples = path.resolve(REPO_ROOT, config.api.samplesDir);
  if (existsSync(samples)) {
    await app.register(fastifyStatic, { root: samples, prefix: '/samples/', decorateReply: false, index: false });
  }
  const built = path.join(REPO_ROOT, 'dashboard', 'dist');
  const dashboardRoot = existsSync(path.join(built, 'index.html'))
    ? built
    : path.join(REPO_ROOT, 'dashboard', 'public');
  await app.register(fastifyStatic, { root: dashboardRoot, prefix: '/', decorateReply: false });

  return app;
}
