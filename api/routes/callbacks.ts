// POST /api/callbacks/lambda: where Lambda functions report an asynchronous attempt. The signature is checked over
// the exact bytes received, before the body is validated or used.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SIGNATURE_HEADER } from '../../domain/callback-signature';
import { CallbackBody, CallbackResponse } from '../schemas/callback-schemas';
import { errorResponses } from '../schemas/common';
import { setSpanAttributes } from '../../telemetry/lambda';
import { SpanAttributes } from '../../telemetry/tracing';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
  }
}

// A callback carries a task's result; results are bounded like task payloads (Lambda's own response limit is 6 MB).
const CALLBACK_BODY_LIMIT = 6 * 1024 * 1024;

export const callbackRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Encapsulated: only routes of this plugin keep their raw body.
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: CALLBACK_BODY_LIMIT },
    (request, body, done) => {
      request.rawBody = body as string;
      try {
        done(null, JSON.parse(body as string));
      } catch (err) {
        (err as { statusCode?: number }).statusCode = 400;
        done(err as Error, undefined);
      }
    },
  );

  app.post(
    '/api/callbacks/lambda',
    {
      bodyLimit: CALLBACK_BODY_LIMIT,
      preValidation: async (request) => {
        const signature = request.headers[SIGNATURE_HEADER];
        app.callbacks.authenticate(request.rawBody ?? '', Array.isArray(signature) ? signature[0] : signature);
      },
      schema: {
        tags: ['callbacks'],
        operationId: 'completeLambdaAttempt',
        summary: 'Completion of an asynchronous Lambda attempt (signed by the function wrapper)',
        body: CallbackBody,
        response: { 200: CallbackResponse, ...errorResponses(400, 401, 413, 415, 503) },
      },
    },
    async (request) => {
      const settled = await app.callbacks.settle(request.body);
      setSpanAttributes({
        [SpanAttributes.taskId]: settled.workflowId,
        [SpanAttributes.attempt]: settled.attempt,
        [SpanAttributes.placement]: 'LAMBDA',
        [SpanAttributes.functionName]: request.body.functionName,
        [SpanAttributes.coldStart]: request.body.report.coldStart,
        [SpanAttributes.durationMs]: request.body.report.durationMs,
        'spillway.callback.outcome': request.body.outcome,
        'spillway.callback.accepted': settled.accepted,
      });
      return settled;
    },
  );
};
