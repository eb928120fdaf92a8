// What a LOCAL task costs Temporal, counted in history events (each one a write on the server, and visibility writes
// on top for search-attribute upserts): at most one more than the least a Temporal task can be, one workflow calling
// one no-op activity, run here on the same server. The task still tells visibility and the live projection all
// they need: RUNNING from its start, its facts at its end.
import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { SEARCH_ATTRIBUTES } from '../../domain/constants';
import * as baselineActivities from '../../bench/baseline-activities';
import { eventually, startHarness, uniqueId, type TestHarness } from '../support/test-stack';

let harness: TestHarness;
let app: FastifyInstance;

beforeAll(async () => {
  harness = await startHarness();
  app = await buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
});

afterAll(async () => {
  await app?.close();
  await harness?.close();
});

async function eventTypes(workflowId: string): Promise<string[]> {
  const history = await harness.client.workflow.getHandle(workflowId).fetchHistory();
  const names = temporal.api.enums.v1.EventType;
  return (history.events ?? []).map((e) => String(names[e.eventType ?? 0]).replace(/^EVENT_TYPE_/, ''));
}

/** The TaskStatus the task was started with, as its first history event records it. */
async function statusAtStart(workflowId: string): Promise<unknown> {
  const history = await harness.client.workflow.getHandle(workflowId).fetchHistory();
  const fields = history.events?.[0]?.workflowExecutionStartedEventAttributes?.searchAttributes?.indexedFields;
  const payload = fields?.[SEARCH_ATTRIBUTES.taskStatus];
  return payload ? defaultPayloadConverter.fromPayload(payload) : undefined;
}

async function rawTaskEvents(): Promise<string[]> {
  const taskQueue = `test-raw-${randomUUID()}`;
  const connection = await NativeConnection.connect({ address: harness.config.temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: harness.config.temporal.namespace,
    taskQueue,
    workflowsPath: require.resolve('../../bench/baseline-workflows'),
    activities: baselineActivities,
  });
  const id = uniqueId('raw');
  try {
    await worker.runUntil(harness.client.workflow.execute('baselineNoop', { taskQueue, workflowId: id, args: [id] }));
  } finally {
    await connection.close();
  }
  return eventTypes(id);
}

test('a LOCAL task makes at most one history event more than a raw one-activity workflow', async () => {
  const raw = await rawTaskEvents();
  const res = await app.inject({
    method: 'POST',
    url: '/api/tasks',
    payload: { name: 'history cost', executionMode: 'LOCAL', type: 'noop', payload: {} },
  });
  expect(res.statusCode).toBe(201);
  const { id } = res.json<{ id: string }>();
  const task = await eventually(async () => {
    const body = (await app.inject({ method: 'GET', url: `/api/tasks/${id}` })).json();
    return body.status === 'COMPLETED' ? body : undefined;
  });
  expect(await statusAtStart(id)).toBe('RUNNING');
  const events = await eventTypes(id);
  expect(events.length).toBeLessThanOrEqual(raw.length + 1);
  // The one more: the search-attribute upsert that carries the task's facts to visibility at its end.
  expect(events.filter((e) => !raw.includes(e))).toEqual(['UPSERT_WORKFLOW_SEARCH_ATTRIBUTES']);
  expect(events.filter((e) => e === 'MARKER_RECORDED')).toEqual([]);

  // Nothing is lost for it: the task's own view, visibility and the live projection all have its end.
  expect(task).toEqual(
    expect.objectContaining({ status: 'COMPLETED', attempts: [expect.objectContaining({ outcome: 'succeeded' })] }),
  );
  const description = await harness.client.workflow.getHandle(id).describe();
  expect(description.searchAttributes[SEARCH_ATTRIBUTES.taskStatus]).toEqual(['COMPLETED']);
  expect(description.searchAttributes[SEARCH_ATTRIBUTES.attempts]).toEqual([1]);
  const projected = await harness.redis.hget(harness.projection.keys.task(id), 'status');
  expect(projected).toBe('COMPLETED');
  expect(task.durationMs).toEqual(expect.any(Number));
});

test('a task that waits for a slot is QUEUED in visibility until it runs, then RUNNING, as before', async () => {
  const key = uniqueId('slot');
  const res = await app.inject({
    method: 'POST',
    url: '/api/tasks',
    payload: {
      name: 'gated',
      executionMode: 'LOCAL',
      type: 'noop',
      payload: {},
      concurrency: { key, limit: 1 },
    },
  });
  expect(res.statusCode).toBe(201);
  const { id } = res.json<{ id: string }>();
  // Started, but with a gate to pass: the workflow, not the API, says when it runs.
  expect(await statusAtStart(id)).toBe('QUEUED');
  await eventually(async () => {
    const body = (await app.inject({ method: 'GET', url: `/api/tasks/${id}` })).json();
    return body.status === 'COMPLETED' ? body : undefined;
  });
  const events = await eventTypes(id);
  // The gated path keeps its upsert of RUNNING when the slot is taken.
  expect(events.filter((e) => e === 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES')).toHaveLength(2);
});
