// runPipelineMapBatch: a batch of a distributed Map's items, run as a child workflow of the execution, so that a
// Map over thousands of items spreads its history over many small workflows instead of one large one. Items run
// with the batch's concurrency; each item's states keep their views here, and the batch returns them with the
// items' outcomes for the parent's Map Run.
import { CancellationScope, isCancellation, setHandler } from '@temporalio/workflow';
import type { MapBatchInput, MapBatchResult } from '../domain/pipeline-model';
import type { BranchOutcome, ExecutionRecord, JsonValue, PipelineEvent } from '../pipelines';
import { newExecutionRecord, reduceExecution } from '../pipelines';
import { Interpreter } from './pipeline-interpreter';
import { taskTokenUpdate } from './pipeline-signals';

export async function runPipelineMapBatch(input: MapBatchInput): Promise<MapBatchResult> {
  let record: ExecutionRecord = newExecutionRecord(null, Date.now());
  // Item events only feed the state views here; the parent's history has the Map Run.
  const limits = { maxEvents: 0, itemEventBudget: 0 };
  const emit = (event: PipelineEvent) => {
    record = reduceExecution(record, event, limits);
  };
  const interpreter = new Interpreter({
    context: input.context,
    executionKey: input.executionKey,
    taskScope: input.taskScope,
    record: emit,
    seedDone: { ...input.done },
    redriveCount: input.redriveCount ?? 0,
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

  const outcomes: Array<{ index: number; outcome: BranchOutcome | null }> = input.items.map((i) => ({
    index: i.index,
    outcome: null,
  }));
  const done: Record<string, JsonValue> = {};
  const scopes = new Map<number, CancellationScope>();
  let stopping = false;
  let next = 0;
  const lane = async () => {
    while (!stopping && next < input.items.length) {
      const slot = next++;
      const item = input.items[slot]!;
      const key = `${input.path}${input.stateName}#${item.index}/`;
      const scope = new CancellationScope();
      scopes.set(slot, scope);
      try {
        const run = await scope.run(() =>
          interpreter.runMachine(input.itemMachine, item.input, {}, key, true, item.value),
        );
        if (run.status === 'succeeded') {
          outcomes[slot]!.outcome = { status: 'succeeded', output: run.output ?? null };
          done[key] = run.output ?? null;
        } else {
          outcomes[slot]!.outcome = { status: 'failed', error: run.error ?? '', cause: run.cause ?? '' };
          if (input.failFast && !stopping) {
            stopping = true;
            for (const [other, s] of scopes) if (other !== slot) s.cancel();
          }
        }
        Object.assign(done, interpreter.done);
        interpreter.done = {};
      } catch (err) {
        if (!(stopping && isCancellation(err))) throw err;
      } finally {
        scopes.delete(slot);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(input.concurrency, input.items.length)) }, lane));
  return { outcomes, views: Object.values(record.states), done };
}
