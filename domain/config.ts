// Configuration is read from the environment once, checked once, and frozen. A bad value stops the process at
// start-up with a message that names the variable, instead of failing later in the middle of a task.
import { readFileSync } from 'node:fs';
import type { RetrySettings } from './task-model';
import { parseNamedLimits, parseRate } from './task-options';
import { BudgetConfigError, parseBudgets, type Budget } from './budget-policy';
import { AUTO_OBJECTIVES, AUTO_POLICIES, type AutoObjective, type AutoPolicy } from './placement-predictor';
import { LambdaTargetsError, parseLambdaTargets, REGION_PATTERN, type LambdaTarget } from './region-model';

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
    /** LOG_LEVEL: the API's log level (fatal, error, warn, info, debug, trace or silent). @default info */
    logLevel: LogLevel;
    /** WORKER_METRICS_URL: a worker's Prometheus metrics, merged into the API's /metrics. @default http://127.0.0.1:9464/metrics */
    workerMetricsUrl: string;
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
    /** WORKER_METRICS_ADDRESS: host:port of the worker's Prometheus endpoint, or `off`. @default 127.0.0.1:9464 */
    metricsAddress: string | 'off';
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
  placement: PlacementConfig;
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

/** A variable's default as the parser applies it when the variable is unset. */
export type ConfigDefault = string | number | boolean;

/** Set on an env to hear each variable's default as loadConfig parses it (see configDefaults). */
const DEFAULTS = Symbol('spillway.configDefaults');

type Env = Record<string, string | undefined> & { [DEFAULTS]?: Map<string, ConfigDefault> };

function noteDefault(env: Env, key: string, fallback: ConfigDefault): void {
  env[DEFAULTS]?.set(key, fallback);
}

/**
 * Every variable that has a default, with the default loadConfig applies, as parsed from `env` (other variables can
 * change a default: SPILLWAY_PUBLIC_URL follows API_PORT). The README's configuration table is checked against it
 * (test/unit/config-readme.test.ts), so the documented defaults are the ones in force.
 */
export function configDefaults(env: Record<string, string | undefined> = {}): ReadonlyMap<string, ConfigDefault> {
  const recording: Env = { ...env, [DEFAULTS]: new Map() };
  loadConfig(recording);
  return recording[DEFAULTS] ?? new Map();
}

function str(env: Env, key: string, fallback: string): string {
  noteDefault(env, key, fallback);
  const value = env[key];
  return value === undefined || value === '' ? fallback : value;
}

