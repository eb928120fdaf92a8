// Section: pipeline overhead per transition. One run measures, on the same stack and one after another:
//   - a chain of N Pass states (the interpreter alone: one workflow, no activities),
//   - a chain of N Task states on the LOCAL noop function (each a child runTask, as every Task state is),
//   - the baseline: a raw Temporal workflow calling N no-op activities in sequence, with its worker in this process.
// Executions go through the Step Functions endpoint (CreateStateMachine, StartExecution) and completion is followed
// with the Temporal client's handle.result(), the same for all three.
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { NativeConnection, Worker } from '@temporalio/worker';
import { deployFolders, exampleFolders } from '../cli/deploy-folders';
import * as activities from './baseline-activities';
import type { BenchContext } from './context';
import { request } from './http';
import { ratio, round, summarize, withTimeout, type Summary } from './stats';

const TRANSITIONS = 20;
const QUEUE = 'bench-pipeline-baseline';

export interface PipelineOverheadResult {
  transitions: number;
  runs: number;
  passMs: Summary;
  taskMs: Summary;
  baselineMs: Summary;
  perTransitionMs: { pass: number | null; task: number | null; baselineActivity: number | null };
  taskOverBaseline: number | null;
}

function chain(type: 'Pass' | 'Task', n: number) {
  const states: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const next = i + 1 < n ? { Next: `S${i + 1}` } : { End: true };
    states[`S${i}`] =
      type === 'Pass'
        ? { Type: 'Pass', Result: i, ResultPath: '$.last', ...next }
        : { Type: 'Task', Resource: 'noop', ResultPath: '$.last', Spillway: { ExecutionMode: 'LOCAL' }, ...next };
  }
  return JSON.stringify({ StartAt: 'S0', States: states });
}

async function sfn(ctx: BenchContext, operation: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await request(`${ctx.stack.apiUrl}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AWSStepFunctions.${operation}` },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`${operation}: ${res.status} ${res.body}`);
  return JSON.parse(res.body) as Record<string, unknown>;
}

export async function pipelineOverhead(ctx: BenchContext): Promise<PipelineOverheadResult> {
  const runs = ctx.options.quick ? 3 : 10;
  const tag = randomBytes(3).toString('hex');
  // The Task chain runs the noop example function, deployed as a user deploys it.
  const lambda = new LambdaClient({
    endpoint: ctx.stack.lambdaUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  try {
    await deployFolders(lambda, exampleFolders().filter((f) => path.basename(f) === 'noop'));
  } finally {
    lambda.destroy();
  }
  const machines: Record<'Pass' | 'Task', string> = { Pass: `bench-pass-${tag}`, Task: `bench-task-${tag}` };
  for (const type of ['Pass', 'Task'] as const) {
    await sfn(ctx, 'CreateStateMachine', {
      name: machines[type],
      definition: chain(type, TRANSITIONS),
      roleArn: 'arn:aws:iam::123456789012:role/bench',
    });
  }
  const execute = async (type: 'Pass' | 'Task', i: number) => {
    const name = `run-${i}`;
    const started = performance.now();
    await sfn(ctx, 'StartExecution', {
      stateMachineArn: `arn:aws:states:us-east-1:123456789012:stateMachine:${machines[type]}`,
      name,
      input: '{}',
    });
    await withTimeout(ctx.client.workflow.getHandle(`sfn-exec:${machines[type]}:${name}`).result(), 120_000, name);
    return performance.now() - started;
  };
  const connection = await NativeConnection.connect({ address: ctx.stack.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: QUEUE,
    workflowsPath: require.resolve('./pipeline-baseline-workflows'),
    activities,
  });
  const running = worker.run();
  const pass: number[] = [];
  const task: number[] = [];
  const baseline: number[] = [];
  try {
    // One warm-up of each, not measured: the first Task run fetches the noop package.
    await execute('Pass', -1);
    await execute('Task', -1);
    await ctx.client.workflow.execute('baselineSequence', {
      taskQueue: QUEUE,
      workflowId: `bench-seq-${tag}-w`,
      args: [TRANSITIONS],
    });
    for (let i = 0; i < runs; i++) {
      pass.push(await execute('Pass', i));
      task.push(await execute('Task', i));
      const started = performance.now();
      await ctx.client.workflow.execute('baselineSequence', {
        taskQueue: QUEUE,
        workflowId: `bench-seq-${tag}-${i}`,
        args: [TRANSITIONS],
      });
      baseline.push(performance.now() - started);
    }
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
  }
  const passMs = summarize(pass);
  const taskMs = summarize(task);
  const baselineMs = summarize(baseline);
  const per = (s: Summary) => (s.p50 === null ? null : round(s.p50 / TRANSITIONS, 2));
  const result: PipelineOverheadResult = {
    transitions: TRANSITIONS,
    runs,
    passMs,
    taskMs,
    baselineMs,
    perTransitionMs: { pass: per(passMs), task: per(taskMs), baselineActivity: per(baselineMs) },
    taskOverBaseline: ratio(taskMs.p50, baselineMs.p50),
  };
  const baselineName = `raw Temporal workflow, ${TRANSITIONS} sequential no-op activities (p50 / ${TRANSITIONS})`;
  ctx.rows.push(
    {
      section: 'pipelines',
      figure: `Pass state, per transition (${TRANSITIONS}-state chain, p50 of ${runs})`,
      measured: result.perTransitionMs.pass,
      unit: 'ms',
      baseline: result.perTransitionMs.baselineActivity,
      baselineName,
      ratio: ratio(result.perTransitionMs.pass, result.perTransitionMs.baselineActivity),
    },
    {
      section: 'pipelines',
      figure: `Task state (LOCAL noop), per transition (${TRANSITIONS}-state chain, p50 of ${runs})`,
      measured: result.perTransitionMs.task,
      unit: 'ms',
      baseline: result.perTransitionMs.baselineActivity,
      baselineName,
      ratio: result.taskOverBaseline,
    },
  );
  ctx.log(
    `pipelines: Pass ${result.perTransitionMs.pass} ms, Task ${result.perTransitionMs.task} ms, raw activity ${result.perTransitionMs.baselineActivity} ms per transition`,
  );
  return result;
}
