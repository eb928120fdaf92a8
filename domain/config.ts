// Configuration is read from the environment once, checked once, and frozen. A bad value stops the process at
// start-up with a message that names the variable, instead of failing later in the middle of a task.
import type { RetrySettings } from './task-model';

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
    /**
     * On SIGTERM the API stops accepting, ends its live streams and waits this long for requests in flight before it
     * cuts them off (SPILLWAY_API_SHUTDOWN_GRACE_MS). @default 10000
     */
    shutdownGraceMs: number;
  };
  worker: {
    /**
     * On SIGTERM the worker stops polling and lets local attempts in flight finish for this long; after it, it exits
     * without reporting them, so their heartbeats lapse and Temporal retries them on another worker
     * (SPILLWAY_WORKER_SHUTDOWN_GRACE_MS). @default 20000
     */
    shutdownGraceMs: number;
    /** Temporal Worker Versioning; undefined (the default) when SPILLWAY_WORKER_DEPLOYMENT is unset. */
    deployment?: WorkerDeploymentConfig;
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

/** Worker Versioning: this worker's version in a Temporal Worker Deployment. */
export interface WorkerDeploymentConfig {
  /** SPILLWAY_WORKER_DEPLOYMENT: the deployment's name, shared by every build of these workers. */
  name: string;
  /**
   * SPILLWAY_BUILD_ID: this build's id. @default the id `npm run build` derives from the compiled code
   * (dist/build-id), so a changed build gets a new id by itself.
   */
  buildId?: string;
  /**
   * SPILLWAY_WORKER_VERSIONING_BEHAVIOR: `auto-upgrade` (running tasks move to the current version at their next
   * workflow task; needs replay-compatible changes, which test/replay/ checks) or `pinned` (running tasks finish on
   * the build that started them; old builds must run until drained). @default auto-upgrade
   */
  behavior: 'AUTO_UPGRADE' | 'PINNED';
  /**
   * SPILLWAY_WORKER_PROMOTE: make this version the deployment's current one at start when it is the newest version
   * that has polled (an older build that restarts never takes over again). false leaves promotion to an operator
   * (`temporal worker deployment set-current-version`). @default true
   */
  promote: boolean;
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
      shutdownGraceMs: int(env, 'SPILLWAY_API_SHUTDOWN_GRACE_MS', 10_000, 0, 3_600_000),
    },
    worker: {
      shutdownGraceMs: int(env, 'SPILLWAY_WORKER_SHUTDOWN_GRACE_MS', 20_000, 0, 3_600_000),
      deployment: workerDeployment(env),
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

function workerDeployment(env: Env): WorkerDeploymentConfig | undefined {
  const name = env.SPILLWAY_WORKER_DEPLOYMENT;
  const behavior = str(env, 'SPILLWAY_WORKER_VERSIONING_BEHAVIOR', 'auto-upgrade');
  if (behavior !== 'auto-upgrade' && behavior !== 'pinned') {
    throw new ConfigError(`SPILLWAY_WORKER_VERSIONING_BEHAVIOR must be auto-upgrade or pinned, got "${behavior}"`);
  }
  const promote = bool(env, 'SPILLWAY_WORKER_PROMOTE', true);
  const buildId = env.SPILLWAY_BUILD_ID || undefined;
  if (!name) {
    if (buildId)
      throw new ConfigError(
        'SPILLWAY_BUILD_ID needs SPILLWAY_WORKER_DEPLOYMENT: a build id names a version of a deployment',
      );
    return undefined;
  }
  // Temporal joins them as "<deployment>.<build id>" in places, and both show up in CLI commands.
  for (const [key, value] of [
    ['SPILLWAY_WORKER_DEPLOYMENT', name],
    ['SPILLWAY_BUILD_ID', buildId],
  ] as const) {
    if (value !== undefined && !/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,199}$/.test(value)) {
      throw new ConfigError(`${key} must be 1 to 200 letters, digits, '.', '_' or '-', got "${value}"`);
    }
  }
  if (name.includes('.')) throw new ConfigError(`SPILLWAY_WORKER_DEPLOYMENT must not contain '.', got "${name}"`);
  return { name, buildId, behavior: behavior === 'pinned' ? 'PINNED' : 'AUTO_UPGRADE', promote };
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
