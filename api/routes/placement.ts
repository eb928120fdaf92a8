// Placement: the policy simulator over recorded tasks (what `spillway simulate` prints, for the dashboard), and each
// Lambda target's latency monitor.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../schemas/common';
import { SimulateBody, SimulateResponse, TargetsResponse } from '../schemas/placement-schemas';

export const placementRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/placement/simulate',
    {
      schema: {
        tags: ['placement'],
        operationId: 'simulatePlacement',
        summary: "Replay the period's finished tasks through placement policies, beside what really happened",
        body: SimulateBody,
        response: { 200: SimulateResponse, ...errorResponses(400, 401, 415, 429, 503) },
      },
    },
    async (request) => app.simulator.simulate(request.body),
  );

  app.get(
    '/api/placement/targets',
    {
      schema: {
        tags: ['placement'],
        operationId: 'listPlacementTargets',
        summary: 'Each Lambda target with its latency monitor: invoke and callback EWMA and p95, health, throttles',
        response: { 200: TargetsResponse, ...errorResponses(401, 429, 503) },
      },
    },
    async () => app.targets.list(),
  );
};
