// The ASL interpreter loop that runPipeline and runPipelineMapBatch share. It drives the pure stepping core
// (pipelines/interpreter.ts) and performs the effects as Temporal does them: every Task state attempt is a child
// `runTask` workflow (one ASL attempt = one task attempt, so Retry and Catch count exactly), Retry delays and Wait
// states are durable timers, Parallel branches and inline Map items are concurrent promises in this workflow, and a
// distributed Map runs its items as child workflows, a batch of items each. Everything that happens is fed to the
// execution-record reducer as a PipelineEvent.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  executeChild,
  isCancellation,
  ParentClosePolicy,
  proxyLocalActivities,
  sleep,
  startChild,
  TimeoutFailure,
  uuid4,
  workflowInfo,
  ChildWorkflowCancellationType,
} from '@temporalio/workflow';
import type { PipelineActivities } from '../activities/pipeline-tasks';
import { PIPELINE_MAP_BATCH_WORKFLOW_TYPE, TASK_WORKFLOW_TYPE, WORKFLOW_TASK_QUEUE } from '../domain/constants';
import type { MapBatchInput, MapBatchResult, PipelineContext, TaskTokenOutcome } from '../domain/pipeline-model';
import { PIPELINE_EXECUTION_KEY, PIPELINE_NAME_KEY, taskSearchAttributes } from '../domain/search-attributes';
import type { TaskState as SpillwayTaskState } from '../domain/task-model';
import type {
  BranchOutcome,
  Completion,
  JsonValue,
  MapAction,
  ParallelAction,
  PipelineEvent,
  RunState,
  StateMachineDefinition,
  StepEnv,
  TaskAction,
  TaskOutcome,
  TaskResourceInfo,
  Variables,
} from '../pipelines';
import {
  advanceRun,
  batchConcurrency,
  batchRanges,
  completeMap,
  completeParallel,
  completeTask,
  emptyMapCounts,
  enterState,
  foldMapRun,
  lambdaFunctionError,
  lambdaInvokeResult,
  mapRunArn,
  parseTaskResource,
  pipelineTaskId,
  runEnv,
  startRun,
  STATES_ERRORS,
  thresholdExceeded,
  totalRetries,
} from '../pipelines';

/** Items per distributed Map child workflow: a batch of 100 Pass items is a handful of history events. */
export const MAP_BATCH_SIZE = 100;
/** Batches of one distributed Map running at once, at most. */
export const MAX_MAP_BATCHES = 20;
/** Step Functions caps an execution at 25,000 history events; this caps the transitions of one run the same. */
export const MAX_TRANSITIONS = 25_000;

/** Building a task reads the cached function directory: a local activity, no round trip through the server. */
const control = proxyLocalActivities<PipelineActivities>({
  startToCloseTimeout: 30_000,
  retry: { maximumAttempts: 5, initialInterval: 500 },
});
const signing = proxyLocalActivities<PipelineActivities>({
  startToCloseTimeout: 5_000,
  retry: { maximumAttempts: 3 },
});

/** Thrown out of a branch that this interpreter aborted on purpose (a sibling failed, the threshold was exceeded). */
class Aborted extends Error {}

export interface InterpreterOptions {
  context: PipelineContext;
  executionKey: string;
  /** Prefix of this run's task ids: `r<redrive>` at the top, `r<redrive>m<map>b<batch>` in a Map batch. */
  taskScope: string;
  record(event: PipelineEvent): void;
  /** Successful outputs of branches and items from the run a redrive continues, by path. */
  seedDone: Record<string, JsonValue>;
  redriveCount: number;
}

export interface WaitingToken {
  stateName: string;
  outcome?: TaskTokenOutcome;
  heartbeats: number;
}

export class Interpreter {
  /** Outputs of branches and items that succeeded during the current top-level state, for a later redrive. */
  done: Record<string, JsonValue> = {};
  /** `.waitForTaskToken` entries waiting for SendTask*, by entry id. */
  readonly waiting = new Map<string, WaitingToken>();
  private taskSeq = 0;
  private mapSeq = 0;

  constructor(private readonly options: InterpreterOptions) {}

  private now() {
    return Date.now();
  }

  /** Forget what succeeded below the previous top-level state: a redrive restarts from the current one. */
  resetDone() {
    this.done = {};
    this.options.seedDone = {};
  }

