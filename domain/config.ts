// Configuration is read from the environment once, checked once, and frozen. A bad value stops the process at
// start-up with a message that names the variable, instead of failing later in the middle of a task.
import type { RetrySettings } from './task-model';
import { parseNamedLimits, parseRate } from './task-options';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface TemporalConfig {
  address: string;
  namespace: string;
  /** True when TEMPORAL_ADDRESS was given: an existing cluster is used and nothing is started. */
  external: boolean;
  tls?: { serverName?: string; clientCertPath?: string; clientKeyPath?: string; serverRootCaPath?: string };
  apiKey?: string;
  uiUrl: string;
}

export interface SpillwayConfig {
  temporal: TemporalConfig;
  redis: { url: string; prefix: string };
  api: {
    host: string;
    port: number;
    publicUrl: string;
    /** Bearer keys; empty means the API is open (fine on 127.0.0.1, not beyond). */
    keys: readonly string[];
    rateLimit: { max: number; windowMs: number };
    /** Files served at /samples/ so the examples work offline; relative to the repository. */
    samplesDir: string;
  };
  scheduler: {
    localWorkerPoolSize: number;
    lambdaTaskThreshold: number;
    enableWarmPool: boolean;
    warmPoolIntervalSeconds: number;
    warmPoolMode: 'fixed' | 'auto';
    fallbackToLocalOnThrottle: boolean;
    defaultRetry: RetrySettings;
    defaultTimeoutSeconds: number;
  };
  lambda: {
    endpoint: string;
    region: string;
    accessKeyId?: string;
    secretAccessKey?: string;
    callbackUrl: string;
    callbackSecret: string;
    callbackSkewSeconds: number;
    /** Added to the function timeout to give the activity's start-to-close timeout, covering the callback trip. */
    callbackMarginSeconds: number;
    /** The execution role `spillway deploy` gives new functions; the local service accepts any ARN-shaped one. */
    roleArn?: string;
  };
  flow: {
    /** Concurrency limits named by key (SPILLWAY_CONCURRENCY_LIMITS="customer-42=3,partner=5"), for tasks that give
     * a concurrency key without a limit. */
    concurrencyLimits: Readonly<Record<string, number>>;
    /** Rate limits named by key (SPILLWAY_TASK_RATE_LIMITS="partner-api=10/s,reports=600/m"). */
    rateLimits: Readonly<Record<string, { limit: number; periodMs: number }>>;
    /** How long each process keeps the operator controls it read: a change reaches every process within this. */
    controlsCacheMs: number;
  };
  functions: {
    /** Where deployed packages are kept once downloaded (by CodeSha256), and unpacked for the local pool. */
    packageCacheDir: string;
    /** How long the list of deployed functions is fresh before it is read again from the Lambda endpoint. */
    refreshMs: number;
    /** Idle local execution environments are stopped after this long. */
    localIdleReclaimMs: number;
    /** Names of the worker's environment variables that its local execution environments also get. */
    localPassthroughEnv: readonly string[];
  };
}

type Env = Record<string, string | undefined>;

function str(env: Env, key: string, fallback: string): string {
  const value = env[key];
  return value === undefined || value === '' ? fallback : value;
}

