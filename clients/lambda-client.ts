// The one way Spillway talks to Lambda: @aws-sdk/client-lambda, pointed by config at the local Lambda service,
// LocalStack or AWS. Only the endpoint, region and credentials differ.
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { SpillwayConfig } from '../domain/config';

/** True for an endpoint on this machine: Spillway's own local Lambda service, or LocalStack. */
export function isLoopbackEndpoint(endpoint: string): boolean {
  return /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/.test(endpoint);
}

export function createLambdaClient(
  config: SpillwayConfig['lambda'],
  /** Temporal owns the retries of task attempts: one activity attempt must be one invocation. Tools may retry. */
  maxAttempts = 1,
): LambdaClient {
  const local = isLoopbackEndpoint(config.endpoint);
  const credentials =
    config.accessKeyId && config.secretAccessKey
      ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey }
      : local
        ? // The local service does not check signatures, but the SDK insists on signing.
          { accessKeyId: 'spillway-local', secretAccessKey: 'spillway-local' }
        : undefined; // Real AWS: the SDK's default chain (environment, profile, instance role).
  return new LambdaClient({
    region: config.region,
    endpoint: config.endpoint,
    credentials,
    maxAttempts,
  });
}