  private emit(event: PipelineEvent) {
    this.options.record(event);
  }

  private env(run: RunState, executionInput: JsonValue, taskToken?: string): StepEnv {
    const c = this.options.context;
    return runEnv(run, {
      execution: {
        Id: c.executionArn,
        Name: c.executionName,
        StartTime: c.startTime,
        Input: executionInput,
        RoleArn: c.roleArn,
        RedriveCount: this.options.redriveCount,
      },
      stateMachine: { Id: c.stateMachineArn, Name: c.stateMachineName },
      nowMs: this.now(),
      random: Math.random,
      uuid: uuid4,
      ...(taskToken !== undefined ? { taskToken } : {}),
    });
  }

  /**
   * Runs a machine (the top level, a branch or an item) to its end. `path` prefixes the redrive keys of what runs
   * below it; `onStep` sees every step (the top level keeps the run for redrive); `start` resumes a redriven run.
   */
  async runMachine(
    machine: StateMachineDefinition,
    input: JsonValue,
    variables: Variables,
    path: string,
    inItem: boolean,
    executionInput: JsonValue,
    hooks: { onStep?: (run: RunState) => void; start?: RunState } = {},
  ): Promise<RunState> {
    let run = hooks.start ?? startRun(machine, input, this.now(), variables);
    hooks.onStep?.(run);
    while (run.status === 'running') {
      if (run.transitions >= MAX_TRANSITIONS) {
        run = advanceRun(
          run,
          {
            kind: 'fail',
            error: STATES_ERRORS.Runtime,
            cause: `The run exceeded ${MAX_TRANSITIONS} state transitions`,
          },
          this.now(),
        );
        break;
      }
      const state = machine.States[run.stateName];
      if (!state) throw ApplicationFailure.nonRetryable(`no state named ${run.stateName}`, 'UnknownStateError');
      const firstEntry = totalRetries(run.retryCounters) === 0;
      if (firstEntry) {
        this.emit({
          kind: 'stateEntered',
          at: this.now(),
          inItem,
          name: run.stateName,
          stateType: state.Type,
          input: run.input,
        });
      }
      let completion: Completion;
      try {
        completion = await this.step(machine, run, path, inItem, executionInput);
      } catch (err) {
        if (isCancellation(err) || err instanceof Aborted) {
          this.emit({ kind: 'stateAborted', at: this.now(), inItem, name: run.stateName, stateType: state.Type });
        }
        throw err;
      }
      const at = this.now();
      switch (completion.kind) {
        case 'retry':
          this.emit({
            kind: 'stateRetrying',
            at,
            inItem,
            name: run.stateName,
            error: completion.error,
            cause: completion.cause,
            delayMs: completion.delayMs,
          });
          await sleep(completion.delayMs);
          break;
        case 'next':
        case 'succeed':
          if (state.Type !== 'Fail') {
            this.emit({
              kind: 'stateExited',
              at,
              inItem,
              name: run.stateName,
              stateType: state.Type,
              output: completion.output,
            });
          }
          if (completion.kind === 'next' && completion.caught) {
            this.emit({
              kind: 'stateCaught',
              at,
              inItem,
              name: run.stateName,
              error: completion.caught.error,
              cause: completion.caught.cause,
            });
          }
          break;
        case 'fail':
          this.emit({
            kind: 'stateFailed',
            at,
            inItem,
            name: run.stateName,
            stateType: state.Type,
            error: completion.error,
            cause: completion.cause,
          });
          break;
      }
      run = advanceRun(run, completion, this.now());
      hooks.onStep?.(run);
    }
    return run;
  }