function int(env: Env, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${key} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function num(env: Env, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${key} must be a number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function bool(env: Env, key: string, fallback: boolean): boolean {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${key} must be true or false, got "${raw}"`);
}

function url(env: Env, key: string, fallback: string, protocols: string[]): string {
  const raw = str(env, key, fallback);
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${key} must be a URL, got "${raw}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${key} must use ${protocols.join(' or ')}, got "${raw}"`);
  }
  return raw;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

export function loadConfig(env: Env = process.env): SpillwayConfig {
  const external = Boolean(env.TEMPORAL_ADDRESS);
  const tlsWanted = bool(env, 'TEMPORAL_TLS', false) || Boolean(env.TEMPORAL_TLS_CERT) || Boolean(env.TEMPORAL_TLS_CA);
  const apiPort = int(env, 'API_PORT', 8080, 0, 65535);
  const apiHost = str(env, 'API_HOST', '127.0.0.1');
  const publicUrl = url(env, 'SPILLWAY_PUBLIC_URL', `http://localhost:${apiPort}`, ['http:', 'https:']);
  const maximumAttempts = int(env, 'SCHEDULER_RETRY_MAX_ATTEMPTS', 5, 1, 100);
  const config: SpillwayConfig = {
    temporal: {
      address: str(env, 'TEMPORAL_ADDRESS', `127.0.0.1:${int(env, 'TEMPORAL_PORT', 7233, 1, 65535)}`),
      namespace: str(env, 'TEMPORAL_NAMESPACE', 'default'),
      external,
      tls: tlsWanted
        ? {
            serverName: env.TEMPORAL_TLS_SERVER_NAME || undefined,
            clientCertPath: env.TEMPORAL_TLS_CERT || undefined,
            clientKeyPath: env.TEMPORAL_TLS_KEY || undefined,
            serverRootCaPath: env.TEMPORAL_TLS_CA || undefined,
          }
        : undefined,
      apiKey: env.TEMPORAL_API_KEY || undefined,
      uiUrl: str(env, 'TEMPORAL_UI_URL', `http://localhost:${int(env, 'TEMPORAL_UI_PORT', 8233, 1, 65535)}`),
    },
    redis: {
      url: url(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
      prefix: str(env, 'REDIS_PREFIX', 'spillway:'),
    },
    api: {
      host: apiHost,
      port: apiPort,
      publicUrl,
      keys: apiKeys(env),
      rateLimit: {
        max: int(env, 'SPILLWAY_RATE_LIMIT_MAX', 1200, 1, 10_000_000),
        windowMs: int(env, 'SPILLWAY_RATE_LIMIT_WINDOW_MS', 60_000, 1000, 3_600_000),
      },
      samplesDir: str(env, 'SPILLWAY_SAMPLES_DIR', 'examples/samples'),
    },
    scheduler: {
      localWorkerPoolSize: int(env, 'SCHEDULER_LOCAL_WORKER_POOL_SIZE', 10, 1, 1000),
      lambdaTaskThreshold: int(env, 'SCHEDULER_LAMBDA_TASK_THRESHOLD', 5, 0, 100000),
      enableWarmPool: bool(env, 'SCHEDULER_ENABLE_WARM_POOL', true),
      warmPoolIntervalSeconds: int(env, 'SCHEDULER_WARM_POOL_INTERVAL_SECONDS', 300, 10, 86400),
      warmPoolMode: parseWarmPoolMode(str(env, 'SCHEDULER_WARM_POOL_MODE', 'fixed')),
      fallbackToLocalOnThrottle: bool(env, 'SCHEDULER_FALLBACK_TO_LOCAL_ON_THROTTLE', true),
      defaultRetry: {
        maximumAttempts,
        initialIntervalMs: int(env, 'SCHEDULER_RETRY_INITIAL_INTERVAL_MS', 1000, 1, 3_600_000),
        backoffCoefficient: num(env, 'SCHEDULER_RETRY_BACKOFF_COEFFICIENT', 2, 1, 10),
        maximumIntervalMs: int(env, 'SCHEDULER_RETRY_MAX_INTERVAL_MS', 60_000, 1, 86_400_000),
      },
      defaultTimeoutSeconds: int(env, 'SCHEDULER_DEFAULT_TIMEOUT_SECONDS', 300, 1, 86400),
    },
    lambda: {
      endpoint: url(env, 'LAMBDA_ENDPOINT', `http://127.0.0.1:${int(env, 'LAMBDA_PORT', 9001, 1, 65535)}`, [
        'http:',
        'https:',
      ]),
      region: str(env, 'AWS_REGION', 'us-east-1'),
      accessKeyId: env.AWS_ACCESS_KEY_ID || undefined,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY || undefined,
      callbackUrl: url(env, 'SPILLWAY_CALLBACK_URL', `http://127.0.0.1:${apiPort}/api/callbacks/lambda`, [
        'http:',
        'https:',
      ]),
      callbackSecret: callbackSecret(env),
      callbackSkewSeconds: int(env, 'SPILLWAY_CALLBACK_SKEW_SECONDS', 300, 1, 3600),
      callbackMarginSeconds: int(env, 'SPILLWAY_CALLBACK_MARGIN_SECONDS', 30, 1, 3600),
      roleArn: roleArn(env),
    },
    flow: {
      concurrencyLimits: namedConcurrency(env),
      rateLimits: namedRates(env),
      controlsCacheMs: int(env, 'SPILLWAY_CONTROLS_CACHE_MS', 1000, 0, 60_000),
    },
    functions: {
      packageCacheDir: str(env, 'SPILLWAY_PACKAGE_CACHE_DIR', 'data/packages'),
      refreshMs: int(env, 'SPILLWAY_FUNCTIONS_REFRESH_MS', 2000, 100, 3_600_000),
      localIdleReclaimMs: int(env, 'SPILLWAY_LOCAL_IDLE_RECLAIM_MS', 300_000, 1000, 86_400_000),
      localPassthroughEnv: (env.SPILLWAY_LOCAL_PASSTHROUGH_ENV ?? '')
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean),
    },
  };
  return deepFreeze(config);
}

function namedConcurrency(env: Env): Record<string, number> {
  const limits: Record<string, number> = {};
  try {
    for (const [key, raw] of parseNamedLimits(env.SPILLWAY_CONCURRENCY_LIMITS ?? '', 'SPILLWAY_CONCURRENCY_LIMITS')) {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1) throw new Error(`"${key}=${raw}" is not a whole number of 1 or more`);
      limits[key] = n;
    }
  } catch (err) {
    throw new ConfigError(`SPILLWAY_CONCURRENCY_LIMITS: ${(err as Error).message}`);
  }
  return limits;
}

