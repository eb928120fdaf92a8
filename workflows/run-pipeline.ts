// runPipeline: one Step Functions execution is one workflow. It interprets the definition deterministically
// (workflows/pipeline-interpreter.ts), keeps the execution record (history in Step Functions' shape, a view per
// state, Map Runs) as workflow state served by queries, mirrors the status into the PipelineStatus search
// attribute, and ends as Temporal ends things: Completed (SUCCEEDED), Failed (FAILED, TIMED_OUT) or Canceled
// (ABORTED, after StopExecution). A redrive is a new run of the same workflow id seeded with where this one stopped.
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  PipelineDescription,
  PipelineInput,
  PipelineResult,
  RedriveSeed,
  StopRequest,
} from '../domain/pipeline-model';
import type { PipelineProgressActivities } from '../activities/pipeline-progress';
import { PIPELINE_STATUS_KEY } from '../domain/search-attributes';
import type { ExecutionRecord, ExecutionStatus, PipelineEvent, RunState, StateView } from '../pipelines';
import {
  executionKey,
  NO_RETRIES,
  newExecutionRecord,
  pipelineProgress,
  reduceExecution,
  STATES_ERRORS,
} from '../pipelines';
import { Interpreter } from './pipeline-interpreter';
import {
  describeExecutionQuery,
  executionHistoryQuery,
  redriveSeedQuery,
  stopExecutionSignal,
  taskTokenUpdate,
} from './pipeline-signals';

/**
 * patched() id: a machine timeout that fired while the last step finished anyway (a task that completed though its
 * cancellation was asked for) ends the execution TIMED_OUT, as on AWS, instead of with the step's outcome.
 */
const TIMEOUT_WINS_PATCH = 'pipeline-machine-timeout-wins';
/** patched() id: the execution publishes its progress to the live event stream (an activity per change). */
const LIVE_PROGRESS_PATCH = 'pipeline-live-progress';

/**
 * One attempt, briefly: a lost progress event costs a dashboard a refresh, never the pipeline a delay. An activity,
 * not a local one: its completion is an event in the history, so where the publisher wakes up replays exactly; a
 * local activity racing the interpreter's own (preparePipelineTask) resolves in a different order on replay.
 */
const progress = proxyActivities<PipelineProgressActivities>({
  startToCloseTimeout: 10_000,
  retry: { maximumAttempts: 1 },
});

