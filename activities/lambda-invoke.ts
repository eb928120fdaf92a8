// Runs one attempt of a task on Lambda. Asynchronous (default for functions that speak Spillway's task event): invoke
// with InvocationType=Event, hand the function a signed completion token and complete later, when its callback
// reaches the API. Synchronous (asked for, or a plain handler that cannot call back): RequestResponse with the log
// tail, whose REPORT line gives the billing facts. Either way the attempt pins the version it resolved; for $LATEST,
// which cannot be pinned, it reads the configuration right before the invoke, so the CodeSha256 it records is the
// package Lambda runs (an asynchronous event that waits in Lambda's queue while the code changes is the exception).
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { CompleteAsyncError, Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { signCompletionToken } from '../domain/callback-signature';
import type { PriceTable } from '../domain/cost-model';
import { UnknownFunctionError, type DeployedFunction } from '../domain/deployed-function';
import { lambdaAttemptRecord } from '../domain/lambda-attempt';
import { parseReportLine } from '../domain/lambda-report';
import type { SpillwayConfig } from '../domain/config';
import type { TaskInput } from '../domain/task-model';
import { FunctionNotReadyError, type FunctionDirectory } from '../clients/function-directory';
import { coldStartConcurrencyOf, UnknownLambdaTargetError } from '../clients/lambda-targets';
import { initContention } from '../domain/placement-predictor';
import type { AsyncRetryGuard } from '../clients/lambda-setup';
import type { ControlsReader } from '../clients/operator-controls';
import { overridePlacement } from '../domain/operator-controls';
import { nextRetryDelayMs } from '../domain/retry-timing';
import type { AttemptReporter } from './attempt-reporter';
import { describeError, functionError, toApplicationFailure } from './failure-mapping';
import type { LiveHooks } from './live-hooks';
import { resultUploadFields, sentTask, type PayloadPresigner, type ResultPresigner } from './payload-urls';
import { functionRef, taskEvent } from './task-event';
import { traceLambdaInvoke } from '../telemetry/lambda';
import type { AttemptSuccess } from './types';
import type { BudgetBook } from '../live/budget-book';
import type { FlowControl } from '../live/flow-control';
import { attemptPermit, RATE_LIMITED, refuseIfExpired } from './attempt-gate';
import type { LambdaRoute, LambdaRoutes } from '../clients/lambda-routes';
import { attemptTransferCost, withTransferCost } from '../clients/object-store';
import { objectRefOf } from '../domain/object-ref';
import type { TransferPrices } from '../domain/region-model';
import type { TargetLatencyStore } from '../live/target-latency';

export interface LambdaInvokeDeps {
  lambda: LambdaClient;
  /** Several Lambda targets (LAMBDA_TARGETS): the task's target is invoked through its own route. */
  routes?: LambdaRoutes;
  functions: FunctionDirectory;
  asyncRetries: AsyncRetryGuard;
  controls: ControlsReader;
  config: SpillwayConfig['lambda'];
  prices: PriceTable;
  reporter: AttemptReporter;
  live: LiveHooks;
  /** Gives a payload kept in the object store its pre-signed URL. */
  presignPayload?: PayloadPresigner;
  /** Gives each attempt a place in the object store for a result too large to return. */
  presignResult?: ResultPresigner;
  /** The budgets (SPILLWAY_BUDGETS): once one the task falls under is exceeded, its attempts run LOCAL. */
  budgets?: BudgetBook;
  /** Rate permits per key: each attempt of a rate-limited task is invoked under one. */
  flow?: FlowControl;
  /** Inter-region transfer prices: a stored payload or result moved to or from the target's region is charged. */
  transfer?: TransferPrices;
  /** The region of the default target (LAMBDA_ENDPOINT's), for an attempt without a route. */
  region?: string;
  /** Where each invocation's dispatch delay is kept for placement (live/target-latency.ts). */
  latency?: TargetLatencyStore;
}

/** The message of an exceeded budget the task falls under; none when Redis cannot say (Lambda is not held up). */
async function exceededBudget(budgets: BudgetBook | undefined, task: TaskInput): Promise<string | undefined> {
  if (!budgets || budgets.budgets.length === 0) return undefined;
  try {
    const verdict = await budgets.verdict({ id: task.id, type: task.type, tenant: task.fairness?.key });
    return verdict.level === 'exceeded' ? `${verdict.message}; Lambda is off until the period ends` : undefined;
  } catch {
    return undefined;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Maps an SDK error from Invoke to the failure Temporal's retry policy should see. */
export function invokeFailure(err: unknown, functionName: string): ApplicationFailure {
  const name = (err as { name?: string }).name ?? 'Error';
  const message = (err as { message?: string }).message ?? String(err);
  switch (name) {
    case 'ResourceNotFoundException':
      return ApplicationFailure.nonRetryable(
        `Lambda function "${functionName}" does not exist`,
        'UnknownFunctionError',
      );
    case 'RequestTooLargeException':
    case 'RequestEntityTooLargeException':
      return ApplicationFailure.nonRetryable(
        `the task payload is too large for Lambda: ${message}`,
        'PayloadTooLargeError',
      );
    case 'InvalidRequestContentException':
    case 'InvalidParameterValueException':
      return ApplicationFailure.nonRetryable(`Lambda refused the invocation: ${message}`, 'InvalidPayloadError');
    case 'ResourceConflictException':
      // Pending or being updated: Lambda says "not now", which a retry after the backoff answers.
      return ApplicationFailure.retryable(
        `Lambda function "${functionName}" is not ready: ${message}`,
        'LambdaServiceError',
      );
    case 'TooManyRequestsException': {
      // Lambda's own hint of when to try again is honoured through Temporal's nextRetryDelay.
      const hint = Number((err as { retryAfterSeconds?: unknown }).retryAfterSeconds);
      return ApplicationFailure.create({
        type: 'LambdaThrottledError',
        message: `Lambda throttled "${functionName}": ${message}`,
        nextRetryDelay: Number.isFinite(hint) && hint > 0 ? hint * 1000 : undefined,
      });
    }
    default:
      return ApplicationFailure.retryable(`Lambda invocation failed: ${name}: ${message}`, 'LambdaServiceError');
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function createInvokeLambda(deps: LambdaInvokeDeps) {
  return async function invokeLambda(task: TaskInput): Promise<AttemptSuccess> {
    const ctx = Context.current();
    const { activityId, startToCloseTimeoutMs, base64TaskToken } = ctx.info;
    const attempt = ctx.info.attempt + (task.attemptOffset ?? 0);
    const workflowId = ctx.info.workflowExecution?.workflowId ?? task.id;
    const activityStart = Date.now();
    let startedAt = new Date(activityStart).toISOString();
    // An operator drained Lambda while this task's attempts go on: the workflow runs the rest of them locally.
    const override = overridePlacement(await deps.controls.current(), 'LAMBDA');
    if (override?.placement === 'LOCAL') {
      throw ApplicationFailure.nonRetryable(override.reason, 'PlacementOverriddenError');
    }
    // A budget ran out after the task was admitted (or between its attempts): stop paying for Lambda, like a drain.
    const budget = await exceededBudget(deps.budgets, task);
    if (budget) throw ApplicationFailure.nonRetryable(budget, 'PlacementOverriddenError');
    refuseIfExpired(task, attempt);
    // Every attempt of a rate-limited task is invoked under a permit of its rate, retries too (activities/attempt-gate.ts).
    try {
      startedAt = (
        await attemptPermit({
          flow: deps.flow,
          task,
          attempt,
          deadline: activityStart + startToCloseTimeoutMs - task.timeoutSeconds * 1000,
          heartbeat: () => ctx.heartbeat(),
          signal: ctx.cancellationSignal,
        })
      ).toISOString();
    } catch (err) {
      if ((err as { type?: string }).type === RATE_LIMITED) {
        const at = new Date().toISOString();
        await deps.reporter.failed(workflowId, {
          attempt,
          placement: 'LAMBDA',
          startedAt,
          finishedAt: at,
          outcome: 'failed',
          error: describeError(err),
        });
      }
      throw err;
    }
    let route: LambdaRoute | undefined;
    let fn: DeployedFunction;
    try {
      route = deps.routes?.route(task.lambdaTarget);
      // $LATEST is read now, not from the directory's listing: the attempt records the code Lambda runs for it.
      fn = await deps.functions.resolve(functionRef(task), {
        fresh: true,
        waitMs: Math.min(30_000, startToCloseTimeoutMs / 2),
        signal: ctx.cancellationSignal,
        lambda: route?.client,
      });
    } catch (err) {
      if (ctx.cancellationSignal.aborted) throw err;
      // The directory's own verdicts keep their names; anything else is the Lambda endpoint failing to answer the
      // configuration read, which is classified like a failed Invoke (throttled, unavailable...).
      const error = describeError(
        err instanceof UnknownFunctionError ||
          err instanceof FunctionNotReadyError ||
          err instanceof UnknownLambdaTargetError
          ? err
          : invokeFailure(err, task.functionName),
      );
      await deps.reporter.failed(workflowId, {
        attempt,
        placement: 'LAMBDA',
        startedAt,
        finishedAt: new Date().toISOString(),
        outcome: 'failed',
        error,
      });
      throw toApplicationFailure(error);
    }
    const sent = await sentTask(deps.presignPayload, task);
    const upload = await resultUploadFields(deps.presignResult, task, attempt, fn);
    // The exact version resolved: an alias moving during the attempt cannot change what it runs. $LATEST has no
    // number to pin; its configuration was read just now, once no update was in progress.
    const qualifier = fn.version === '$LATEST' ? undefined : fn.version;
    const pinned = { functionVersion: fn.version, codeSha256: fn.codeSha256 };
    const span = (invocationType: 'Event' | 'RequestResponse') => ({
      taskId: workflowId,
      taskType: task.type,
      functionName: fn.name,
      functionVersion: fn.version,
      attempt,
      invocationType,
    });

    /** An Invoke that Lambda refused is still an attempt: the task records it with its real cause. */
    const invokeFailed = async (err: unknown): Promise<ApplicationFailure> => {
      if ((err as { name?: string }).name === 'TooManyRequestsException') await deps.live.throttled(task.functionName);
      const failure = invokeFailure(err, task.functionName);
      await deps.reporter.failed(workflowId, {
        attempt,
        placement: 'LAMBDA',
        ...pinned,
        startedAt,
        finishedAt: new Date().toISOString(),
        outcome: 'failed',
        error: { type: failure.type ?? 'Error', message: failure.message, nonRetryable: Boolean(failure.nonRetryable) },
      });
      return failure;
    };

    const load = await deps.live.lambdaInvoked(task, startToCloseTimeoutMs);
    // What a cold start's init shared the target's cores with; placement learns the init alone from it.
    const contention = route ? initContention(load, coldStartConcurrencyOf(route.handle)) : undefined;
    // From the attempt's scheduling to its Invoke: the part of Lambda's path before the event is sent, which a
    // placement on Lambda waits for and a local one does not. Not awaited: a lost sample only slows the learning.
    if (route && deps.latency) {
      const dispatchMs = Math.max(0, Date.now() - ctx.info.currentAttemptScheduledTimestampMs);
      void deps.latency.recordDispatchDelay(route.name, dispatchMs, load).catch(() => undefined);
    }
    // A plain handler knows nothing of callbacks: its result can only come back as the invocation's own answer.
    if (task.invocation === 'sync' || fn.spillway.event !== 'task') {
      let response;
      try {
        response = await traceLambdaInvoke(span('RequestResponse'), (trace) =>
          (route?.client ?? deps.lambda).send(
            new InvokeCommand({
              FunctionName: task.functionName,
              Qualifier: qualifier,
              InvocationType: 'RequestResponse',
              LogType: 'Tail',
              Payload: encoder.encode(JSON.stringify(taskEvent(sent, attempt, fn, { ...upload, ...trace.event }))),
            }),
            { abortSignal: ctx.cancellationSignal },
          ),
        );
      } catch (err) {
        throw await invokeFailed(err);
      } finally {
        await deps.live.lambdaFinished(task);
      }
      const log = response.LogResult ? Buffer.from(response.LogResult, 'base64').toString('utf8') : '';
      const report = parseReportLine(log);
      const facts = {
        coldStart: report?.initDurationMs !== undefined,
        durationMs: report?.durationMs ?? 0,
        billedDurationMs: report?.billedDurationMs,
        initDurationMs: report?.initDurationMs,
        memoryMB: report?.memoryMB ?? fn.memoryMB,
        maxMemoryUsedMB: report?.maxMemoryUsedMB,
        initContention: contention,
      };
      const body = response.Payload ? decoder.decode(response.Payload) : 'null';
      const parsed = safeJson(body);
      const common = {
        attempt,
        functionVersion: response.ExecutedVersion ?? fn.version,
        codeSha256: fn.codeSha256,
        startedAt,
        finishedAt: new Date().toISOString(),
        facts,
        architecture: fn.architecture,
        prices: deps.prices,
      } as const;
      const runRegion = route?.region ?? deps.region;
      const moved = (result?: unknown) =>
        deps.transfer && runRegion
          ? attemptTransferCost(deps.transfer, {
              payload: objectRefOf(task.payload),
              result: objectRefOf(result),
              runRegion,
            })
          : 0;
      if (response.FunctionError) {
        const reported = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
        const error = functionError({
          errorType: typeof reported.errorType === 'string' ? reported.errorType : undefined,
          errorMessage: typeof reported.errorMessage === 'string' ? reported.errorMessage : body,
          retryAfterSeconds: reported.retryAfterSeconds,
        });
        await deps.reporter.failed(
          workflowId,
          withTransferCost(lambdaAttemptRecord({ ...common, outcome: 'failed', error }), moved()),
        );
        throw toApplicationFailure(error, nextRetryDelayMs(task.retry, attempt, error));
      }
      return {
        result: parsed,
        attempt: withTransferCost(lambdaAttemptRecord({ ...common, outcome: 'succeeded' }), moved(parsed)),
      };
    }

    await (route?.asyncRetries ?? deps.asyncRetries).ensureOff(fn);
    const payloadRef = objectRefOf(task.payload);
    const now = Math.floor(Date.now() / 1000);
    const token = signCompletionToken(deps.config.callbackSecret, {
      taskToken: base64TaskToken,
      workflowId,
      activityId,
      attempt,
      iat: now,
      exp: now + Math.ceil(startToCloseTimeoutMs / 1000) + 60,
      // The explicit retry schedule's wait after this attempt, for the callback's failure.
      nrd: task.retry.delaysMs?.[attempt - 1],
      fn: fn.name,
      fv: fn.version,
      sha: fn.codeSha256,
      arch: fn.architecture,
      iam: Date.now(),
      tgt: route?.name,
      ild: load,
      icn: contention,
      // Where the payload is kept, so the callback can charge its move to the target's region.
      ...(payloadRef ? { po: { r: payloadRef.region, b: payloadRef.sizeBytes } } : {}),
    });
    try {
      // The event carries the trace on: the callback URL continues it (telemetry/lambda.ts; untouched untraced).
      const send = (command: InvokeCommand) =>
        route
          ? route.timed((client) => client.send(command, { abortSignal: ctx.cancellationSignal }))
          : deps.lambda.send(command, { abortSignal: ctx.cancellationSignal });
      await traceLambdaInvoke(span('Event'), (trace) =>
        send(
          new InvokeCommand({
            FunctionName: task.functionName,
            Qualifier: qualifier,
            InvocationType: 'Event',
            Payload: encoder.encode(
              JSON.stringify(
                taskEvent(sent, attempt, fn, {
                  callback: { url: trace.callbackUrl(deps.config.callbackUrl), token },
                  ...upload,
                  ...trace.event,
                }),
              ),
            ),
          }),
        ),
      );
    } catch (err) {
      await deps.live.lambdaFinished(task);
      throw await invokeFailed(err);
    }
    // The function's callback completes this attempt; if it never comes, the start-to-close timeout retries it.
    throw new CompleteAsyncError();
  };
}
