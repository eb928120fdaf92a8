// Settles an asynchronous Lambda attempt from the function's callback. The request must carry a valid body
// signature (fresh, made with the shared secret) and a completion token that Spillway issued; only then is the
// activity completed or failed. Temporal rejects a token whose attempt is over, which makes duplicates harmless.
import { ActivityCompletionError, ActivityNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { verifyCallbackBody, verifyCompletionToken } from '../../domain/callback-signature';
import { ATTEMPT_FAILED_SIGNAL, PERMANENT_ERROR_TYPES } from '../../domain/constants';
import type { PriceTable } from '../../domain/cost-model';
import { lambdaAttemptRecord } from '../../domain/lambda-attempt';
import { nextRetryDelayMs } from '../../domain/retry-timing';
import type { SpillwayConfig } from '../../domain/config';
import type { PlacementLeases } from '../../live/placement-leases';
import { callbackDelayMs, type TargetLatencyStore } from '../../live/target-latency';
import { attemptTransferCost, withTransferCost } from '../../clients/object-store';
import { objectRefOf } from '../../domain/object-ref';
import type { TransferPrices } from '../../domain/region-model';
import { Errors } from '../errors';
import type { CallbackBody } from '../schemas/callback-schemas';

const PERMANENT = new Set<string>(PERMANENT_ERROR_TYPES);

export interface CallbackOutcome {
  accepted: boolean;
  reason?: 'already-settled';
  workflowId: string;
  attempt: number;
}

export function createCallbackService(deps: {
  client: Client;
  config: SpillwayConfig['lambda'];
  prices: PriceTable;
  leases?: PlacementLeases;
  /** Where each callback's delay is kept for its target's monitor (placement and GET /api/placement/targets). */
  latency?: TargetLatencyStore;
  /** The target a token without one was invoked on (the default target, LAMBDA_ENDPOINT's). */
  defaultTarget?: string;
  /** Each target's region and the transfer prices: a stored payload or result moved across regions is charged. */
  transfer?: { prices: TransferPrices; regionOf: (target: string) => string | undefined };
  log?: (m: string) => void;
}) {
  const log = deps.log ?? console.warn;

  /** Checks the signature over the raw body; the parsed body is trusted only after this passes. */
  function authenticate(rawBody: string, signature: string | undefined): void {
    const now = Math.floor(Date.now() / 1000);
    const check = verifyCallbackBody(
      deps.config.callbackSecret,
      rawBody,
      signature,
      now,
      deps.config.callbackSkewSeconds,
    );
    if (!check.ok) throw Errors.unauthorizedCallback(`callback signature rejected: ${check.reason}`);
  }

  async function settle(body: CallbackBody): Promise<CallbackOutcome> {
    const arrivedAt = Date.now();
    const now = Math.floor(arrivedAt / 1000);
    const check = verifyCompletionToken(deps.config.callbackSecret, body.token, now, deps.config.callbackSkewSeconds);
    if (!check.ok) {
      if (check.reason === 'malformed') throw Errors.invalidCallback('the completion token is malformed');
      throw Errors.unauthorizedCallback(`completion token rejected: ${check.reason}`);
    }
    const { claims } = check;
    const taskToken = Buffer.from(claims.taskToken, 'base64');
    const finishedAt = new Date();
    const startedAt = new Date(finishedAt.getTime() - body.report.durationMs);
    const handle = deps.client.workflow.getHandle(claims.workflowId);
    const target = claims.tgt ?? deps.defaultTarget;
    const runRegion = target ? deps.transfer?.regionOf(target) : undefined;
    const moved = (result?: unknown) =>
      deps.transfer && runRegion
        ? attemptTransferCost(deps.transfer.prices, {
            payload: claims.po ? { region: claims.po.r, bucket: '', key: '', sizeBytes: claims.po.b } : undefined,
            result: objectRefOf(result),
            runRegion,
          })
        : 0;
    // What ran, as the activity saw it when it invoked: signed into the token, so a function cannot claim otherwise.
    const common = {
      attempt: claims.attempt,
      functionVersion: claims.fv,
      codeSha256: claims.sha,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      // The contention is the invoker's figure, signed into the token, not the function's.
      facts: { ...body.report, initContention: claims.icn },
      architecture: claims.arch ?? 'x86_64',
      prices: deps.prices,
    } as const;
    try {
      if (body.outcome === 'succeeded') {
        await deps.client.activity.complete(taskToken, {
          result: body.result ?? null,
          attempt: withTransferCost(lambdaAttemptRecord({ ...common, outcome: 'succeeded' }), moved(body.result)),
        });
      } else {
        const type = body.error?.type ?? 'Error';
        const error = {
          type,
          message: body.error?.message ?? 'the function failed',
          nonRetryable: PERMANENT.has(type),
          ...(body.error?.retryAfterSeconds !== undefined ? { retryAfterMs: body.error.retryAfterSeconds * 1000 } : {}),
        };
        // Fail first: if the attempt is already settled this throws, and no stray attempt record is written.
        await deps.client.activity.fail(
          taskToken,
          ApplicationFailure.create({
            type,
            message: error.message,
            nonRetryable: error.nonRetryable,
            nextRetryDelay: nextRetryDelayMs(
              { delaysMs: claims.nrd === undefined ? undefined : [claims.nrd] },
              1,
              error,
            ),
          }),
        );
        await handle
          .signal(
            ATTEMPT_FAILED_SIGNAL,
            withTransferCost(lambdaAttemptRecord({ ...common, outcome: 'failed', error }), moved()),
          )
          .catch((err: Error) => log(`could not record failed attempt of ${claims.workflowId}: ${err.message}`));
      }
    } catch (err) {
      if (err instanceof ActivityNotFoundError) {
        return { accepted: false, reason: 'already-settled', workflowId: claims.workflowId, attempt: claims.attempt };
      }
      // Temporal could not read the task token: signed by us, so it was issued for another cluster or namespace.
      if (err instanceof ActivityCompletionError && /task token/i.test(err.message)) {
        throw Errors.invalidCallback('the completion token names no attempt this cluster knows');
      }
      throw err;
    }
    // Only the callback that settled the attempt is a sample: a repeat would measure the repeat.
    const delay = callbackDelayMs(arrivedAt, claims, body.report);
    if (delay !== undefined && target) {
      await deps.latency?.recordCallbackDelay(target, delay, claims.ild).catch(() => undefined);
    }
    const functionName = claims.fn ?? body.functionName;
    if (functionName) {
      // The attempt is over; its Lambda slot is free again for placement (the lease would lapse anyway).
      await deps.leases?.releaseLambda(functionName, claims.workflowId).catch(() => undefined);
    }
    return { accepted: true, workflowId: claims.workflowId, attempt: claims.attempt };
  }

  return { authenticate, settle };
}

export type CallbackService = ReturnType<typeof createCallbackService>;