export async function runPipeline(input: PipelineInput): Promise<PipelineResult> {
  const { definition, context } = input;
  const startMs = Date.parse(context.startTime);
  const redrive = input.redrive;
  let record: ExecutionRecord = redrive ? redrive.seed.record : newExecutionRecord(input.input, startMs);
  let changed = true;
  const emit = (event: PipelineEvent) => {
    record = reduceExecution(record, event);
    changed = true;
  };
  let top: RunState | undefined;
  let stop: StopRequest | undefined;
  let finished = false;

  const interpreter = new Interpreter({
    context,
    executionKey: executionKey(workflowInfo().workflowId),
    taskScope: `r${redrive?.count ?? 0}`,
    record: emit,
    seedDone: redrive ? { ...redrive.seed.done } : {},
    redriveCount: redrive?.count ?? 0,
  });

  const seed = (): RedriveSeed | undefined => {
    // Asked of a closed run only (the API checks); a terminated run never got to `finished`.
    if (record.status === 'SUCCEEDED' || !top) return undefined;
    return {
      stateName: top.stateName,
      input: top.input,
      variables: { ...top.variables },
      transitions: top.transitions,
      done: { ...interpreter.done },
      record,
    };
  };
  setHandler(describeExecutionQuery, (): PipelineDescription => {
    const { events: _events, ...rest } = record;
    return { context, definition, type: input.type, record: rest, redrivable: finished && seed() !== undefined };
  });
  setHandler(executionHistoryQuery, () => ({ events: record.events, dropped: record.dropped }));
  setHandler(redriveSeedQuery, seed);
  setHandler(stopExecutionSignal, (request) => {
    stop = request;
  });
  setHandler(
    taskTokenUpdate,
    ({ entry, outcome }) => {
      const waiting = interpreter.waiting.get(entry)!;
      if (outcome.kind === 'heartbeat') waiting.heartbeats++;
      else waiting.outcome ??= outcome;
    },
    {
      validator: ({ entry }) => {
        if (!interpreter.waiting.has(entry) || interpreter.waiting.get(entry)!.outcome) {
          throw new Error('TaskTimedOut: the task of this token is no longer waiting');
        }
      },
    },
  );

  // The live stream gets the record's changes: one publish in flight at a time, the next carrying every change made
  // while it was out (however many states), the last one before the run ends. Runs recorded before this have none.
  let closing = false;
  let published: Record<string, StateView> = {};
  const ids = {
    executionArn: context.executionArn,
    stateMachineName: context.stateMachineName,
    executionName: context.executionName,
  };
  const publisher = patched(LIVE_PROGRESS_PATCH)
    ? CancellationScope.nonCancellable(async () => {
        for (;;) {
          await condition(() => changed || closing);
          if (!changed) return;
          changed = false;
          const event = pipelineProgress(record, published, ids, Date.now());
          published = record.states;
          await progress.publishPipelineProgress(event).catch(() => undefined);
        }
      })
    : Promise.resolve();
  /** Publishes what is left to publish (the end of the run) and stops the publisher. */
  const drain = async () => {
    closing = true;
    await publisher;
  };

  const setStatus = (status: ExecutionStatus) => upsertSearchAttributes([{ key: PIPELINE_STATUS_KEY, value: status }]);
  if (redrive) {
    emit({ kind: 'executionRedriven', at: Date.now(), redriveCount: redrive.count });
    setStatus('RUNNING');
  } else {
    emit({
      kind: 'executionStarted',
      at: startMs,
      input: input.input,
      roleArn: context.roleArn,
      stateMachineArn: context.stateMachineArn,
      redriveCount: 0,
    });
  }

  const start: RunState | undefined = redrive
    ? {
        version: 1,
        status: 'running',
        stateName: redrive.seed.stateName,
        input: redrive.seed.input,
        variables: redrive.seed.variables,
        retryCounters: NO_RETRIES,
        enteredAtMs: Date.now(),
        transitions: redrive.seed.transitions,
      }
    : undefined;

  // The machine's TimeoutSeconds: a timer that cancels the run's scope. It counts from the execution's start, or
  // from this run's start when it is a redrive: Step Functions gives a redriven execution its full timeout again,
  // so one whose window has passed (a TIMED_OUT one, always) can still finish. Only the timer's length differs from
  // before, not the commands, so histories recorded earlier replay unchanged.
  const runScope = new CancellationScope();
  let timedOut = false;
  const timeoutMs = (definition.TimeoutSeconds ?? 0) * 1000;
  const windowStartMs = redrive ? Date.now() : startMs;
  const remaining = timeoutMs > 0 ? Math.max(0, windowStartMs + timeoutMs - Date.now()) : 0;
  if (timeoutMs > 0) {
    void CancellationScope.nonCancellable(async () => {
      await sleep(remaining);
      if (!finished) {
        timedOut = true;
        runScope.cancel();
      }
    }).catch(() => undefined);
  }

  const endTimedOut = async () => {
    const cause = `The execution did not finish within its TimeoutSeconds (${definition.TimeoutSeconds} s)`;
    emit({ kind: 'executionTimedOut', at: Date.now(), error: STATES_ERRORS.Timeout, cause });
    setStatus('TIMED_OUT');
    await drain();
    return ApplicationFailure.create({
      type: STATES_ERRORS.Timeout,
      message: cause,
      nonRetryable: true,
      details: [{ status: 'TIMED_OUT', error: STATES_ERRORS.Timeout, cause }],
    });
  };

  try {
    const run = await runScope.run(() =>
      interpreter.runMachine(definition, input.input, {}, '', false, input.input, {
        ...(start ? { start } : {}),
        onStep: (r) => {
          if (top && r.transitions !== top.transitions) interpreter.resetDone();
          top = r;
        },
      }),
    );
    finished = true;
    if (timedOut && patched(TIMEOUT_WINS_PATCH)) throw await endTimedOut();
    if (run.status === 'succeeded') {
      emit({ kind: 'executionSucceeded', at: Date.now(), output: run.output ?? null });
      setStatus('SUCCEEDED');
      await drain();
      return { status: 'SUCCEEDED', output: run.output ?? null };
    }
    const error = run.error ?? '';
    const cause = run.cause ?? '';
    emit({ kind: 'executionFailed', at: Date.now(), error, cause });
    setStatus('FAILED');
    await drain();
    throw ApplicationFailure.create({
      type: error || 'States.Failed',
      message: cause || error || 'The execution failed',
      nonRetryable: true,
      details: [{ status: 'FAILED', error, cause }],
    });
  } catch (err) {
    if (!isCancellation(err)) throw err;
    finished = true;
    if (timedOut) throw await endTimedOut();
    emit({ kind: 'executionAborted', at: Date.now(), error: stop?.error ?? '', cause: stop?.cause ?? '' });
    setStatus('ABORTED');
    await drain();
    throw err;
  }
}