  private async step(
    machine: StateMachineDefinition,
    run: RunState,
    path: string,
    inItem: boolean,
    executionInput: JsonValue,
  ): Promise<Completion> {
    const state = machine.States[run.stateName]!;
    // A .waitForTaskToken state gets its token before its Parameters are evaluated: they may pass $$.Task.Token on.
    let seq: number | undefined;
    let token: string | undefined;
    if (state.Type === 'Task' && state.Resource.endsWith('.waitForTaskToken')) {
      seq = ++this.taskSeq;
      token = await signing.signPipelineTaskToken({
        claims: { w: workflowInfo().workflowId, r: workflowInfo().runId, e: this.entryId(seq) },
      });
    }
    const envWithInput = (): StepEnv => this.env(run, executionInput, token);
    const env = envWithInput();
    const action = await enterState(machine, run.stateName, run.input, env, run.retryCounters);
    switch (action.kind) {
      case 'task': {
        const outcome = await this.runTask(action, seq ?? ++this.taskSeq, token, inItem);
        return completeTask(machine, run.stateName, run.input, outcome, run.retryCounters, envWithInput());
      }
      case 'wait': {
        const ms =
          action.seconds !== undefined ? action.seconds * 1000 : Math.max(0, (action.untilMs ?? 0) - this.now());
        if (ms > 0) await sleep(ms);
        return action.then;
      }
      case 'parallel': {
        const outcome = await this.runParallel(action, path, inItem, executionInput);
        return completeParallel(machine, run.stateName, run.input, outcome, run.retryCounters, envWithInput());
      }
      case 'map': {
        const outcome =
          action.mode === 'DISTRIBUTED'
            ? await this.runDistributedMap(action, path)
            : await this.runInlineMap(action, path, inItem, executionInput);
        return completeMap(machine, run.stateName, run.input, outcome, run.retryCounters, envWithInput());
      }
      default:
        return action;
    }
  }