function namedRates(env: Env): Record<string, { limit: number; periodMs: number }> {
  const rates: Record<string, { limit: number; periodMs: number }> = {};
  try {
    for (const [key, raw] of parseNamedLimits(env.SPILLWAY_TASK_RATE_LIMITS ?? '', 'SPILLWAY_TASK_RATE_LIMITS')) {
      rates[key] = parseRate(raw);
    }
  } catch (err) {
    throw new ConfigError(`SPILLWAY_TASK_RATE_LIMITS: ${(err as Error).message}`);
  }
  return rates;
}

function roleArn(env: Env): string | undefined {
  const raw = env.SPILLWAY_LAMBDA_ROLE_ARN;
  if (!raw) return undefined;
  if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(raw)) {
    throw new ConfigError(`SPILLWAY_LAMBDA_ROLE_ARN must be an IAM role ARN, got "${raw}"`);
  }
  return raw;
}

function apiKeys(env: Env): string[] {
  const keys = (env.SPILLWAY_API_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  const short = keys.find((k) => k.length < 16);
  if (short !== undefined) throw new ConfigError('every key in SPILLWAY_API_KEYS must be at least 16 characters');
  return keys;
}

function parseWarmPoolMode(raw: string): 'fixed' | 'auto' {
  if (raw === 'fixed' || raw === 'auto') return raw;
  throw new ConfigError(`SCHEDULER_WARM_POOL_MODE must be fixed or auto, got "${raw}"`);
}

function callbackSecret(env: Env): string {
  const secret = env.SPILLWAY_CALLBACK_SECRET;
  if (secret && secret.length >= 16) return secret;
  if (secret) throw new ConfigError('SPILLWAY_CALLBACK_SECRET must be at least 16 characters');
  if (env.NODE_ENV === 'production') throw new ConfigError('SPILLWAY_CALLBACK_SECRET is required in production');
  // Laptop stacks get a real random secret from `npm start`; this fallback only serves ad-hoc local runs.
  return 'spillway-insecure-development-secret';
}
