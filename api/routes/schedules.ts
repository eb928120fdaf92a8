// Recurring tasks: thin handlers over the schedule service (Temporal Schedules).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses } from '../schemas/common';
import {
  BackfillBody,
  CreateScheduleBody,
  NoteBody,
  ScheduleIdParams,
  ScheduleList,
  ScheduleView,
} from '../schemas/schedule-schemas';

const Done = Type.Object({ id: Type.String() }, { additionalProperties: true });

export const scheduleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['schedules'];
  app.post(
    '/api/schedules',
    {
      schema: {
        tags,
        operationId: 'createSchedule',
        summary: 'Create a recurring task (cron or interval), backed by a Temporal Schedule',
        body: CreateScheduleBody,
        response: { 201: ScheduleView, ...errorResponses(400, 409, 429, 503) },
      },
    },
    async (request, reply) => reply.code(201).send(await app.schedules.create(request.body)),
  );
  app.get(
    '/api/schedules',
    {
      schema: {
        tags,
        operationId: 'listSchedules',
        summary: 'Every recurring task',
        response: { 200: ScheduleList, ...errorResponses(429, 503) },
      },
    },
    async () => app.schedules.list(),
  );
  app.get(
    '/api/schedules/:id',
    {
      schema: {
        tags,
        operationId: 'getSchedule',
        summary: 'A recurring task: its next runs and the tasks it started',
        params: ScheduleIdParams,
        response: { 200: ScheduleView, ...errorResponses(400, 404, 429, 503) },
      },
    },
    async (request) => app.schedules.get(request.params.id),
  );
  for (const [action, summary] of [
    ['pause', 'Pause a recurring task'],
    ['unpause', 'Resume a recurring task'],
  ] as const) {
    app.post(
      `/api/schedules/:id/${action}`,
      {
        schema: {
          tags,
          operationId: `${action}Schedule`,
          summary,
          params: ScheduleIdParams,
          body: Type.Optional(NoteBody),
          response: { 200: ScheduleView, ...errorResponses(400, 404, 429, 503) },
        },
      },
      async (request) => app.schedules[action](request.params.id, request.body?.note ?? `${action}d through the API`),
    );
  }
  app.post(
    '/api/schedules/:id/trigger',
    {
      schema: {
        tags,
        operationId: 'triggerSchedule',
        summary: 'Start one run of a recurring task now',
        params: ScheduleIdParams,
        response: { 200: Done, ...errorResponses(400, 404, 429, 503) },
      },
    },
    async (request) => app.schedules.trigger(request.params.id),
  );
  app.post(
    '/api/schedules/:id/backfill',
    {
      schema: {
        tags,
        operationId: 'backfillSchedule',
        summary: 'Run a recurring task for every time it would have run in a past range',
        params: ScheduleIdParams,
        body: BackfillBody,
        response: { 200: Done, ...errorResponses(400, 404, 429, 503) },
      },
    },
    async (request) => app.schedules.backfill(request.params.id, request.body),
  );
  app.delete(
    '/api/schedules/:id',
    {
      schema: {
        tags,
        operationId: 'deleteSchedule',
        summary: 'Delete a recurring task (the tasks it started stay)',
        params: ScheduleIdParams,
        response: { 200: Done, ...errorResponses(400, 404, 429, 503) },
      },
    },
    async (request) => app.schedules.remove(request.params.id),
  );
};