  private entryId(seq: number): string {
    return `${this.options.taskScope}.${seq}`;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Task states

  private async runTask(
    action: TaskAction,
    seq: number,
    token: string | undefined,
    inItem: boolean,
  ): Promise<TaskOutcome> {
    const c = this.options.context;
    const taskId = pipelineTaskId(this.options.executionKey, this.options.taskScope, seq, action.stateName);
    const resource = resourceInfo(action, c.region);
    const payload = action.lambda ? action.lambda.payload : action.payload;
    this.emit({
      kind: 'taskScheduled',
      at: this.now(),
      inItem,
      name: action.stateName,
      taskId,
      resource,
      parameters: action.payload,
      ...(action.timeoutSeconds !== undefined ? { timeoutSeconds: action.timeoutSeconds } : {}),
      ...(action.heartbeatSeconds !== undefined ? { heartbeatSeconds: action.heartbeatSeconds } : {}),
    });
    const fail = (error: string, cause: string, extra: { timedOut?: boolean; placement?: 'LOCAL' | 'LAMBDA' } = {}) => {
      this.emit({
        kind: 'taskFailed',
        at: this.now(),
        inItem,
        name: action.stateName,
        taskId,
        resource,
        error,
        cause,
        ...extra,
      });
      return { status: 'failed', error, cause } as const;
    };
    const prepared = await control.preparePipelineTask({
      taskId,
      name: `${c.executionName} · ${action.stateName}`.slice(0, 200),
      stateName: action.stateName,
      resource: action.resource,
      payload,
      ...(action.lambda ? { lambda: action.lambda } : {}),
      executionMode: action.executionMode ?? c.defaultExecutionMode,
      ...(action.timeoutSeconds !== undefined ? { timeoutSeconds: action.timeoutSeconds } : {}),
    });
    if (!prepared.ok) return fail(prepared.error, prepared.cause);
    const task = prepared.task;
    const requested = task.executionMode === 'AUTO' ? undefined : task.executionMode;
    const failTask = (error: string, cause: string, timedOut?: boolean) =>
      fail(error, cause, { ...(timedOut ? { timedOut } : {}), ...(requested ? { placement: requested } : {}) });
    // The task runs in its own scope, so a state timeout can cancel it.
    const taskScope = new CancellationScope();
    const child = await taskScope.run(() =>
      startChild(TASK_WORKFLOW_TYPE, {
        workflowId: taskId,
        taskQueue: WORKFLOW_TASK_QUEUE,
        args: [task],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_REQUESTED,
        typedSearchAttributes: [
          // The attributes any task starts with, the same as the API gives it, and the pipeline it belongs to.
          ...taskSearchAttributes(task),
          { key: PIPELINE_NAME_KEY, value: c.stateMachineName },
          { key: PIPELINE_EXECUTION_KEY, value: c.executionArn },
        ],
      }),
    );
    this.emit({ kind: 'taskStarted', at: this.now(), inItem, name: action.stateName, taskId, resource });
    const entry = this.entryId(seq);
    const waiting: WaitingToken | undefined = token ? { stateName: action.stateName, heartbeats: 0 } : undefined;
    if (waiting) this.waiting.set(entry, waiting);
    try {
      // TimeoutSeconds covers the whole state; the task's own timeout covers one attempt of its function.
      const deadline = action.timeoutSeconds !== undefined ? this.now() + action.timeoutSeconds * 1000 : undefined;
      let taskState: SpillwayTaskState | undefined;
      let taskError: { error: string; cause: string; timedOut: boolean } | undefined;
      const taskDone = child.result().then(
        (s) => {
          taskState = s as SpillwayTaskState;
        },
        (err: unknown) => {
          if (isCancellation(err)) throw err;
          taskError = taskErrorOf(err, action);
        },
      );
      let settled = false;
      void taskDone.then(
        () => (settled = true),
        () => (settled = true),
      );
      if (!waiting) {
        const within = deadline === undefined ? true : await condition(() => settled, deadline - this.now());
        if (!within) {
          taskScope.cancel();
          return failTask(
            STATES_ERRORS.Timeout,
            `The task did not finish within ${action.timeoutSeconds} seconds`,
            true,
          );
        }
        await taskDone;
        if (taskError) return failTask(taskError.error, taskError.cause, taskError.timedOut);
        const result = resultOf(action, taskState!);
        const placement = taskState!.placement?.placement;
        this.emit({
          kind: 'taskSucceeded',
          at: this.now(),
          inItem,
          name: action.stateName,
          taskId,
          resource,
          output: result,
          ...(placement ? { placement } : {}),
          ...(taskState!.costUsd !== undefined ? { costUsd: taskState!.costUsd } : {}),
        });
        return { status: 'succeeded', result };
      }
      // .waitForTaskToken: the task hands the token on; the state ends when someone returns it (or the task fails).
      for (;;) {
        const beats = waiting.heartbeats;
        const limitMs = Math.min(
          deadline === undefined ? Number.MAX_SAFE_INTEGER : deadline - this.now(),
          action.heartbeatSeconds === undefined ? Number.MAX_SAFE_INTEGER : action.heartbeatSeconds * 1000,
        );
        const done = () => waiting.outcome !== undefined || taskError !== undefined || waiting.heartbeats !== beats;
        const within =
          limitMs >= Number.MAX_SAFE_INTEGER
            ? (await condition(done), true)
            : await condition(done, Math.max(0, limitMs));
        if (waiting.outcome) break;
        if (taskError) return fail(taskError.error, taskError.cause, { timedOut: taskError.timedOut });
        if (within) continue; // a heartbeat: the heartbeat timer starts again
        taskScope.cancel();
        if (deadline !== undefined && this.now() >= deadline) {
          return fail(STATES_ERRORS.Timeout, `No task token returned within ${action.timeoutSeconds} seconds`, {
            timedOut: true,
          });
        }
        return fail(STATES_ERRORS.HeartbeatTimeout, `No SendTaskHeartbeat within ${action.heartbeatSeconds} seconds`, {
          timedOut: true,
        });
      }
      const outcome = waiting.outcome!;
      if (outcome.kind === 'failure') return fail(outcome.error, outcome.cause);
      const output = outcome.kind === 'success' ? outcome.output : null;
      this.emit({ kind: 'taskSucceeded', at: this.now(), inItem, name: action.stateName, taskId, resource, output });
      return { status: 'succeeded', result: output };
    } finally {
      this.waiting.delete(entry);
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // Parallel and inline Map

  /** Runs one branch or item; a redrive reuses its output if it succeeded before. */
  private async runBranch(
    key: string,
    machine: StateMachineDefinition,
    input: JsonValue,
    variables: Variables,
    inItem: boolean,
    executionInput: JsonValue,
  ): Promise<BranchOutcome> {
    if (Object.prototype.hasOwnProperty.call(this.options.seedDone, key)) {
      const output = this.options.seedDone[key]!;
      this.done[key] = output;
      return { status: 'succeeded', output };
    }
    const run = await this.runMachine(machine, input, variables, key, inItem, executionInput);
    if (run.status === 'succeeded') {
      this.done[key] = run.output ?? null;
      return { status: 'succeeded', output: run.output ?? null };
    }
    return { status: 'failed', error: run.error ?? '', cause: run.cause ?? '' };
  }

  private async runParallel(action: ParallelAction, path: string, inItem: boolean, executionInput: JsonValue) {
    this.emit({ kind: 'parallelStarted', at: this.now(), inItem, name: action.stateName });
    const scopes: CancellationScope[] = [];
    let first: { error: string; cause: string } | undefined;
    let aborting = false;
    const outcomes = await Promise.all(
      action.branches.map(async (branch, i): Promise<BranchOutcome | undefined> => {
        const scope = new CancellationScope();
        scopes.push(scope);
        try {
          const outcome = await scope.run(() =>
            this.runBranch(
              `${path}${action.stateName}#${i}/`,
              branch.machine,
              branch.input,
              branch.variables,
              inItem,
              executionInput,
            ),
          );
          if (outcome.status === 'failed' && !first) {
            first = { error: outcome.error, cause: outcome.cause };
            // Step Functions stops the other branches once one fails.
            aborting = true;
            for (const s of scopes) if (s !== scope) s.cancel();
          }
          return outcome;
        } catch (err) {
          if (aborting && isCancellation(err)) return undefined;
          throw err;
        }
      }),
    );
    if (first) {
      this.emit({ kind: 'parallelEnded', at: this.now(), inItem, name: action.stateName, status: 'failed' });
      return { status: 'failed', ...first } as const;
    }
    this.emit({ kind: 'parallelEnded', at: this.now(), inItem, name: action.stateName, status: 'succeeded' });
    return {
      status: 'succeeded',
      outputs: outcomes.map((o) => (o?.status === 'succeeded' ? o.output : null)),
    } as const;
  }

  private async runInlineMap(action: MapAction, path: string, inItem: boolean, executionInput: JsonValue) {
    const total = action.items.length;
    this.emit({ kind: 'mapStarted', at: this.now(), inItem, name: action.stateName, length: total });
    const outcomes: (BranchOutcome | undefined)[] = new Array<BranchOutcome | undefined>(total).fill(undefined);
    const running = new Map<number, CancellationScope>();
    let failures = 0;
    let first: { error: string; cause: string } | undefined;
    let stopping = false;
    let next = 0;
    const limit = action.maxConcurrency > 0 ? action.maxConcurrency : total;
    const lane = async () => {
      while (!stopping && next < total) {
        const i = next++;
        const item = action.items[i]!;
        const scope = new CancellationScope();
        running.set(i, scope);
        this.emit({
          kind: 'mapItem',
          at: this.now(),
          inItem: true,
          name: action.stateName,
          index: i,
          status: 'started',
        });
        try {
          const outcome = await scope.run(() =>
            this.runBranch(
              `${path}${action.stateName}#${i}/`,
              item.machine,
              item.input,
              item.variables,
              true,
              executionInput,
            ),
          );
          outcomes[i] = outcome;
          this.emit({
            kind: 'mapItem',
            at: this.now(),
            inItem: true,
            name: action.stateName,
            index: i,
            status: outcome.status === 'succeeded' ? 'succeeded' : 'failed',
          });
          if (outcome.status === 'failed') {
            failures++;
            first ??= { error: outcome.error, cause: outcome.cause };
            if (thresholdExceeded(action, failures, total) && !stopping) {
              stopping = true;
              for (const [j, s] of running) if (j !== i) s.cancel();
            }
          }
        } catch (err) {
          if (!(stopping && isCancellation(err))) throw err;
          this.emit({
            kind: 'mapItem',
            at: this.now(),
            inItem: true,
            name: action.stateName,
            index: i,
            status: 'aborted',
          });
        } finally {
          running.delete(i);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, total) }, lane));
    const outcome = foldMapRun(action, outcomes, first);
    this.emit({
      kind: 'mapEnded',
      at: this.now(),
      inItem,
      name: action.stateName,
      status: outcome.status === 'succeeded' ? 'succeeded' : 'failed',
    });
    return outcome;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Distributed Map: batches of items as child workflows, a Map Run as DescribeMapRun reports it

  private async runDistributedMap(action: MapAction, path: string) {
    const c = this.options.context;
    const seq = ++this.mapSeq;
    const label = action.label ?? action.stateName;
    const arn = mapRunArn(c, c.stateMachineName, label, c.executionName, seq);
    const total = action.items.length;
    const outcomes: (BranchOutcome | undefined)[] = new Array<BranchOutcome | undefined>(total).fill(undefined);
    const keyOf = (i: number) => `${path}${action.stateName}#${i}/`;
    // Items that succeeded before a redrive are not run again.
    const pending: number[] = [];
    for (let i = 0; i < total; i++) {
      const key = keyOf(i);
      if (Object.prototype.hasOwnProperty.call(this.options.seedDone, key)) {
        outcomes[i] = { status: 'succeeded', output: this.options.seedDone[key]! };
        this.done[key] = this.options.seedDone[key]!;
      } else pending.push(i);
    }
    const ranges = batchRanges(pending.length, MAP_BATCH_SIZE);
    const { batches: lanes, perBatch } = batchConcurrency(action.maxConcurrency, MAP_BATCH_SIZE, MAX_MAP_BATCHES);
    const items = emptyMapCounts(total);
    items.succeeded = total - pending.length;
    items.pending = pending.length;
    const executions = emptyMapCounts(ranges.length);
    this.emit({
      kind: 'mapStarted',
      at: this.now(),
      name: action.stateName,
      length: total,
    });
    this.emit({
      kind: 'mapRunStarted',
      at: this.now(),
      name: action.stateName,
      seq,
      mapRunArn: arn,
      total,
      batches: ranges.length,
      maxConcurrency: action.maxConcurrency,
      toleratedFailureCount: action.toleratedFailureCount ?? 0,
      toleratedFailurePercentage: action.toleratedFailurePercentage ?? 0,
    });
    const progress = () => {
      this.emit({ kind: 'mapRunProgress', at: this.now(), seq, items: { ...items }, executions: { ...executions } });
      this.emit({ kind: 'mapCounts', at: this.now(), name: action.stateName, counts: { ...items } });
    };
    progress();
    let failures = 0;
    let first: { error: string; cause: string } | undefined;
    let stopping = false;
    const running = new Map<number, CancellationScope>();
    let next = 0;
    const failFast = action.toleratedFailureCount === undefined && action.toleratedFailurePercentage === undefined;
    const lane = async () => {
      while (!stopping && next < ranges.length) {
        const b = next++;
        const [start, end] = ranges[b]!;
        const indices = pending.slice(start, end);
        const scope = new CancellationScope();
        running.set(b, scope);
        executions.pending--;
        executions.running++;
        items.pending -= indices.length;
        items.running += indices.length;
        progress();
        const input: MapBatchInput = {
          version: 1,
          context: c,
          itemMachine: action.itemMachine,
          items: indices.map((i) => ({ index: i, input: action.items[i]!.input, value: action.items[i]!.value })),
          concurrency: perBatch,
          taskScope: `${this.options.taskScope}m${seq}b${b}`,
          executionKey: this.options.executionKey,
          path,
          stateName: action.stateName,
          // Only what succeeded inside this batch's items (nested Maps, branches) before a redrive.
          done: seedBelow(this.options.seedDone, indices.map(keyOf)),
          failFast,
          ...(this.options.redriveCount > 0 ? { redriveCount: this.options.redriveCount } : {}),
        };
        try {
          const result = await scope.run(() =>
            executeChild<(i: MapBatchInput) => Promise<MapBatchResult>>(PIPELINE_MAP_BATCH_WORKFLOW_TYPE, {
              workflowId: `${workflowInfo().workflowId}/map-${this.options.taskScope}-${seq}/batch-${b}`,
              taskQueue: WORKFLOW_TASK_QUEUE,
              args: [input],
              parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
            }),
          );
          let batchFailed = false;
          for (const { index, outcome } of result.outcomes) {
            items.running--;
            if (!outcome) {
              items.aborted++;
              continue;
            }
            outcomes[index] = outcome;
            if (outcome.status === 'succeeded') items.succeeded++;
            else {
              items.failed++;
              failures++;
              batchFailed = true;
              first ??= { error: outcome.error, cause: outcome.cause };
            }
          }
          Object.assign(this.done, result.done);
          this.emit({ kind: 'stateViews', at: this.now(), views: result.views });
          executions.running--;
          if (batchFailed) executions.failed++;
          else executions.succeeded++;
          if (thresholdExceeded(action, failures, total) && !stopping) {
            stopping = true;
            for (const [j, s] of running) if (j !== b) s.cancel();
          }
        } catch (err) {
          if (!(stopping && isCancellation(err))) throw err;
          executions.running--;
          executions.aborted++;
          items.running -= indices.length;
          items.aborted += indices.length;
        } finally {
          running.delete(b);
          progress();
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(lanes, ranges.length) }, lane));
    } catch (err) {
      if (isCancellation(err)) {
        this.emit({ kind: 'mapRunEnded', at: this.now(), seq, status: 'ABORTED' });
      }
      throw err;
    }
    if (stopping) {
      items.aborted += items.pending;
      items.pending = 0;
      progress();
    }
    const outcome = foldMapRun(action, outcomes, first);
    if (outcome.status === 'succeeded') {
      this.emit({ kind: 'mapRunEnded', at: this.now(), seq, status: 'SUCCEEDED' });
      this.emit({ kind: 'mapEnded', at: this.now(), name: action.stateName, status: 'succeeded' });
    } else {
      this.emit({
        kind: 'mapRunEnded',
        at: this.now(),
        seq,
        status: 'FAILED',
        error: outcome.error,
        cause: outcome.cause,
      });
      this.emit({ kind: 'mapEnded', at: this.now(), name: action.stateName, status: 'failed' });
    }
    return outcome;
  }
}

/** The entries of a redrive seed under any of the given path prefixes. */
function seedBelow(seed: Record<string, JsonValue>, prefixes: string[]): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  const keys = Object.keys(seed);
  if (keys.length === 0) return out;
  for (const key of keys) if (prefixes.some((p) => key.startsWith(p))) out[key] = seed[key]!;
  return out;
}

/** The task resource as the history names it. */
export function resourceInfo(action: Pick<TaskAction, 'resource' | 'lambda'>, region: string): TaskResourceInfo {
  const r = action.resource;
  if (r.kind === 'lambda-function') {
    return {
      resourceType: 'lambda',
      resource: 'function',
      region: r.region,
      lambdaFunction: `arn:aws:lambda:${r.region}:${r.accountId}:function:${r.functionName}${r.qualifier ? `:${r.qualifier}` : ''}`,
    };
  }
  if (r.kind === 'lambda-invoke') {
    return { resourceType: 'lambda', resource: r.waitForTaskToken ? 'invoke.waitForTaskToken' : 'invoke', region };
  }
  return {
    resourceType: 'spillway',
    resource: r.waitForTaskToken ? `${r.taskType}.waitForTaskToken` : r.taskType,
    region,
  };
}

/** What a finished task gives the state: the function's output, or lambda:invoke's envelope around it. */
function resultOf(action: TaskAction, state: SpillwayTaskState): JsonValue {
  const output = (state.result ?? null) as JsonValue;
  if (action.resource.kind !== 'lambda-invoke') return output;
  const last = state.attempts.at(-1);
  return lambdaInvokeResult(output, {
    executedVersion: last?.functionVersion ?? '$LATEST',
    statusCode: 200,
    requestId: state.id,
  });
}

function innermost(err: unknown): unknown {
  let cause: unknown = err;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause;
}

/** A failed task as ASL sees it: the task error's type is the Error, its message the Cause; timeouts are timeouts. */
function taskErrorOf(err: unknown, action: TaskAction): { error: string; cause: string; timedOut: boolean } {
  const cause = innermost(err);
  if (cause instanceof TimeoutFailure) {
    return { error: STATES_ERRORS.Timeout, cause: cause.message, timedOut: true };
  }
  if (cause instanceof ApplicationFailure) {
    const type = cause.type ?? 'Error';
    if (type === 'AttemptTimedOut') return { error: STATES_ERRORS.Timeout, cause: cause.message, timedOut: true };
    if (action.resource.kind === 'spillway-task') return { error: type, cause: cause.message, timedOut: false };
    return { ...lambdaFunctionError({ errorType: type, errorMessage: cause.message }), timedOut: false };
  }
  if (err instanceof ChildWorkflowFailure || err instanceof ActivityFailure) {
    return { error: STATES_ERRORS.TaskFailed, cause: err.message, timedOut: false };
  }
  return {
    error: STATES_ERRORS.TaskFailed,
    cause: cause instanceof Error ? cause.message : String(cause),
    timedOut: false,
  };
}

/** Whether a Task Resource is one the interpreter accepts (for early checks). */
export function isRunnableResource(resource: string): boolean {
  try {
    parseTaskResource(resource);
    return true;
  } catch {
    return false;
  }
}
