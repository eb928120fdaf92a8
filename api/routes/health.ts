// Health of the parts a task needs. DOWN anywhere means 503, so load balancers and `npm start` can wait on it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';

const Component = Type.Object({
  status: Type.Union([Type.Literal('UP'), Type.Literal('DOWN')]),
  details: Type.Optional(Type.String()),
});
const HealthResponse = Type.Object({
  status: Type.Union([Type.Literal('UP'), Type.Literal('DOWN')]),
  components: Type.Record(Type.String(), Component),
});

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const url of ['/actuator/health', '/health']) {
    app.get(
      url,
      {
        schema: {
          tags: ['health'],
          operationId: url === '/health' ? 'getHealth' : 'getActuatorHealth',
          summary: 'UP or DOWN per dependency',
          response: { 200: HealthResponse, 503: HealthResponse },
        },
      },
      async (_request, reply) => {
        const components = await app.health();
        const down = Object.values(components).some((c) => c.status === 'DOWN');
        return reply.code(down ? 503 : 200).send({ status: down ? 'DOWN' : 'UP', components });
      },
    );
  }
};
