// Runs one attempt of a task in this worker's local pool: resolves the deployed function version the attempt runs,
// fetches its package (once per CodeSha256), runs it in an execution environment like the one Lambda would use,
// heartbeats while it runs so a lost worker is noticed and cancellation reaches it, and measures what it used.
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { DeployedFunction } from '../domain/deployed-function';
import { localCost, type PriceTable } from '../domain/cost-model';
import { revisionAtLeast, type AttemptRecord, type TaskError, type TaskInput } from '../domain/task-model';
import type { FunctionDirectory } from '../clients/function-directory';
import type { FunctionPackages } from '../clients/function-packages';
import type { AttemptReporter } from './attempt-reporter';
import { describeError, functionError, toApplicationFailure } from './failure-mapping';
import { nextRetryDelayMs } from '../domain/retry-timing';
import type { FlowControl } from '../live/flow-control';
import { attemptPermit, RATE_LIMITED, refuseIfExpired } from './attempt-gate';
import { attemptAbortSignal } from './attempt-signal';
import type { LiveHooks } from './live-hooks';
import { resultUploadFields, sentTask, type PayloadPresigner, type ResultPresigner } from './payload-urls';
import type { LocalRun, LocalRuntime } from './local-runtime';
import { functionRef, taskEvent } from './task-event';
import type { AttemptSuccess } from './types';
import { attemptTransferCost, withTransferCost } from '../clients/object-store';
import { objectRefOf } from '../domain/object-ref';
import type { TransferPrices } from '../domain/region-model';

export interface LocalTaskDeps {
  functions: FunctionDirectory;
  packages: FunctionPackages;
  runtime: LocalRuntime;
  reporter: AttemptReporter;
  prices: PriceTable;
  live: LiveHooks;
  flow?: FlowControl;
  heartbeatIntervalMs?: number;
  /** Gives a payload kept in the object store its pre-signed URL. */
  presignPayload?: PayloadPresigner;
  /** Gives each attempt a place in the object store for a result too large to return. */
  presignResult?: ResultPresigner;
  /** Inter-region transfer prices and the local pool's region: a stored payload or result moved is charged. */
  transfer?: { prices: TransferPrices; region: string };
}

function runError(run: LocalRun): TaskError | undefined {
  if (run.outcome.kind === 'success') return undefined;
  return functionError(run.outcome.error);
}

