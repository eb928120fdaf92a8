// Task routes: thin handlers over the task service decorated on the instance.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { randomUUID } from 'node:crypto';
import '../schemas/formats';
import { errorResponses, TaskIdParams } from '../schemas/common';
import {
  BulkBody,
  BulkResponse,
  CreatedTaskResponse,
  CreateTaskBody,
  ListQuery,
  ListResponse,
  StatsResponse,
  TaskResponse,
} from '../schemas/task-schemas';
import { errorBody, Errors, toSpillwayError } from '../errors';

/** One task's body: 1 MB inline; with an object store, payloads of up to 10 MB are accepted and kept there. */
const TASK_BODY_LIMIT = 1024 * 1024;
export const TASK_BODY_LIMIT_WITH_STORE = 10 * 1024 * 1024;
const BULK_BODY_LIMIT = 10 * 1024 * 1024;
const createTaskCheck = TypeCompiler.Compile(CreateTaskBody);

const CancelResponse = Type.Object({
  id: Type.String(),
  cancelRequested: Type.Boolean(),
  status: Type.String(),
  links: Type.Object({ self: Type.String(), cancel: Type.String(), temporalUi: Type.String() }),
});

export const taskRoutes: FastifyPluginAsyncTypebox<{ taskBodyLimit?: number }> = async (app, options) => {
  app.post(
    '/api/tasks',
    {
      bodyLimit: options.taskBodyLimit ?? TASK_BODY_LIMIT,
      schema: {
        tags: ['tasks'],
        operationId: 'createTask',
        summary: 'Create a task',
        body: CreateTaskBody,
        response: {
          200: CreatedTaskResponse,
          201: CreatedTaskResponse,
          ...errorResponses(400, 402, 409, 413, 415, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const created = await app.tasks.createTask(request.body);
      return reply
        .code(created.idempotentReplay ? 200 : 201)
        .header('location', created.links.self)
        .send(created);
    },
  );

  app.post(
    '/api/tasks/bulk',
    {
      bodyLimit: BULK_BODY_LIMIT,
      schema: {
        tags: ['tasks'],
        operationId: 'createTasks',
        summary: 'Create up to 1,000 tasks; each item succeeds or fails on its own',
        body: BulkBody,
        response: { 207: BulkResponse, ...errorResponses(400, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      const items = request.body.tasks;
      // Every item carries the batch's id, so the batch can be followed and its failed items redriven.
      const batchId = `batch-${randomUUID()}`;
      const results = await mapLimited(items, 16, async (item, index) => {
        try {
          if (!createTaskCheck.Check(item)) {
            const first = createTaskCheck.Errors(item).First();
            throw Errors.validation(`tasks[${index}]${first?.path ?? ''} ${first?.message ?? 'is not valid'}`);
          }
          const task = await app.tasks.createTask(item, { batchId });
          return { index, ok: true, statusCode: task.idempotentReplay ? 200 : 201, task };
        } catch (err) {
          const error = toSpillwayError(err);
          if (error.statusCode >= 500) request.log.error({ err, index }, 'bulk item failed');
          return { index, ok: false, statusCode: error.statusCode, error: errorBody(error) };
        }
      });
      const accepted = results.filter((r) => r.ok).length;
      return reply.code(207).send({
        batchId,
        accepted,
        rejected: results.length - accepted,
        results,
        links: { batch: `/api/batches/${batchId}` },
      });
    },
  );

  app.get(
    '/api/tasks',
    {
      schema: {
        tags: ['tasks'],
        operationId: 'listTasks',
        summary: 'List tasks from Temporal visibility: running ones first, then the most recently finished',
        querystring: ListQuery,
        response: { 200: ListResponse, ...errorResponses(400, 429, 503) },
      },
    },
    async (request) => app.tasks.listTasks(request.query),
  );

  app.get(
    '/api/tasks/stats',
    {
      schema: {
        tags: ['tasks'],
        operationId: 'getTaskStats',
        summary: 'Task statistics',
        response: { 200: StatsResponse, ...errorResponses(429, 503) },
      },
    },
    async () => app.stats(),
  );

  app.get(
    '/api/tasks/:id',
    {
      schema: {
        tags: ['tasks'],
        operationId: 'getTask',
        summary: 'The whole state of one task',
        params: TaskIdParams,
        response: { 200: TaskResponse, ...errorResponses(400, 404, 429, 503) },
      },
    },
    async (request) => app.tasks.getTask(request.params.id),
  );

  app.get(
    '/api/tasks/:id/result',
    {
      schema: {
        tags: ['tasks'],
        operationId: 'getTaskResult',
        summary: "A completed task's result, downloaded from the object store when it was too large to return",
        params: TaskIdParams,
        response: { 200: Type.Unknown({ description: 'the result, as JSON' }), ...errorResponses(400, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      const body = await app.tasks.getResult(request.params.id);
      return reply.type('application/json').send(Buffer.from(body));
    },
  );

  app.post(
    '/api/tasks/:id/cancel',
    {
      schema: {
        tags: ['tasks'],
        operationId: 'cancelTask',
        summary: 'Request cancellation of a running task',
        params: TaskIdParams,
        response: { 202: CancelResponse, ...errorResponses(400, 404, 409, 429, 503) },
      },
    },
    async (request, reply) => reply.code(202).send(await app.tasks.cancelTask(request.params.id)),
  );
};

/** Runs fn over items with at most `limit` in flight, keeping the order of results. */
async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  });
  await Promise.all(lanes);
  return results;
}
