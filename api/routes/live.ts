// Live routes: the Server-Sent Events feed the dashboard follows, statistics, Prometheus metrics, reconcile and
// the warm pool trigger.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { TransitionEventSchema } from '../../domain/transition-event';
import { WarmPoolResultSchema } from '../../domain/warm-pool-result';
import { errorResponses } from '../schemas/common';
import { StatsResponse } from '../schemas/task-schemas';

const HEARTBEAT_MS = 15_000;
const STATS_PUSH_MS = 1_000;
const STREAM_ID = /^\d{1,15}-\d{1,10}$/;

/** A message's stream id: a reconnecting client sends the last one back as Last-Event-ID and misses nothing. */
const StreamId = Type.String({
  pattern: STREAM_ID.source,
  description: 'The stream id (send it back as Last-Event-ID)',
});

/**
 * Each message of GET /api/events as a client reads it: its `event:` name, its `id:` and the JSON of its `data:`
 * line. (OpenAPI 3.0 has no way to describe the items of a stream, so the schema is that of one message.)
 */
const EventStreamMessage = Type.Union(
  [
    Type.Object({ event: Type.Literal('task'), id: StreamId, data: Type.Ref(TransitionEventSchema) }),
    Type.Object({
      event: Type.Literal('budget'),
      id: StreamId,
      // BudgetEvent (live/budget-book.ts): the budget, its level and spend, and a message.
      data: Type.Object(
        { kind: Type.Literal('budget') },
        { additionalProperties: true, description: 'A budget reached 75 %, 90 % or its limit (see GET /api/budgets)' },
      ),
    }),
    Type.Object({
      event: Type.Literal('pipeline'),
      id: StreamId,
      // PipelineProgress (pipelines/progress.ts): the execution's status, cost and the states that changed.
      data: Type.Object(
        {
          kind: Type.Literal('pipeline'),
          executionArn: Type.String(),
          status: Type.String(),
          revision: Type.Integer(),
        },
        { additionalProperties: true, description: 'A pipeline execution changed (see GET /api/pipelines)' },
      ),
    }),
    Type.Object({ event: Type.Literal('stats'), data: StatsResponse }),
  ],
  { description: 'One message of the stream, parsed' },
);

const ReconcileResponse = Type.Object({
  tasks: Type.Integer(),
  warmPoolRuns: Type.Integer(),
  durationMs: Type.Number(),
  counters: Type.Record(Type.String(), Type.Number()),
});

const WarmPoolResponse = Type.Object({ workflowId: Type.String(), ...WarmPoolResultSchema.properties });

export const liveRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Every open stream pushes stats once a second: one read of Redis a second serves them all.
  let snapshot: { at: number; text: Promise<string> } | undefined;
  const sharedStats = (): Promise<string> => {
    if (!snapshot || Date.now() - snapshot.at >= STATS_PUSH_MS) {
      const text = app.stats().then((stats) => JSON.stringify(stats));
      // A failed read is not kept: the next push tries again.
      text.catch(() => (snapshot = undefined));
      snapshot = { at: Date.now(), text };
    }
    return snapshot.text;
  };

  // Open event streams end when the app closes, or close() would wait for them forever.
  const openStreams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of openStreams) end();
  });

  app.get(
    '/api/events',
    {
      schema: {
        tags: ['live'],
        operationId: 'streamEvents',
        summary:
          'Server-Sent Events: `task` transitions, `pipeline` progress of executions, `budget` warnings and `stats` snapshots; resumes from Last-Event-ID',
        querystring: Type.Object(
          {
            lastEventId: Type.Optional(Type.String({ pattern: STREAM_ID.source })),
            access_token: Type.Optional(Type.String({ maxLength: 512 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: {
            description:
              'An endless text/event-stream: `task` events (a transition, with its stream id), `pipeline` events (the status and changed states of a pipeline execution, with its stream id), `budget` events (a budget reached 75 %, 90 % or its limit) and `stats`',
            content: { 'text/event-stream': { schema: EventStreamMessage } },
          },
          ...errorResponses(400, 401, 503),
        },
      },
    },
    async (request, reply) => {
      const feed = app.feed;
      const header = request.headers['last-event-id'];
      const resumeFrom = typeof header === 'string' && STREAM_ID.test(header) ? header : request.query.lastEventId;
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      // Browsers wait this long before reconnecting after the API goes away.
      res.write('retry: 1000\n\n');
      const send = (event: string, data: string, id?: string) => {
        res.write(`${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${data}\n\n`);
      };
      let statsDue = true;
      const pushStats = async () => {
        if (!statsDue) return;
        statsDue = false;
        try {
          send('stats', await sharedStats());
        } catch {
          // Stats will go out with the next change.
        }
      };
      const unsubscribe = feed
        ? feed.subscribe((event) => {
            send(event.kind, event.data, event.id);
            statsDue = true;
          })
        : () => undefined;
      if (feed && resumeFrom) {
        for (const event of await feed.since(resumeFrom).catch(() => [])) send(event.kind, event.data, event.id);
      }
      await pushStats();
      const statsTimer = setInterval(() => void pushStats(), STATS_PUSH_MS);
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
      const close = () => {
        clearInterval(statsTimer);
        clearInterval(heartbeat);
        unsubscribe();
        openStreams.delete(end);
      };
      const end = () => {
        close();
        res.end();
      };
      openStreams.add(end);
      request.raw.once('close', close);
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['live'],
        operationId: 'getMetrics',
        summary: 'Prometheus metrics: task statistics and the worker SDK metrics',
        hide: false,
        response: {
          200: {
            description: 'Prometheus text exposition format',
            content: { 'text/plain': { schema: Type.String() } },
          },
          ...errorResponses(401, 429),
        },
      },
    },
    async (_request, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(await app.metricsText()),
  );

  app.post(
    '/api/admin/reconcile',
    {
      schema: {
        tags: ['admin'],
        operationId: 'reconcileProjection',
        summary: 'Rebuild the Redis projection from Temporal visibility',
        response: { 200: ReconcileResponse, ...errorResponses(401, 429, 503) },
      },
    },
    async () => app.reconcile(),
  );

  app.post(
    '/api/tasks/warm-pool',
    {
      schema: {
        tags: ['tasks'],
        operationId: 'runWarmPool',
        summary: 'Run the warm pool now and report, per function, what was warmed and what it cost',
        response: { 200: WarmPoolResponse, ...errorResponses(401, 429, 503) },
      },
    },
    async () => app.warmPoolNow(),
  );
};