function parseResult(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function createRunLocalTask(deps: LocalTaskDeps) {
  return async function runLocalTask(task: TaskInput): Promise<AttemptSuccess> {
    const ctx = Context.current();
    const { startToCloseTimeoutMs } = ctx.info;
    const attempt = ctx.info.attempt + (task.attemptOffset ?? 0);
    const workflowId = ctx.info.workflowExecution?.workflowId ?? task.id;
    // A pause lets the running function finish (its retry is what waits); waiting for a permit is not running.
    const stop = attemptAbortSignal(ctx);
    const activityStart = Date.now();
    /** The handler may run until the activity's deadline, and for the task's timeout at most. */
    const deadline = activityStart + startToCloseTimeoutMs;
    let record: AttemptRecord = {
      attempt,
      placement: 'LOCAL',
      startedAt: new Date(activityStart).toISOString(),
      outcome: 'running',
    };
    await deps.live.localStarted(task);
    // Heartbeats start before the package is fetched: a first download may take a while.
    const beat = setInterval(() => {
      ctx.heartbeat();
      void deps.live.localAlive(task);
    }, deps.heartbeatIntervalMs ?? 2_000);
    let fn: DeployedFunction | undefined;
    try {
      refuseIfExpired(task, attempt);
      // A rate-limited task's attempt starts when it has its permit; the time beyond the task's timeout that its
      // workflow gave the activity is what it may wait.
      const startedAt = await attemptPermit({
        flow: deps.flow,
        task,
        attempt,
        deadline: deadline - task.timeoutSeconds * 1000,
        heartbeat: () => ctx.heartbeat(),
        signal: ctx.cancellationSignal,
      });
      record = { ...record, startedAt: startedAt.toISOString() };
      fn = await deps.functions.resolve(functionRef(task));
      const taskRoot = await deps.packages.taskRoot(fn);
      const sent = await sentTask(deps.presignPayload, task);
      const versioned: AttemptRecord = { ...record, functionVersion: fn.version, codeSha256: fn.codeSha256 };
      const run = await deps.runtime.invoke(fn, taskRoot, {
        requestId: randomUUID(),
        event: JSON.stringify(
          taskEvent(sent, attempt, fn, await resultUploadFields(deps.presignResult, task, attempt, fn)),
        ),
        timeoutMs: Math.max(1, Math.min(task.timeoutSeconds * 1000, deadline - Date.now())),
        signal: stop,
      });
      if (stop.aborted) throw new CancelledFailure('the task was cancelled while it ran');
      const finished = finish(versioned, run, deps.prices);
      const moved = (result?: unknown) =>
        deps.transfer
          ? attemptTransferCost(deps.transfer.prices, {
              payload: objectRefOf(task.payload),
              result: objectRefOf(result),
              runRegion: deps.transfer.region,
            })
          : 0;
      const error = runError(run);
      if (error) {
        await deps.reporter.failed(workflowId, withTransferCost({ ...finished, outcome: 'failed', error }, moved()));
        throw toApplicationFailure(error, nextRetryDelayMs(task.retry, attempt, error));
      }
      const result = run.outcome.kind === 'success' ? parseResult(run.outcome.result) : undefined;
      const succeeded: AttemptRecord = withTransferCost({ ...finished, outcome: 'succeeded' }, moved(result));
      // A first attempt that succeeds is the whole story of the task: it tells the projection itself, which spares
      // the workflow a local activity (a history event and a round trip per task).
      if (endsTaskAlone(task, attempt) && (await deps.live.localCompleted(task, succeeded))) {
        return { result, attempt: succeeded, published: true };
      }
      return { result, attempt: succeeded };
    } catch (err) {
      if (err instanceof CancelledFailure || stop.aborted) {
        throw err instanceof CancelledFailure ? err : new CancelledFailure('the task was cancelled while it ran');
      }
      if ((err as { name?: string }).name === 'ApplicationFailure') {
        // An attempt that found no rate permit in time did not run; it says so, rather than pass for lost.
        if ((err as { type?: string }).type === RATE_LIMITED) {
          await deps.reporter.failed(workflowId, {
            ...record,
            outcome: 'failed',
            finishedAt: new Date().toISOString(),
            error: describeError(err),
          });
        }
        throw err;
      }
      // The attempt never reached the handler: the function is gone, its package could not be fetched...
      const error = describeError(err);
      await deps.reporter.failed(workflowId, {
        ...record,
        functionVersion: fn?.version,
        codeSha256: fn?.codeSha256,
        outcome: 'failed',
        finishedAt: new Date().toISOString(),
        error,
      });
      throw toApplicationFailure(error, nextRetryDelayMs(task.retry, attempt, error));
    } finally {
      clearInterval(beat);
      await deps.live.localFinished(task);
    }
  };
}

/** The attempt is the task's only one, and its workflow (revision 2 on) lets it publish the task's end. */
function endsTaskAlone(task: TaskInput, attempt: number): boolean {
  return revisionAtLeast(task, 2) && task.placed !== undefined && attempt === 1;
}

function finish(record: AttemptRecord, run: LocalRun, prices: PriceTable): AttemptRecord {
  // Without a CPU reading the wall time is the most the attempt can have used.
  const cpuTimeMs = Math.min(run.cpuTimeMs ?? run.durationMs, run.durationMs);
  return {
    ...record,
    finishedAt: new Date().toISOString(),
    durationMs: Math.round(run.durationMs * 1000) / 1000,
    // Cold and warm starts are Lambda's facts (and its cost); a local one only shows its init time.
    initDurationMs: run.initDurationMs === undefined ? undefined : Math.round(run.initDurationMs * 1000) / 1000,
    maxMemoryUsedMB: run.maxMemoryUsedMB,
    cpuTimeMs: Math.round(cpuTimeMs * 1000) / 1000,
    costUsd: localCost(prices, cpuTimeMs),
  };
}
