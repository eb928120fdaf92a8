// The thumbnails example end to end: one Task state placed LOCAL, one LAMBDA (on the local Lambda service, its result
// back through the signed callback to this API) and one AUTO, naming their function by task type, through
// lambda:invoke and by its ARN. Each state's placement and cost are those of the task it ran as, and the execution's
// cost is theirs added up.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { eventually, readStack, uniqueId } from '../support/test-stack';
import { startSfnStack, type SfnStack } from './sfn-api';

const examples = path.resolve(__dirname, '..', '..', 'examples', 'pipelines');
const apiPort = readStack().apiPort;

let stack: SfnStack;
beforeAll(async () => {
  // On the stack's API port: the LAMBDA attempts call back there, and the functions fetch the sample image from it.
  stack = await startSfnStack({}, apiPort);
});
afterAll(async () => {
  await stack?.close();
});

const get = async (url: string) => {
  const res = await stack.app.inject({ method: 'GET', url });
  expect(res.statusCode).toBe(200);
  return res.json() as Record<string, unknown>;
};

interface View {
  status: string;
  attempts: number;
  placements: Record<string, number>;
  costUsd: number;
  taskIds: string[];
}

interface Task {
  status: string;
  executionMode: string;
  placement: { placement: string; reason: string };
  costUsd: number;
  attempts: Array<{ placement: string; costUsd?: number }>;
}

test('thumbnails: LOCAL, LAMBDA and AUTO Task states run where they say, and the cost is that of their tasks', async () => {
  const name = uniqueId('thumbs').replace(/^test-/, 'ex-');
  const definition = JSON.parse(readFileSync(path.join(examples, 'thumbnails.asl.json'), 'utf8')) as unknown;
  const created = await stack.app.inject({ method: 'POST', url: '/api/pipelines', payload: { name, definition } });
  expect(created.statusCode).toBe(201);
  const started = await stack.app.inject({
    method: 'POST',
    url: `/api/pipelines/${name}/executions`,
    payload: { input: { imageUrl: `http://127.0.0.1:${apiPort}/samples/landscape.jpg` } },
  });
  expect(started.statusCode).toBe(201);
  const self = (started.json() as { links: { self: string } }).links.self;
  const ended = await eventually(
    async () => {
      const e = await get(self);
      return e.status === 'RUNNING' ? undefined : e;
    },
    180_000,
    500,
  );
  expect(ended).toEqual(expect.objectContaining({ status: 'SUCCEEDED' }));
  expect(ended.output).toEqual({
    small: { width: 160, bytes: expect.any(Number) },
    medium: { width: 480, bytes: expect.any(Number), version: '$LATEST' },
    large: { width: 1024, bytes: expect.any(Number) },
  });

  const states = ended.states as Record<string, View>;
  const tasks: Record<string, Task> = {};
  for (const state of ['Small', 'Medium', 'Large']) {
    expect(states[state]).toEqual(expect.objectContaining({ status: 'SUCCEEDED', attempts: 1 }));
    expect(states[state]!.taskIds).toHaveLength(1);
    // The task's own record is final a moment after the pipeline has its result: wait for its cost.
    tasks[state] = await eventually(async () => {
      const task = (await get(`/api/tasks/${states[state]!.taskIds[0]}`)) as unknown as Task;
      return task.status === 'COMPLETED' && task.costUsd !== undefined ? task : undefined;
    });
  }
  expect(tasks.Small).toEqual(
    expect.objectContaining({ executionMode: 'LOCAL', placement: expect.objectContaining({ placement: 'LOCAL' }) }),
  );
  expect(tasks.Medium).toEqual(
    expect.objectContaining({ executionMode: 'LAMBDA', placement: expect.objectContaining({ placement: 'LAMBDA' }) }),
  );
  expect(tasks.Large!.executionMode).toBe('AUTO');
  // AUTO decided by the live signals, either way; the state shows what it decided.
  const auto = tasks.Large!.placement.placement;
  expect(['LOCAL', 'LAMBDA']).toContain(auto);
  expect(tasks.Large!.placement.reason).toEqual(expect.any(String));
  expect(states.Small!.placements).toEqual({ LOCAL: 1 });
  expect(states.Medium!.placements).toEqual({ LAMBDA: 1 });
  expect(states.Large!.placements).toEqual({ [auto]: 1 });
  expect(tasks.Medium!.attempts).toEqual([expect.objectContaining({ placement: 'LAMBDA' })]);

  for (const state of ['Small', 'Medium', 'Large']) {
    expect(tasks[state]!.costUsd).toBeGreaterThan(0);
    expect(states[state]!.costUsd).toBeCloseTo(tasks[state]!.costUsd, 12);
  }
  const total = tasks.Small!.costUsd + tasks.Medium!.costUsd + tasks.Large!.costUsd;
  expect(ended.costUsd).toBeGreaterThan(0);
  expect(ended.costUsd as number).toBeCloseTo(total, 12);

  // The history names each resource as Step Functions does: lambda:invoke as a Task, a function ARN as a Lambda.
  const history = (await get(`${self}/history`)) as { events: Array<{ type: string }> };
  const types = history.events.map((e) => e.type);
  expect(types.filter((t) => t === 'TaskScheduled')).toHaveLength(2);
  expect(types.filter((t) => t === 'LambdaFunctionScheduled')).toHaveLength(1);
  expect(types).toEqual(expect.arrayContaining(['LambdaFunctionSucceeded', 'ParallelStateSucceeded']));
}, 240_000);
