// The API as a Fastify plugin tree. The server only listens; tests build this app and call it through inject.
import { existsSync } from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import type { Redis } from 'ioredis';
import type { SpillwayConfig } from '../domain/config';
import type { ExecutionMode } from '../domain/task-model';
import type { TaskProjection } from '../live/task-projection';
import { errorBody, Errors, toSpillwayError } from './errors';
import { loadPriceTable } from '../domain/price-table';
import { callbackRoutes } from './routes/callbacks';
import { healthRoutes } from './routes/health';
import { taskRoutes } from './routes/tasks';
import { ErrorResponse } from './schemas/common';
import { createCallbackService, type CallbackService } from './services/callback-service';
import { createTaskService, type TaskService } from './services/task-service';

export interface ComponentHealth {
  status: 'UP' | 'DOWN';
  details?: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    tasks: TaskService;
    callbacks: CallbackService;
    stats(): Promise<TaskStats>;
    health(): Promise<Record<string, ComponentHealth>>;
  }
}

export interface TaskStats {
  source: string;
  totals: { created: number; queued: number; running: number; completed: number; failed: number; cancelled: number };
  [key: string]: unknown;
}

export interface AppDeps {
  config: SpillwayConfig;
  client: Client;
  redis?: Redis;
  projection?: TaskProjection;
  availableModes?: ReadonlySet<ExecutionMode>;
  logger?: boolean | object;
}

const ROOT = path.resolve(__dirname, '..', '..');
const REPO_ROOT = existsSync(path.join(ROOT, 'package.json')) ? ROOT : path.resolve(__dirname, '..');

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    // A task id or a query can be long; an URL past this is abuse, not a request.
    maxParamLength: 200,
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addSchema(ErrorResponse);

  app.setErrorHandler((err, request, reply) => {
    const error = toSpillwayError(err);
    if (error.statusCode >= 500) request.log.error({ err }, 'request failed');
    return reply.code(error.statusCode).send(errorBody(error));
  });
  app.setNotFoundHandler((request, reply) => {
    const error = Errors.routeNotFound(`no route ${request.method} ${request.url.split('?')[0]}`);
    return reply.code(404).send(errorBody(error));
  });

  const tasks = createTaskService({
    client: deps.client,
    config: deps.config,
    projection: deps.projection,
    availableModes: deps.availableModes ?? new Set<ExecutionMode>(['LOCAL', 'LAMBDA']),
    log: (m) => app.log.warn(m),
  });
  app.decorate('tasks', tasks);
  app.decorate(
    'callbacks',
    createCallbackService({
      client: deps.client,
      config: deps.config.lambda,
      prices: loadPriceTable(),
      log: (m) => app.log.warn(m),
    }),
  );
  app.decorate('stats', async () => ({ source: 'temporal-visibility', totals: await tasks.countByStatus() }));
  app.decorate('health', async () => {
    const components: Record<string, ComponentHealth> = {};
    const timeout = <T>(p: Promise<T>) =>
      Promise.race([
        p,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), 2_000).unref()),
      ]);
    try {
      await timeout(deps.client.workflowService.getSystemInfo({}));
      components.temporal = { status: 'UP', details: deps.config.temporal.address };
    } catch (err) {
      components.temporal = { status: 'DOWN', details: (err as Error).message };
    }
    if (deps.redis) {
      try {
        await timeout(deps.redis.ping());
        components.redis = { status: 'UP' };
      } catch (err) {
        components.redis = { status: 'DOWN', details: (err as Error).message };
      }
    }
    return components;
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Spillway API',
        version: '0.1.0',
        description: 'Hybrid task scheduler on Temporal and AWS Lambda',
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes);
  await app.register(taskRoutes);
  await app.register(callbackRoutes);

  const samples = path.join(REPO_ROOT, 'functions', 'image-processor', 'samples');
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
