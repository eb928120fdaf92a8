// DestinationConfig of asynchronous invocation: when an event succeeds (OnSuccess) or is given up on (OnFailure:
// retries exhausted, or too old), Lambda sends an invocation record to the destination. The local service delivers
// to Lambda function destinations, as an asynchronous invocation of the destination with the record as its event,
// in AWS's record format. SQS, SNS, EventBridge and S3 destinations are kept and echoed but cannot be reached from
// here; such a record is counted in the status as undeliverable, with the reason.
import { InvalidParameterValueError } from './errors';
import type { CompletedInvocation } from './invoker';

export type DestinationCondition = 'Success' | 'RetriesExhausted' | 'EventAgeExceeded';

export interface DestinationConfig {
  OnSuccess?: { Destination?: string };
  OnFailure?: { Destination?: string };
}

/** AWS's pattern for a destination ARN. */
const DESTINATION_ARN = /^$|^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)$/;

function destinationField(value: unknown, field: string): { Destination?: string } | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidParameterValueError(`${field} must be an object with a Destination.`);
  }
  const destination = (value as Record<string, unknown>).Destination;
  if (destination === undefined || destination === null) return {};
  if (typeof destination !== 'string' || destination.length > 350 || !DESTINATION_ARN.test(destination)) {
    throw new InvalidParameterValueError(
      `1 validation error detected: Value '${String(destination)}' at 'destinationConfig.${field.charAt(0).toLowerCase()}${field.slice(1)}.destination' ` +
        'failed to satisfy constraint: Member must satisfy regular expression pattern: ' +
        '^$|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}(-gov)?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)',
    );
  }
  return { Destination: destination };
}

/** DestinationConfig of Put/UpdateFunctionEventInvokeConfig, checked as AWS checks it. */
export function parseDestinationConfig(value: unknown): DestinationConfig | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidParameterValueError('DestinationConfig must be an object.');
  }
  const body = value as Record<string, unknown>;
  const config: DestinationConfig = {};
  const onSuccess = destinationField(body.OnSuccess, 'OnSuccess');
  const onFailure = destinationField(body.OnFailure, 'OnFailure');
  if (onSuccess) config.OnSuccess = onSuccess;
  if (onFailure) config.OnFailure = onFailure;
  return config;
}

/** The destination for an outcome, if the config names one. */
export function destinationFor(config: unknown, condition: DestinationCondition): string | undefined {
  const c = config as DestinationConfig | undefined;
  const target = condition === 'Success' ? c?.OnSuccess : c?.OnFailure;
  return target?.Destination || undefined;
}

/** A Lambda function ARN as `name[:qualifier]`, or undefined for any other kind of destination. */
export function lambdaDestination(arn: string): { name: string; qualifier?: string } | undefined {
  const parts = arn.split(':');
  if (parts[0] !== 'arn' || parts[2] !== 'lambda' || parts[5] !== 'function' || !parts[6]) return undefined;
  return parts[7] ? { name: parts[6], qualifier: parts[7] } : { name: parts[6] };
}

function parsed(text: string | undefined): unknown {
  if (text === undefined || text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export interface RecordFacts {
  requestId: string;
  /** The function ARN qualified by the qualifier the event was sent to (`:$LATEST` when none). */
  functionArn: string;
  condition: DestinationCondition;
  approximateInvokeCount: number;
  payload: string;
  /** The last attempt, absent when the event never ran (too old). */
  last?: CompletedInvocation;
  at: Date;
}

/** AWS's invocation record: version 1.0, the request context, the event and, when it ran, the response. */
export function invocationRecord(facts: RecordFacts): Record<string, unknown> {
  const record: Record<string, unknown> = {
    version: '1.0',
    timestamp: facts.at.toISOString(),
    requestContext: {
      requestId: facts.requestId,
      functionArn: facts.functionArn,
      condition: facts.condition,
      approximateInvokeCount: facts.approximateInvokeCount,
    },
    requestPayload: parsed(facts.payload) ?? {},
  };
  const last = facts.last;
  if (last) {
    const { outcome } = last;
    record.responseContext =
      outcome.kind === 'success'
        ? { statusCode: 200, executedVersion: last.executedVersion }
        : { statusCode: 200, executedVersion: last.executedVersion, functionError: 'Unhandled' };
    record.responsePayload =
      outcome.kind === 'success' ? parsed(outcome.result) : parsed(outcome.payload ?? JSON.stringify(outcome.error));
  }
  return record;
}
