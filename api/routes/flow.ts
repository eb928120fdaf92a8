// Dead letters, redrive and batches, and the operator controls: thin handlers over their services.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Errors } from '../errors';
import { errorResponses, TaskIdParams } from '../schemas/common';
import {
  ActorBody,
  BatchParams,
  BatchView,
  ControlsView,
  DeadLetterRedriveBody,
  DeadLetters,
  PlacementOverrideBody,
  RedriveBody,
  RedrivenTask,
  RedriveResults,
  ScopePauseBody,
  ScopePauseResult,
  TaskPauseResult,
} from '../schemas/flow-schemas';

/** Who acted: as given, else the API key that asked (by its digest, never the key), else the API itself. */
function actor(request: FastifyRequest, body: { by?: string; reason: string }) {
  const key = request.headers.authorization?.startsWith('Bearer ') ? 'api-key' : 'api';
  return { by: body.by ?? key, reason: body.reason };
}

export const flowRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/tasks/:id/redrive',
    {
      schema: {
        tags: ['dead letters'],
        operationId: 'redriveTask',
        summary: 'Re-run a FAILED, CANCELLED or EXPIRED task as a new task linked to it',
        description:
          'A task is redriven once, as the task `<id>.r1` (a redrive of that one as `<id>.r2`, and so on): asking ' +
          'again answers that task with 200 (idempotentReplay), and asking again in another mode is 409 ' +
          'SPILLWAY_REDRIVE_CONFLICT.',
        params: TaskIdParams,
        body: RedriveBody,
        response: { 201: RedrivenTask, 200: RedrivenTask, ...errorResponses(400, 404, 409, 429, 503) },
      },
    },
    async (request, reply) => {
      const task = await app.redrive.redriveTask(request.params.id, request.body.executionMode);
      return reply.code(task.idempotentReplay ? 200 : 201).send(task);
    },
  );
  app.get(
    '/api/batches/:id',
    {
      schema: {
        tags: ['dead letters'],
        operationId: 'getBatch',
        summary: "A bulk submission's items by status (each item's latest redrive counts)",
        params: BatchParams,
        response: { 200: BatchView, ...errorResponses(400, 404, 429, 503) },
      },
    },
    async (request) => app.redrive.batch(request.params.id),
  );
  app.post(
    '/api/batches/:id/redrive',
    {
      schema: {
        tags: ['dead letters'],
        operationId: 'redriveBatch',
        summary: 'Re-run only the items of a batch that FAILED, were CANCELLED or EXPIRED',
        params: BatchParams,
        body: RedriveBody,
        response: { 200: RedriveResults, ...errorResponses(400, 404, 429, 503) },
      },
    },
    async (request) => app.redrive.redriveBatch(request.params.id, request.body.executionMode),
  );
  app.get(
    '/api/dead-letters',
    {
      schema: {
        tags: ['dead letters'],
        operationId: 'listDeadLetters',
        summary: 'Failed tasks not yet redriven, grouped by type and error, with their last errors',
        response: { 200: DeadLetters, ...errorResponses(429, 503) },
      },
    },
    async () => app.redrive.deadLetters(),
  );
  app.post(
    '/api/dead-letters/redrive',
    {
      schema: {
        tags: ['dead letters'],
        operationId: 'redriveDeadLetters',
        summary: 'Re-run every dead letter of one type and error',
        body: DeadLetterRedriveBody,
        response: { 200: RedriveResults, ...errorResponses(400, 429, 503) },
      },
    },
    async (request) =>
      app.redrive.redriveDeadLetters(request.body.type, request.body.errorType, request.body.executionMode),
  );

  for (const [action, summary] of [
    ['pause', 'Pause a task: its current attempt finishes, then it waits'],
    ['resume', 'Resume a paused task'],
  ] as const) {
    app.post(
      `/api/tasks/:id/${action}`,
      {
        schema: {
          tags: ['controls'],
          operationId: `${action}Task`,
          summary,
          params: TaskIdParams,
          body: ActorBody,
          response: { 200: TaskPauseResult, ...errorResponses(400, 404, 409, 429, 503) },
        },
      },
      async (request) => {
        app.tasks.checkId(request.params.id);
        const who = actor(request, request.body);
        return action === 'pause'
          ? app.operator.pauseTask(request.params.id, who)
          : app.operator.resumeTask(request.params.id, who);
      },
    );
  }
  app.get(
    '/api/controls',
    {
      schema: {
        tags: ['controls'],
        operationId: 'getControls',
        summary: 'Operator controls in force, and their audit',
        response: { 200: ControlsView, ...errorResponses(429, 503) },
      },
    },
    async () => app.operator.controls(),
  );
  for (const [action, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    app.post(
      `/api/controls/${action}`,
      {
        schema: {
          tags: ['controls'],
          operationId: `${action}Scope`,
          summary: `${paused ? 'Pause' : 'Resume'} every task of a type or a tenant, running and new`,
          body: ScopePauseBody,
          response: { 200: ScopePauseResult, ...errorResponses(400, 429, 503) },
        },
      },
      async (request) => {
        const { type, tenant } = request.body;
        if ((type === undefined) === (tenant === undefined))
          throw Errors.invalidControl('give exactly one of type and tenant');
        return app.operator.setScopePause(
          type !== undefined ? `type:${type}` : `tenant:${tenant}`,
          paused,
          actor(request, request.body),
        );
      },
    );
  }
  app.post(
    '/api/controls/placement',
    {
      schema: {
        tags: ['controls'],
        operationId: 'setPlacementOverride',
        summary: 'Override placement: drain Lambda, force Lambda, or none',
        body: PlacementOverrideBody,
        response: { 200: ControlsView, ...errorResponses(400, 429, 503) },
      },
    },
    async (request) => app.operator.setPlacementOverride(request.body.mode, actor(request, request.body)),
  );
};
