// A pipeline execution's progress on the live event stream (GET /api/events, SSE `pipeline`), as a dashboard reads
// it: from RUNNING to its end, revisions rising, each event with the states that changed and a stream id.
import { StartExecutionCommand, CreateStateMachineCommand, DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { Worker } from '@temporalio/worker';
import { executionWorkflowId } from '../../pipelines/arns';
import type { PipelineProgress } from '../../pipelines/progress';
import { eventually, uniqueId } from '../support/test-stack';
import { ROLE, startSfnStack, type SfnStack } from './sfn-api';

let stack: SfnStack;
beforeAll(async () => {
  stack = await startSfnStack();
});
afterAll(async () => {
  const force = setTimeout(() => stack?.app.server.closeAllConnections(), 2_000);
  await stack?.close();
  clearTimeout(force);
});

interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** Reads the SSE stream until `until` says an event is the last one wanted (or the deadline passes). */
async function readEvents(
  url: string,
  until: (e: SseEvent) => boolean,
  started: () => Promise<void>,
  timeoutMs = 60_000,
): Promise<SseEvent[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const res = await fetch(url, { signal: abort.signal });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let buffer = '';
  let begun = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: SseEvent = { event: 'message', data: '' };
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) event.id = line.slice(4);
          else if (line.startsWith('event: ')) event.event = line.slice(7);
          else if (line.startsWith('data: ')) event.data += line.slice(6);
        }
        if (!event.data) continue;
        events.push(event);
        if (until(event)) return events;
      }
      // The stream is open once its first bytes arrived: only now start what it should see.
      if (!begun) {
        begun = true;
        await started();
      }
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return events;
}

test('an execution publishes its progress to the live stream, from RUNNING to SUCCEEDED', async () => {
  const name = uniqueId('live').replace(/^test-/, 'l');
  const { stateMachineArn } = await stack.sfn.send(
    new CreateStateMachineCommand({
      name,
      roleArn: ROLE,
      definition: JSON.stringify({
        StartAt: 'Prepare',
        States: {
          Prepare: { Type: 'Pass', Result: 1, ResultPath: '$.prepared', Next: 'Ping' },
          Ping: { Type: 'Task', Resource: 'noop', ResultPath: '$.ping', End: true },
        },
      }),
    }),
  );
  const mine = (e: SseEvent) =>
    e.event === 'pipeline' && (JSON.parse(e.data) as PipelineProgress).stateMachineName === name;
  const events = await readEvents(
    `${stack.endpoint}/api/events`,
    (e) => mine(e) && (JSON.parse(e.data) as PipelineProgress).status !== 'RUNNING',
    async () => {
      await stack.sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'run-1' }));
    },
  );
  const progress = events.filter(mine).map((e) => ({ id: e.id, ...(JSON.parse(e.data) as PipelineProgress) }));
  expect(progress.length).toBeGreaterThanOrEqual(2);
  expect(progress.every((p) => /^\d+-\d+$/.test(p.id ?? ''))).toBe(true);
  expect(progress[0]).toEqual(
    expect.objectContaining({
      kind: 'pipeline',
      executionArn: `arn:aws:states:us-east-1:123456789012:execution:${name}:run-1`,
      executionName: 'run-1',
      status: 'RUNNING',
    }),
  );
  const revisions = progress.map((p) => p.revision);
  expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
  expect(new Set(revisions).size).toBe(revisions.length);
  const last = progress.at(-1)!;
  expect(last.status).toBe('SUCCEEDED');
  // Every state's latest view reached the stream, the Task's with its placement.
  const latest = new Map(progress.flatMap((p) => p.states.map((s) => [s.name, s] as const)));
  expect(latest.get('Prepare')).toEqual(expect.objectContaining({ status: 'SUCCEEDED' }));
  expect(latest.get('Ping')).toEqual(expect.objectContaining({ status: 'SUCCEEDED', placements: { LOCAL: 1 } }));
  expect(last.costUsd).toBeCloseTo(latest.get('Ping')!.costUsd, 12);
  // The REST view is that of the last event.
  const rest = await stack.app.inject({ method: 'GET', url: `/api/pipelines/${name}/executions/run-1` });
  expect(rest.json()).toEqual(expect.objectContaining({ status: 'SUCCEEDED', revision: last.revision }));
});

test('an execution whose tasks, branches and progress publishes all run at once replays without a nondeterminism error', async () => {
  // The publisher wakes up on the interpreter's changes while tasks start and finish concurrently: its activity
  // must be scheduled at the same points on replay (a query of a closed execution replays it, and so does a worker
  // that lost its cache).
  const name = uniqueId('busy').replace(/^test-/, 'l');
  const { stateMachineArn } = await stack.sfn.send(
    new CreateStateMachineCommand({
      name,
      roleArn: ROLE,
      definition: JSON.stringify({
        StartAt: 'Both',
        States: {
          Both: {
            Type: 'Parallel',
            Branches: [
              {
                StartAt: 'Each',
                States: {
                  Each: {
                    Type: 'Map',
                    ItemsPath: '$.items',
                    MaxConcurrency: 3,
                    ItemProcessor: {
                      StartAt: 'Work',
                      States: {
                        Work: {
                          Type: 'Task',
                          QueryLanguage: 'JSONata',
                          Resource: 'flaky',
                          // Fails its first try where the item says so; the retry succeeds.
                          Arguments: {
                            failAttempts: '{% $states.context.State.RetryCount < $states.input.fail ? 1 : 0 %}',
                          },
                          Retry: [{ ErrorEquals: ['FlakyError'], IntervalSeconds: 1, MaxAttempts: 1 }],
                          End: true,
                        },
                      },
                    },
                    End: true,
                  },
                },
              },
              {
                StartAt: 'Ping',
                States: {
                  Ping: { Type: 'Task', Resource: 'noop', Next: 'Pong' },
                  Pong: { Type: 'Task', Resource: 'noop', End: true },
                },
              },
            ],
            End: true,
          },
        },
      }),
    }),
  );
  const items = Array.from({ length: 6 }, (_, i) => ({ fail: i % 3 === 0 ? 1 : 0 }));
  await stack.sfn.send(
    new StartExecutionCommand({ stateMachineArn, name: 'busy-1', input: JSON.stringify({ items }) }),
  );
  const executionArn = `arn:aws:states:us-east-1:123456789012:execution:${name}:busy-1`;
  const done = await eventually(
    async () => {
      const d = await stack.sfn.send(new DescribeExecutionCommand({ executionArn }));
      return d.status === 'RUNNING' ? undefined : d;
    },
    120_000,
    250,
  );
  expect(done.status).toBe('SUCCEEDED');
  const workflowId = executionWorkflowId(name, 'busy-1');
  const handle = stack.harness.client.workflow.getHandle(workflowId);
  await eventually(async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined));
  const history = await handle.fetchHistory();
  await expect(
    Worker.runReplayHistory({ workflowsPath: require.resolve('../../workflows') }, history, workflowId),
  ).resolves.toBeUndefined();
  const published = (history.events ?? []).filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'publishPipelineProgress',
  );
  expect(published.length).toBeGreaterThanOrEqual(2);
}, 180_000);