function int(env: Env, key: string, fallback: number, min: number, max: number): number {
  noteDefault(env, key, fallback);
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${key} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function num(env: Env, key: string, fallback: number, min: number, max: number): number {
  noteDefault(env, key, fallback);
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${key} must be a number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function bool(env: Env, key: string, fallback: boolean): boolean {
  noteDefault(env, key, fallback);
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
  // An API key (Temporal Cloud) goes only over TLS: say so here rather than rely on the SDK's implicit default.
  const tlsWanted =
    bool(env, 'TEMPORAL_TLS', false) ||
    Boolean(env.TEMPORAL_TLS_CERT) ||
    Boolean(env.TEMPORAL_TLS_CA) ||
    Boolean(env.TEMPORAL_API_KEY);
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
      logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
      workerMetricsUrl: url(env, 'WORKER_METRICS_URL', 'http://127.0.0.1:9464/metrics', ['http:', 'https:']),
    },
    worker: {
      shutdownGraceMs: int(env, 'SPILLWAY_WORKER_SHUTDOWN_GRACE_MS', 20_000, 0, 3_600_000),
      deployment: workerDeployment(env),
      metricsAddress: metricsAddress(env),
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
    placement: placementConfig(env, {
      endpoint: url(env, 'LAMBDA_ENDPOINT', `http://127.0.0.1:${int(env, 'LAMBDA_PORT', 9001, 1, 65535)}`, [
        'http:',
        'https:',
      ]),
      region: str(env, 'AWS_REGION', 'us-east-1'),
    }),
  };
  return deepFreeze(config);
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

function metricsAddress(env: Env): string {
  const address = str(env, 'WORKER_METRICS_ADDRESS', '127.0.0.1:9464');
  if (address !== 'off' && !/^\S+:\d{1,5}$/.test(address)) {
    throw new ConfigError(`WORKER_METRICS_ADDRESS must be host:port or off, got "${address}"`);
  }
  return address;
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

// ---------------------------------------------------------------------------------------------------------------
// Predictive placement, Lambda targets (regions), large payloads through S3 and budgets (issue 14). Every variable
// is read here, once; each field says its variable and its default.

export interface PlacementConfig {
  /**
   * SCHEDULER_AUTO_POLICY: `predictive` (domain/placement-predictor.ts) or `threshold` (the seed's rule of
   * placement-policy.ts). @default 'predictive'
   */
  autoPolicy: AutoPolicy;
  /** SCHEDULER_AUTO_OBJECTIVE: what predictive AUTO minimises: `balanced`, `latency` or `cost`. @default 'balanced' */
  objective: AutoObjective;
  /**
   * SCHEDULER_AUTO_LATENCY_USD_PER_SECOND: under `balanced`, what one second of a task's completion time is worth.
   * @default 0.00001 (a second matters as much as the cost of about 0.6 GB-seconds of Lambda)
   */
  latencyUsdPerSecond: number;
  /** SCHEDULER_AUTO_INVOKE_OVERHEAD_MS: an async Invoke's time before the handler starts, until measured. @default 15 */
  invokeOverheadMs: number;
  /** SCHEDULER_AUTO_LOCAL_OVERHEAD_MS: time a local slot is held beyond the handler's run, until measured. @default 0 */
  localOverheadMs: number;
  /** SCHEDULER_AUTO_DEFAULT_INIT_MS: a cold start's Init Duration before one is measured. @default 250 */
  defaultInitMs: number;
  /** SPILLWAY_PLACEMENT_HALF_LIFE_MS: learned durations lose half their weight in this long. @default 3600000 (1 h) */
  statsHalfLifeMs: number;
  /** SPILLWAY_PLACEMENT_PRIOR_WEIGHT: the manifest's expectedDurationMs counts as this many samples. @default 3 */
  priorWeight: number;
  /** SPILLWAY_LOCAL_REGION: the region the local pool runs in, for residency and transfer. @default AWS_REGION */
  localRegion: string;
  /**
   * LAMBDA_TARGETS: a JSON list of Lambda targets (`[{"name","region","endpoint","credentials","prices",
   * "concurrency"}]`, see domain/region-model.ts), or the path of a file holding it.
   * @default one target: LAMBDA_ENDPOINT in AWS_REGION, named after the region
   */
  lambdaTargets: readonly LambdaTarget[];
  /** SPILLWAY_PRICES_FILE: the dated price table. @default config/prices.json */
  pricesFile?: string;
  /** SPILLWAY_TRANSFER_PRICES_FILE: inter-region transfer prices. @default config/transfer-prices.json if present */
  transferPricesFile?: string;
  /**
   * SPILLWAY_LARGE_PAYLOAD_BYTES: payloads and results above this go through S3 when an object store is set
   * (and always above Lambda's 1 MB async limit). @default 262144 (256 KB)
   */
  largePayloadBytes: number;
  objectStore?: ObjectStoreConfig;
  /** SPILLWAY_BUDGETS: `{"budgets": [...]}` (domain/budget-policy.ts) inline or the path of a file. @default none */
  budgets: readonly Budget[];
  /**
   * SCHEDULER_WARM_POOL_ENV_LIFETIME_SECONDS: how long an idle Lambda environment stays warm, for the warm pool's
   * sizing (a warm-up after it pays an init) and for counting the cold starts warming saved. @default 600
   */
  warmEnvironmentLifetimeMs: number;
  /** SCHEDULER_WARM_POOL_MAX: the most environments auto mode keeps warm per function. @default 20 */
  warmPoolMax: number;
}

export interface ObjectStoreConfig {
  /** SPILLWAY_S3_ENDPOINT: an S3-compatible endpoint; unset means no object store (and on AWS: set it empty and */
  /** SPILLWAY_S3_AWS=true to use AWS's own endpoints). */
  endpoint?: string;
  /** SPILLWAY_S3_BUCKET_PREFIX: buckets are `<prefix><region>`. @default 'spillway-payloads-' */
  bucketPrefix: string;
  /** SPILLWAY_S3_ACCESS_KEY_ID / SPILLWAY_S3_SECRET_ACCESS_KEY. @default the AWS credentials */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** SPILLWAY_S3_FORCE_PATH_STYLE: path-style URLs (S3-compatible servers). @default true with an endpoint */
  forcePathStyle: boolean;
  /** SPILLWAY_S3_URL_TTL_SECONDS: how long a pre-signed URL is valid. @default 3600 */
  urlTtlSeconds: number;
}

/** A value that is inline JSON, or else the path of a file holding it. */
function jsonOrFile(env: Env, key: string): { text: string; source: string } | undefined {
  const raw = env[key]?.trim();
  if (!raw) return undefined;
  if (raw.startsWith('[') || raw.startsWith('{')) return { text: raw, source: key };
  try {
    return { text: readFileSync(raw, 'utf8'), source: `${key} (${raw})` };
  } catch (err) {
    throw new ConfigError(`${key} is neither JSON nor a readable file: ${(err as Error).message}`);
  }
}

function oneOf<T extends string>(env: Env, key: string, values: readonly T[], fallback: T): T {
  const raw = str(env, key, fallback);
  if ((values as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(`${key} must be one of ${values.join(', ')}, got "${raw}"`);
}

function placementConfig(env: Env, lambda: { endpoint: string; region: string }): PlacementConfig {
  const localRegion = str(env, 'SPILLWAY_LOCAL_REGION', lambda.region);
  if (!new RegExp(REGION_PATTERN).test(localRegion)) {
    throw new ConfigError(`SPILLWAY_LOCAL_REGION must be a region name, got "${localRegion}"`);
  }
  let lambdaTargets: LambdaTarget[];
  let budgets: Budget[];
  try {
    const targets = jsonOrFile(env, 'LAMBDA_TARGETS');
    lambdaTargets = parseLambdaTargets(targets?.text, lambda, targets?.source);
    const budgetText = jsonOrFile(env, 'SPILLWAY_BUDGETS');
    budgets = parseBudgets(budgetText?.text, budgetText?.source);
  } catch (err) {
    if (err instanceof LambdaTargetsError || err instanceof BudgetConfigError) throw new ConfigError(err.message);
    throw err;
  }
  const s3Endpoint = env.SPILLWAY_S3_ENDPOINT || undefined;
  const s3Aws = bool(env, 'SPILLWAY_S3_AWS', false);
  return {
    autoPolicy: oneOf(env, 'SCHEDULER_AUTO_POLICY', AUTO_POLICIES, 'predictive'),
    objective: oneOf(env, 'SCHEDULER_AUTO_OBJECTIVE', AUTO_OBJECTIVES, 'balanced'),
    latencyUsdPerSecond: num(env, 'SCHEDULER_AUTO_LATENCY_USD_PER_SECOND', 0.00001, 0, 1),
    invokeOverheadMs: int(env, 'SCHEDULER_AUTO_INVOKE_OVERHEAD_MS', 15, 0, 60_000),
    localOverheadMs: int(env, 'SCHEDULER_AUTO_LOCAL_OVERHEAD_MS', 0, 0, 60_000),
    defaultInitMs: int(env, 'SCHEDULER_AUTO_DEFAULT_INIT_MS', 250, 0, 60_000),
    statsHalfLifeMs: int(env, 'SPILLWAY_PLACEMENT_HALF_LIFE_MS', 3_600_000, 1000, 30 * 86_400_000),
    priorWeight: num(env, 'SPILLWAY_PLACEMENT_PRIOR_WEIGHT', 3, 0, 1000),
    localRegion,
    lambdaTargets,
    pricesFile: env.SPILLWAY_PRICES_FILE || undefined,
    transferPricesFile: env.SPILLWAY_TRANSFER_PRICES_FILE || undefined,
    largePayloadBytes: int(env, 'SPILLWAY_LARGE_PAYLOAD_BYTES', 256 * 1024, 1024, 1024 * 1024),
    warmEnvironmentLifetimeMs: int(env, 'SCHEDULER_WARM_POOL_ENV_LIFETIME_SECONDS', 600, 1, 86_400) * 1000,
    warmPoolMax: int(env, 'SCHEDULER_WARM_POOL_MAX', 20, 0, 10_000),
    objectStore:
      s3Endpoint || s3Aws
        ? {
            endpoint: s3Endpoint ? url(env, 'SPILLWAY_S3_ENDPOINT', s3Endpoint, ['http:', 'https:']) : undefined,
            bucketPrefix: str(env, 'SPILLWAY_S3_BUCKET_PREFIX', 'spillway-payloads-'),
            accessKeyId: env.SPILLWAY_S3_ACCESS_KEY_ID || env.AWS_ACCESS_KEY_ID || undefined,
            secretAccessKey: env.SPILLWAY_S3_SECRET_ACCESS_KEY || env.AWS_SECRET_ACCESS_KEY || undefined,
            forcePathStyle: bool(env, 'SPILLWAY_S3_FORCE_PATH_STYLE', Boolean(s3Endpoint)),
            urlTtlSeconds: int(env, 'SPILLWAY_S3_URL_TTL_SECONDS', 3600, 60, 7 * 86_400),
          }
        : undefined,
    budgets,
  };
}
