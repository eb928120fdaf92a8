// The deployed functions as Spillway sees them: learned from the Lambda endpoint, with their task types and
// payload schemas. Deploy with `spillway deploy` or the AWS CLI; these routes only read.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DeployedFunctionSchema, FunctionDetailSchema } from '../../domain/deployed-function';
import { FUNCTION_NAME_PATTERN } from '../../domain/function-manifest';
import { Errors } from '../errors';
import { errorResponses } from '../schemas/common';

const FunctionList = Type.Object({
  functions: Type.Array(DeployedFunctionSchema),
  taskTypes: Type.Record(Type.String(), Type.Array(Type.String()), {
    description: 'Each task type and the functions that serve it',
  }),
});

const FunctionParams = Type.Object(
  { name: Type.String({ pattern: FUNCTION_NAME_PATTERN }) },
  { additionalProperties: false },
);

export const functionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/functions',
    {
      schema: {
        tags: ['functions'],
        operationId: 'listFunctions',
        summary: 'Every deployed function ($LATEST), its task types and payload schema',
        response: { 200: FunctionList, ...errorResponses(401, 429, 503) },
      },
    },
    async () => {
      const functions = await app.functions.list().catch(() => {
        throw Errors.lambdaUnavailable('the Lambda endpoint, which holds the deployed functions, is not reachable');
      });
      const taskTypes: Record<string, string[]> = {};
      for (const fn of functions) for (const t of fn.spillway.taskTypes) (taskTypes[t] ??= []).push(fn.name);
      return { functions, taskTypes };
    },
  );

  app.get(
    '/api/functions/:name',
    {
      schema: {
        tags: ['functions'],
        operationId: 'getFunction',
        summary: 'One deployed function with its versions, aliases and tags',
        params: FunctionParams,
        response: { 200: FunctionDetailSchema, ...errorResponses(400, 401, 404, 429, 503) },
      },
    },
    async (request) => {
      const detail = await app.functions.detail(request.params.name).catch(() => {
        throw Errors.lambdaUnavailable('the Lambda endpoint, which holds the deployed functions, is not reachable');
      });
      if (!detail) throw Errors.functionNotFound(`no function named "${request.params.name}" is deployed`);
      return detail;
    },
  );
};
