// @ts-check
// `npm start` and `npm stop`. Start brings up the whole laptop stack (Temporal dev server, Redis if needed, the local
// Lambda service, the worker and the API), prints the addresses and stops it all on Ctrl+C. `--detach` leaves it
// running in the background; `npm stop` ends it. `--workers N` and `--apis N` run several of each: the API instances
// listen on the ports after API_PORT, and a round-robin balancer of ours (scripts/lib/balancer.js) takes API_PORT.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { canConnect, waitForHttp } from './lib/net.js';
import { startS3Server } from './lib/s3-server.js';
import { Stack } from './lib/stack.js';
import { ensureTemporalCli } from './lib/temporal-cli.js';
import { TEMPORAL_SERVER_VERSION } from './lib/temporal-server.js';
import { ensureTemporalUi, temporalUiArgs } from './lib/temporal-ui.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
// Everything a stack keeps (Temporal's SQLite file, secrets, logs, Lambda's functions, packages) lives under one
// folder, so a second stack (a test, a demo beside a dev stack) runs with SPILLWAY_DATA_DIR and its own ports.
const DATA = path.resolve(ROOT, env.SPILLWAY_DATA_DIR || 'data');
/** The data folder as the messages show it: `data` for the default, relative when inside the repository. */
const DATA_SHOWN = path.relative(ROOT, DATA).startsWith('..') ? DATA : path.relative(ROOT, DATA);
const PID_FILE = path.join(DATA, 'stack.pid');

const apiPort = Number(env.API_PORT || 8080);
const lambdaPort = Number(env.LAMBDA_PORT || 9001);
const temporalPort = Number(env.TEMPORAL_PORT || 7233);
const uiPort = Number(env.TEMPORAL_UI_PORT || 8233);
const redisUrl = env.REDIS_URL || 'redis://127.0.0.1:6379';

/** @param {unknown} err */
function messageOf(err) {
  return err instanceof Error ? err.message : String(err);
}

/**
 * @param {string} cmd
 * @param {string[]} args
 */
function run(cmd, args) {
  execFileSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
}

/** @param {string} dir */
function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  const stack = [dir];
  for (let current = stack.pop(); current !== undefined; current = stack.pop()) {
    for (const name of readdirSync(current)) {
      if (name === 'node_modules' || name === 'dist') continue;
      const full = path.join(current, name);
      const stat = statSync(full);
      if (stat.isDirectory()) stack.push(full);
      else if (name.endsWith('.ts')) newest = Math.max(newest, stat.mtimeMs);
    }
  }
  return newest;
}

/** Installs packages and compiles when they are missing or older than the sources. */
function prepare() {
  if (!existsSync(path.join(ROOT, 'node_modules', '.package-lock.json'))) {
    console.log('installing npm packages ...');
    run('npm', ['ci', '--no-audit', '--no-fund']);
  }
  const marker = path.join(ROOT, 'dist', 'workflow-bundle.js');
  const sources = Math.max(
    ...[
      'domain',
      'workflows',
      'activities',
      'api',
      'worker',
      'lambda',
      'runtimes',
      'live',
      'clients',
      'cli',
      'client',
      'pipelines',
    ].map((d) => newestMtime(path.join(ROOT, d))),
  );
  if (!existsSync(marker) || statSync(marker).mtimeMs < sources) {
    console.log('building ...');
    run('npm', ['run', '--silent', 'build']);
  }
  const dashboardIndex = path.join(ROOT, 'dashboard', 'dist', 'index.html');
  // The bundle also takes the task model from domain/ and the typed client from client/.
  const dashboardSources = Math.max(
    ...['dashboard/src', 'domain', 'client'].map((d) => newestMtime(path.join(ROOT, d))),
  );
  if (
    existsSync(path.join(ROOT, 'dashboard', 'vite.config.ts')) &&
    (!existsSync(dashboardIndex) || statSync(dashboardIndex).mtimeMs < dashboardSources)
  ) {
    console.log('building the dashboard ...');
    run('npm', ['run', '--silent', 'build:dashboard']);
  }
}

