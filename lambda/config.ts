// Reads the service's settings from environment variables for lambda/server.ts.
import type { LambdaServiceOptions } from './lambda-service';
import { DEFAULT_PORT } from './lambda-service';
import { parseAccessKeys } from './sigv4-guard';

/** A variable that is set but not a usable number; better to refuse to start than to run with a surprise. */
export class InvalidConfigError extends Error {
  override readonly name = 'InvalidConfigError';
}

function intVar(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new InvalidConfigError(`${name} must be an integer >= ${min}, got ${raw}`);
  return value;
}

export function lambdaServiceOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): LambdaServiceOptions {
  // LAMBDA_PASSTHROUGH_ENV names further variables of the service's environment that functions need (credentials...).
  const passthrough: Record<string, string> = {};
  for (const name of (env.LAMBDA_PASSTHROUGH_ENV ?? '').split(',').map((n) => n.trim())) {
    const value = name ? env[name] : undefined;
    if (value !== undefined) passthrough[name] = value;
  }
  return {
    host: env.LAMBDA_HOST || '127.0.0.1',
    port: intVar(env, 'LAMBDA_PORT', 0) ?? DEFAULT_PORT,
    dataDir: env.LAMBDA_DATA_DIR || undefined,
    accessKeys: parseAccessKeys(env.LAMBDA_ACCESS_KEYS),
    publicUrl: env.LAMBDA_PUBLIC_URL || undefined,
    activationDelayMs: intVar(env, 'LAMBDA_ACTIVATION_DELAY_MS', 0),
    delayMs: intVar(env, 'LAMBDA_DELAY_MS', 0),
    idleReclaimMs: intVar(env, 'LAMBDA_IDLE_RECLAIM_MS', 1),
    accountConcurrencyLimit: intVar(env, 'LAMBDA_ACCOUNT_CONCURRENCY', 1),
    asyncRetryBaseMs: intVar(env, 'LAMBDA_ASYNC_RETRY_BASE_MS', 0),
    queueFile: env.LAMBDA_QUEUE_FILE || undefined,
    region: env.AWS_REGION || 'us-east-1',
    environment: passthrough,
  };
}