function callbackSecret() {
  if (env.SPILLWAY_CALLBACK_SECRET) return env.SPILLWAY_CALLBACK_SECRET;
  const file = path.join(DATA, 'callback-secret');
  if (!existsSync(file)) {
    mkdirSync(DATA, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

/** The local object store's key, made once and kept in the data folder like the callback secret. */
function s3Secret() {
  const file = path.join(DATA, 's3-secret');
  if (!existsSync(file)) {
    mkdirSync(DATA, { recursive: true });
    writeFileSync(file, randomBytes(24).toString('hex'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

/**
 * Payloads too large for an event go through S3 (api/services/payload-offload.ts): unless one is configured
 * (SPILLWAY_S3_ENDPOINT, SPILLWAY_S3_AWS) or SPILLWAY_S3=off, the stack runs SeaweedFS, a real S3-compatible server,
 * with its data in data/s3. The first start builds it with Go into ~/.cache/spillway (minutes); later ones take seconds.
 */
async function startObjectStore() {
  if (env.SPILLWAY_S3_ENDPOINT !== undefined || env.SPILLWAY_S3_AWS === 'true' || env.SPILLWAY_S3 === 'off') {
    return undefined;
  }
  console.log('starting SeaweedFS for large payloads (S3; built once with Go on a first start) ...');
  return startS3Server({
    dataDir: path.join(DATA, 's3'),
    accessKeyId: 'spillway-local',
    secretAccessKey: s3Secret(),
    s3Port: Number(env.SPILLWAY_S3_PORT || 8333),
    logFile: path.join(DATA, 'logs', 's3.log'),
    log: (m) => console.log(`  ${m}`),
  });
}

// ---- --profile server: Temporal's production server on PostgreSQL instead of the dev server -------------------
// (scripts/lib/temporal-server.js). PostgreSQL comes from PGHOST, PGPORT, PGUSER and PGPASSWORD (default
// 127.0.0.1:5432, user postgres); the databases TEMPORAL_DATABASE and TEMPORAL_VISIBILITY_DATABASE (default temporal
// and temporal_visibility) keep the tasks across restarts.

/**
 * The value of `--name VALUE` or `--name=VALUE`; undefined when the flag is absent, '' when its value is.
 * @param {string} name
 * @returns {string | undefined}
 */
function flagValue(name) {
  const at = flags.findIndex((f) => f === `--${name}` || f.startsWith(`--${name}=`));
  if (at < 0) return undefined;
  const flag = flags[at] ?? '';
  return (flag.includes('=') ? flag.slice(flag.indexOf('=') + 1) : flags[at + 1]) ?? '';
}

/** `dev` (the default) or `server`, from `--profile NAME` or `--profile=NAME`. */
function temporalProfile() {
  const value = flagValue('profile');
  if (value === undefined) return 'dev';
  if (value !== 'dev' && value !== 'server') {
    console.error(`--profile must be dev or server, got ${value || 'nothing'}`);
    process.exit(2);
  }
  return value;
}

/**
 * `--workers N` / `--apis N` (also `--workers=N`): how many processes of a kind, 1 to 16, default 1.
 * @param {string} name
 */
function countFlag(name) {
  const raw = flagValue(name);
  if (raw === undefined) return 1;
  const value = Number(raw);
  if (!raw || !Number.isInteger(value) || value < 1 || value > 16) {
    console.error(`--${name} must be a whole number from 1 to 16, got ${raw || 'nothing'}`);
    process.exit(2);
  }
  return value;
}

function checkFlags() {
  temporalProfile();
  countFlag('workers');
  countFlag('apis');
}

/** The flags a detached start passes on to the stack it starts. */
function forwardedFlags() {
  const out = temporalProfile() === 'dev' ? [] : ['--profile', temporalProfile()];
  if (countFlag('workers') > 1) out.push('--workers', String(countFlag('workers')));
  if (countFlag('apis') > 1) out.push('--apis', String(countFlag('apis')));
  return out;
}

function webUiLine() {
  return `http://localhost:${uiPort}`;
}

/**
 * @param {import('./lib/stack.js').Stack} stack
 * @param {string} cli
 */
async function startServerProfile(stack, cli) {
  console.log(`starting Temporal's production server ${TEMPORAL_SERVER_VERSION} on PostgreSQL ...`);
  await stack.startTemporalServer({
    cli,
    ports: { frontend: temporalPort },
    dir: path.join(DATA, 'temporal-server'),
    // Two stacks can share one PostgreSQL with databases of their own.
    databases: {
      default: env.TEMPORAL_DATABASE || 'temporal',
      visibility: env.TEMPORAL_VISIBILITY_DATABASE || 'temporal_visibility',
    },
  });
  // The production server has no Web UI of its own: the UI server the dev server embeds, on the same port.
  if (await canConnect(uiPort))
    throw new Error(`port ${uiPort} (the Temporal Web UI's) is in use; set TEMPORAL_UI_PORT`);
  const ui = stack.spawnChild(
    'temporal-ui',
    ensureTemporalUi({ log: (m) => console.log(`  ${m}`) }),
    temporalUiArgs({ dir: path.join(DATA, 'temporal-ui'), grpcAddress: `127.0.0.1:${temporalPort}`, port: uiPort }),
  );
  await stack.waitForHealth(`http://127.0.0.1:${uiPort}/api/v1/settings`, ui, 30_000);
  console.log(`  Temporal Web UI serving at http://localhost:${uiPort}`);
}

/** The example functions, deployed as a user deploys them (`spillway deploy`); an unchanged one is left alone. */
/**
 * The targets of LAMBDA_TARGETS (inline JSON or a file) on this machine other than the main local service: each
 * gets a local Lambda service of its own, in its region, so two local regions need nothing but LAMBDA_TARGETS.
 */
function extraLocalTargets() {
  const text = env.LAMBDA_TARGETS?.trim();
  if (!text) return [];
  let targets;
  try {
    targets = JSON.parse(text.startsWith('[') ? text : readFileSync(path.resolve(text), 'utf8'));
  } catch (err) {
    throw new Error(`LAMBDA_TARGETS is neither a JSON list nor a readable file: ${messageOf(err)}`);
  }
  if (!Array.isArray(targets)) return [];
  return targets.flatMap((t) => {
    const match = /^http:\/\/(127\.0\.0\.1|localhost):(\d+)\/?$/.exec(t?.endpoint ?? '');
    const port = match ? Number(match[2]) : undefined;
    if (!port || port === lambdaPort || typeof t.region !== 'string') return [];
    return [{ name: String(t.name ?? t.region), region: t.region, port }];
  });
}

/**
 * @param {string} endpoint
 * @param {string} [region]
 */
async function deployExamples(endpoint, region = env.AWS_REGION || 'us-east-1') {
  const root = path.join(ROOT, 'examples', 'functions');
  const folders = readdirSync(root)
    .filter((name) => existsSync(path.join(root, name, 'spillway.json')))
    .map((name) => path.join('examples', 'functions', name));
  console.log(`deploying the example functions (${folders.map((f) => path.basename(f)).join(', ')}) ...`);
  const result = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli', 'main.js'), 'deploy', ...folders], {
    cwd: ROOT,
    env: { ...env, LAMBDA_ENDPOINT: endpoint, AWS_REGION: region },
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`deploying the examples failed:\n${result.stderr || result.stdout}`);
  }
  for (const line of result.stdout.split('\n').filter((l) => /^(created|updated|unchanged) /.test(l))) {
    console.log(`  ${line}`);
  }
}

/** A worker's metrics port: 9464 for the first, the next ones after it (WORKER_METRICS_ADDRESS moves the first). */
/** @param {number} index */
function workerMetricsAddress(index) {
  const [host, port] = (env.WORKER_METRICS_ADDRESS || '127.0.0.1:9464').split(/:(?=\d+$)/);
  if (env.WORKER_METRICS_ADDRESS === 'off') return 'off';
  return `${host}:${Number(port) + index}`;
}

async function startForeground() {
  checkFlags(); // a bad flag stops here, before any build
  const workerCount = countFlag('workers');
  const apiCount = countFlag('apis');
  prepare();
  const stack = new Stack({ logDir: path.join(DATA, 'logs') });
  /** @type {import('./lib/s3-server.js').RunningS3Server | undefined} */
  let objectStore;
  /** @param {number} code */
  const shutdown = async (code) => {
    console.log('\nstopping Spillway ...');
    await stack.stop();
    await objectStore?.stop();
    // Only this start's own file: a start refused because a stack runs already leaves that stack's file alone.
    if (existsSync(PID_FILE) && Number(readFileSync(PID_FILE, 'utf8')) === process.pid) rmSync(PID_FILE);
    console.log('stopped.');
    process.exit(code);
  };
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));
  try {
    if (await canConnect(apiPort)) throw new Error(`port ${apiPort} is in use: is a stack already running? (npm stop)`);
    // With several API instances they take the ports after API_PORT, and the balancer takes API_PORT.
    const apiPorts = apiCount === 1 ? [apiPort] : Array.from({ length: apiCount }, (_, i) => apiPort + 1 + i);
    for (const port of apiPorts) {
      if (await canConnect(port)) throw new Error(`port ${port} (an API instance's) is in use; set API_PORT elsewhere`);
    }
    // From here on `npm stop` ends this start too, also while it is still coming up (shutdown removes the file).
    mkdirSync(DATA, { recursive: true });
    writeFileSync(PID_FILE, String(process.pid));
    const temporalAddress = env.TEMPORAL_ADDRESS || `127.0.0.1:${temporalPort}`;
    if (!env.TEMPORAL_ADDRESS) {
      if (await canConnect(temporalPort)) {
        throw new Error(
          `port ${temporalPort} is in use; stop what runs there, or set TEMPORAL_ADDRESS to use it as the cluster`,
        );
      }
      const cli = ensureTemporalCli();
      if (temporalProfile() === 'server') await startServerProfile(stack, cli);
      else {
        console.log(`starting the Temporal dev server (${cli}) ...`);
        await stack.startTemporal({ cli, port: temporalPort, uiPort, dbFile: path.join(DATA, 'temporal.db') });
      }
    }
    const redis = await stack.ensureRedis({ url: redisUrl, dataDir: path.join(DATA, 'redis') });
    if (redis.started) console.log(`started redis-server for ${redisUrl} with its data in ${DATA_SHOWN}/redis`);
    /** @type {Record<string, string>} */
    const shared = {
      TEMPORAL_ADDRESS: temporalAddress,
      REDIS_URL: redisUrl,
      SPILLWAY_CALLBACK_SECRET: callbackSecret(),
      NODE_ENV: env.NODE_ENV || 'development',
      // Lambda callbacks and the links in answers go to API_PORT, whichever instance (or the balancer) is there.
      SPILLWAY_CALLBACK_URL: env.SPILLWAY_CALLBACK_URL || `http://127.0.0.1:${apiPort}/api/callbacks/lambda`,
      SPILLWAY_PUBLIC_URL: env.SPILLWAY_PUBLIC_URL || `http://localhost:${apiPort}`,
      // The deployed packages the workers unpack, in this stack's data folder.
      SPILLWAY_PACKAGE_CACHE_DIR: env.SPILLWAY_PACKAGE_CACHE_DIR || path.join(DATA, 'packages'),
    };
    if (!env.TEMPORAL_ADDRESS) delete shared.TEMPORAL_ADDRESS;
    mkdirSync(path.join(DATA, 'logs'), { recursive: true });
    objectStore = await startObjectStore();
    if (objectStore) {
      Object.assign(shared, {
        SPILLWAY_S3_ENDPOINT: objectStore.endpoint,
        SPILLWAY_S3_ACCESS_KEY_ID: objectStore.accessKeyId,
        SPILLWAY_S3_SECRET_ACCESS_KEY: objectStore.secretAccessKey,
      });
    }
    const lambdaEntry = path.join(ROOT, 'dist', 'lambda', 'server.js');
    if (existsSync(lambdaEntry) && !env.LAMBDA_ENDPOINT) {
      const lambda = stack.startNode('lambda', lambdaEntry, {
        ...shared,
        LAMBDA_DATA_DIR: env.LAMBDA_DATA_DIR || path.join(DATA, 'lambda'),
      });
      await stack.waitForHealth(`http://127.0.0.1:${lambdaPort}/_spillway/status`, lambda);
      await deployExamples(`http://127.0.0.1:${lambdaPort}`);
      for (const target of extraLocalTargets()) {
        console.log(`starting a local Lambda service for ${target.name} (${target.region}) on ${target.port} ...`);
        const extra = stack.startNode(`lambda-${target.name}`, lambdaEntry, {
          ...shared,
          LAMBDA_PORT: String(target.port),
          LAMBDA_DATA_DIR: path.join(DATA, `lambda-${target.name}`),
          AWS_REGION: target.region,
        });
        await stack.waitForHealth(`http://127.0.0.1:${target.port}/_spillway/status`, extra);
        await deployExamples(`http://127.0.0.1:${target.port}`, target.region);
      }
    } else if (env.LAMBDA_ENDPOINT) {
      console.log(
        `using the Lambda endpoint ${env.LAMBDA_ENDPOINT}; deploy functions with npx spillway deploy <folder>`,
      );
    }
    /** `worker` alone, or `worker-1`, `worker-2` … @type {(role: string, i: number, count: number) => string} */
    const name = (role, i, count) => (count === 1 ? role : `${role}-${i + 1}`);
    // The worker's grace period for attempts in flight, and a margin, before stop() kills it.
    const workerGraceMs = Number(env.SPILLWAY_WORKER_SHUTDOWN_GRACE_MS || 20_000) + 5_000;
    const workers = [];
    for (let i = 0; i < workerCount; i++) {
      const worker = stack.startNode(
        name('worker', i, workerCount),
        path.join(ROOT, 'dist', 'worker', 'main.js'),
        { ...shared, WORKER_METRICS_ADDRESS: workerMetricsAddress(i) },
        { stopGraceMs: workerGraceMs },
      );
      workers.push(worker);
    }
    const apiGraceMs = Number(env.SPILLWAY_API_SHUTDOWN_GRACE_MS || 10_000) + 5_000;
    const apis = apiPorts.map((port, i) =>
      stack.startNode(
        name('api', i, apiCount),
        path.join(ROOT, 'dist', 'api', 'server.js'),
        {
          ...shared,
          API_PORT: String(port),
          // The API's /metrics adds the SDK metrics of one worker: the first.
          WORKER_METRICS_URL: env.WORKER_METRICS_URL || `http://${workerMetricsAddress(0)}/metrics`,
        },
        { stopGraceMs: apiGraceMs },
      ),
    );
    await Promise.all(
      apis.map((api, i) => stack.waitForHealth(`http://127.0.0.1:${apiPorts[i]}/actuator/health`, api, 90_000)),
    );
    if (apiCount > 1) {
      await stack.startBalancer({ port: apiPort, backends: apiPorts.map((p) => `127.0.0.1:${p}`) });
    }
    console.log(`
Spillway is up.
  Dashboard and API   http://localhost:${apiPort}${apiCount > 1 ? ` (balancer over ${apiCount} API instances on ${apiPorts.join(', ')})` : ''}
  API docs (OpenAPI)  http://localhost:${apiPort}/docs
  Workers             ${workerCount}${workerCount > 1 ? ` (metrics on ${workers.map((_, i) => workerMetricsAddress(i)).join(', ')})` : ''}
  Temporal profile    ${env.TEMPORAL_ADDRESS ? 'your cluster (TEMPORAL_ADDRESS)' : temporalProfile()}
  Temporal Web UI     ${env.TEMPORAL_ADDRESS ? '(your cluster)' : webUiLine()}
  Temporal gRPC       ${temporalAddress}
  Local Lambda API    ${env.LAMBDA_ENDPOINT || `http://127.0.0.1:${lambdaPort}`}${
    env.LAMBDA_ENDPOINT
      ? ''
      : extraLocalTargets()
          .map((t) => `\n                      http://127.0.0.1:${t.port} (${t.name}, ${t.region})`)
          .join('')
  }
  Object store (S3)   ${objectStore ? `${objectStore.endpoint} (SeaweedFS, data in ${DATA_SHOWN}/s3)` : env.SPILLWAY_S3_ENDPOINT || (env.SPILLWAY_S3_AWS === 'true' ? 'AWS S3' : 'none (SPILLWAY_S3=off)')}
  Logs                ${DATA_SHOWN}/logs/
Press Ctrl+C to stop everything${env.SPILLWAY_DETACHED ? ' (or run npm stop)' : ''}.`);
  } catch (err) {
    console.error(`\nSpillway could not start: ${messageOf(err)}`);
    await shutdown(1);
  }
}

/** Only the Temporal dev server, in the foreground: for running the other processes by hand. */
async function startTemporalOnly() {
  const stack = new Stack({ inheritOutput: true });
  process.once('SIGINT', () => void stack.stop().then(() => process.exit(0)));
  process.once('SIGTERM', () => void stack.stop().then(() => process.exit(0)));
  await stack.startTemporal({
    cli: ensureTemporalCli(),
    port: temporalPort,
    uiPort,
    dbFile: path.join(DATA, 'temporal.db'),
  });
  console.log(`Temporal dev server on 127.0.0.1:${temporalPort}, Web UI http://localhost:${uiPort}`);
}

/**
 * Follows a log file from `offset`, handing each complete new line to `onLine`, until stop() is called: the
 * background stack's progress (npm packages, builds, the first-time Temporal CLI build) shows in the terminal.
 */
/**
 * @param {string} file
 * @param {number} offset
 * @param {(line: string) => void} onLine
 */
function followLog(file, offset, onLine) {
  let position = offset;
  let partial = '';
  const read = () => {
    let fd;
    try {
      fd = openSync(file, 'r');
      const size = fstatSync(fd).size;
      if (size < position) position = 0; // truncated: start over
      while (position < size) {
        const buffer = Buffer.alloc(Math.min(64 * 1024, size - position));
        const n = readSync(fd, buffer, 0, buffer.length, position);
        if (n <= 0) break;
        position += n;
        partial += buffer.subarray(0, n).toString('utf8');
      }
    } catch {
      return; // not there yet
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  };
  const timer = setInterval(read, 250);
  return {
    stop() {
      clearInterval(timer);
      read();
    },
  };
}

/** Waiting stops only when the stack is up, its starter exited, or nothing happened for this long. */
const DETACHED_QUIET_LIMIT_MS = 15 * 60_000;

async function startDetached() {
  checkFlags(); // a bad flag stops here, before any build
  prepare();
  mkdirSync(path.join(DATA, 'logs'), { recursive: true });
  const logFile = path.join(DATA, 'logs', 'stack.log');
  const out = openSync(logFile, 'a');
  const offset = fstatSync(out).size;
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'start', ...forwardedFlags()], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...env, SPILLWAY_DETACHED: '1' },
  });
  child.unref();
  let exited = false;
  let exitCode = null;
  child.on('exit', (code) => {
    exited = true;
    exitCode = code;
  });
  // What the background start does shows here as it happens (it also stays in data/logs/stack.log). A first start
  // builds the Temporal CLI, minutes without a line, so a quiet spell gets a note now and then; the wait lasts as
  // long as the start makes progress, not a fixed time.
  const started = Date.now();
  let lastActivity = Date.now();
  let summaryReached = false;
  const tail = followLog(logFile, offset, (line) => {
    lastActivity = Date.now();
    if (/^Spillway is up\./.test(line)) summaryReached = true;
    if (!summaryReached && line.trim()) console.log(`  ${line}`);
  });
  const note = setInterval(() => {
    if (Date.now() - lastActivity < 30_000) return;
    const seconds = Math.round((Date.now() - started) / 1000);
    console.log(`  … still starting (${Math.floor(seconds / 60)} min ${seconds % 60} s; ${DATA_SHOWN}/logs/stack.log)`);
  }, 30_000);
  const healthUrl = `http://127.0.0.1:${apiPort}/actuator/health`;
  try {
    for (;;) {
      try {
        await waitForHttp(healthUrl, 5_000, () => !exited);
        break;
      } catch (err) {
        if (exited) throw new Error(`the background start exited (${exitCode ?? 'killed'})`);
        if (Date.now() - lastActivity > DETACHED_QUIET_LIMIT_MS) {
          throw new Error(`nothing happened for ${DETACHED_QUIET_LIMIT_MS / 60_000} minutes (${messageOf(err)})`);
        }
      }
    }
  } catch (err) {
    tail.stop();
    clearInterval(note);
    console.error(`Spillway did not come up: ${messageOf(err)}. See ${DATA_SHOWN}/logs/stack.log`);
    process.exit(1);
  }
  tail.stop();
  clearInterval(note);
  console.log(`Spillway is up in the background.
  Dashboard and API   http://localhost:${apiPort}
  Temporal Web UI     ${env.TEMPORAL_ADDRESS ? '(your cluster)' : webUiLine()}
  Logs                ${DATA_SHOWN}/logs/
  Stop it with        npm stop`);
  process.exit(0);
}

async function stop() {
  if (!existsSync(PID_FILE)) {
    console.log(`no Spillway stack is running (no ${DATA_SHOWN}/stack.pid)`);
    return;
  }
  const pid = Number(readFileSync(PID_FILE, 'utf8'));
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    console.log('the stack had already stopped');
    rmSync(PID_FILE, { force: true });
    return;
  }
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      console.log('Spillway stopped.');
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  console.error(`the stack (pid ${pid}) did not stop within 60 s`);
  process.exit(1);
}

const [command, ...flags] = process.argv.slice(2);
const main =
  command === 'stop'
    ? stop
    : command === 'temporal'
      ? startTemporalOnly
      : command === 'start' && (flags.includes('--detach') || flags.includes('-d'))
        ? startDetached
        : command === 'start'
          ? startForeground
          : () => {
              console.error(
                'usage: node scripts/run.mjs start [--detach] [--profile dev|server] [--workers N] [--apis N] | stop',
              );
              process.exit(2);
            };
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
