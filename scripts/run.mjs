// `npm start` and `npm stop`. Start brings up the whole laptop stack (Temporal dev server, Redis if needed, the local
// Lambda service, the worker and the API), prints the addresses and stops it all on Ctrl+C. `--detach` leaves it
// running in the background; `npm stop` ends it.
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
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATA = path.join(ROOT, 'data');
const PID_FILE = path.join(DATA, 'stack.pid');
const { ensureTemporalCli } = require('./lib/temporal-cli.js');
const { Stack } = require('./lib/stack.js');
const { canConnect, waitForHttp } = require('./lib/net.js');

const env = process.env;
const apiPort = Number(env.API_PORT || 8080);
const lambdaPort = Number(env.LAMBDA_PORT || 9001);
const temporalPort = Number(env.TEMPORAL_PORT || 7233);
const uiPort = Number(env.TEMPORAL_UI_PORT || 8233);
const redisUrl = env.REDIS_URL || 'redis://127.0.0.1:6379';

function run(cmd, args) {
  execFileSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
}

function newestMtime(dir) {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  const stack = [dir];
  while (stack.length) {
    const current = stack.pop();
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
    ...['domain', 'workflows', 'activities', 'api', 'worker', 'lambda', 'runtimes', 'live', 'clients', 'cli', 'pipelines'].map((d) =>
      newestMtime(path.join(ROOT, d)),
    ),
  );
  if (!existsSync(marker) || statSync(marker).mtimeMs < sources) {
    console.log('building ...');
    run('npm', ['run', '--silent', 'build']);
  }
  const dashboardIndex = path.join(ROOT, 'dashboard', 'dist', 'index.html');
  const dashboardSources = newestMtime(path.join(ROOT, 'dashboard', 'src'));
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

// ---- --profile server: Temporal's production server on PostgreSQL instead of the dev server -------------------
// (scripts/lib/temporal-server.js). PostgreSQL comes from PGHOST, PGPORT, PGUSER and PGPASSWORD (default
// 127.0.0.1:5432, user postgres); the databases temporal and temporal_visibility keep the tasks across restarts.

/** `dev` (the default) or `server`, from `--profile NAME` or `--profile=NAME`. */
function temporalProfile() {
  const at = flags.findIndex((f) => f === '--profile' || f.startsWith('--profile='));
  if (at < 0) return 'dev';
  const value = flags[at].includes('=') ? flags[at].split('=')[1] : flags[at + 1];
  if (value !== 'dev' && value !== 'server') {
    console.error(`--profile must be dev or server, got ${value ?? 'nothing'}`);
    process.exit(2);
  }
  return value;
}

function profileFlags() {
  return temporalProfile() === 'dev' ? [] : ['--profile', temporalProfile()];
}

function webUiLine(address) {
  if (temporalProfile() === 'dev') return `http://localhost:${uiPort}`;
  return `not part of the production server; use the CLI: temporal workflow list --address ${address}`;
}

async function startServerProfile(stack, cli) {
  const { TEMPORAL_SERVER_VERSION } = require('./lib/temporal-server.js');
  console.log(`starting Temporal's production server ${TEMPORAL_SERVER_VERSION} on PostgreSQL ...`);
  await stack.startTemporalServer({ cli, ports: { frontend: temporalPort }, dir: path.join(DATA, 'temporal-server') });
}

/** The example functions, deployed as a user deploys them (`spillway deploy`); an unchanged one is left alone. */
async function deployExamples(endpoint) {
  const root = path.join(ROOT, 'examples', 'functions');
  const folders = readdirSync(root)
    .filter((name) => existsSync(path.join(root, name, 'spillway.json')))
    .map((name) => path.join('examples', 'functions', name));
  console.log(`deploying the example functions (${folders.map((f) => path.basename(f)).join(', ')}) ...`);
  const result = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli', 'main.js'), 'deploy', ...folders], {
    cwd: ROOT,
    env: { ...env, LAMBDA_ENDPOINT: endpoint },
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`deploying the examples failed:\n${result.stderr || result.stdout}`);
  }
  for (const line of result.stdout.split('\n').filter((l) => /^(created|updated|unchanged) /.test(l))) {
    console.log(`  ${line}`);
  }
}

async function startForeground() {
  temporalProfile(); // a bad --profile stops here, before any build
  prepare();
  const stack = new Stack({ logDir: path.join(DATA, 'logs') });
  const shutdown = async (code) => {
    console.log('\nstopping Spillway ...');
    await stack.stop();
    rmSync(PID_FILE, { force: true });
    console.log('stopped.');
    process.exit(code);
  };
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));
  try {
    if (await canConnect(apiPort)) throw new Error(`port ${apiPort} is in use: is a stack already running? (npm stop)`);
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
    if (redis.started) console.log(`started redis-server for ${redisUrl} with its data in data/redis`);
    const shared = {
      TEMPORAL_ADDRESS: temporalAddress,
      REDIS_URL: redisUrl,
      SPILLWAY_CALLBACK_SECRET: callbackSecret(),
      NODE_ENV: env.NODE_ENV || 'development',
    };
    if (!env.TEMPORAL_ADDRESS) delete shared.TEMPORAL_ADDRESS;
    const lambdaEntry = path.join(ROOT, 'dist', 'lambda', 'server.js');
    if (existsSync(lambdaEntry) && !env.LAMBDA_ENDPOINT) {
      const lambda = stack.startNode('lambda', lambdaEntry, shared);
      await stack.waitForHealth(`http://127.0.0.1:${lambdaPort}/_spillway/status`, lambda);
      await deployExamples(`http://127.0.0.1:${lambdaPort}`);
    } else if (env.LAMBDA_ENDPOINT) {
      console.log(`using the Lambda endpoint ${env.LAMBDA_ENDPOINT}; deploy functions with npx spillway deploy <folder>`);
    }
    stack.startNode('worker', path.join(ROOT, 'dist', 'worker', 'main.js'), shared);
    const api = stack.startNode('api', path.join(ROOT, 'dist', 'api', 'server.js'), shared);
    await stack.waitForHealth(`http://127.0.0.1:${apiPort}/actuator/health`, api, 90_000);
    mkdirSync(DATA, { recursive: true });
    writeFileSync(PID_FILE, String(process.pid));
    console.log(`
Spillway is up.
  Dashboard and API   http://localhost:${apiPort}
  API docs (OpenAPI)  http://localhost:${apiPort}/docs
  Temporal profile    ${env.TEMPORAL_ADDRESS ? 'your cluster (TEMPORAL_ADDRESS)' : temporalProfile()}
  Temporal Web UI     ${env.TEMPORAL_ADDRESS ? '(your cluster)' : webUiLine(temporalAddress)}
  Temporal gRPC       ${temporalAddress}
  Local Lambda API    ${env.LAMBDA_ENDPOINT || `http://127.0.0.1:${lambdaPort}`}
  Logs                data/logs/
Press Ctrl+C to stop everything${env.SPILLWAY_DETACHED ? ' (or run npm stop)' : ''}.`);
  } catch (err) {
    console.error(`\nSpillway could not start: ${err.message}`);
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
  temporalProfile(); // a bad --profile stops here, before any build
  prepare();
  mkdirSync(path.join(DATA, 'logs'), { recursive: true });
  const logFile = path.join(DATA, 'logs', 'stack.log');
  const out = openSync(logFile, 'a');
  const offset = fstatSync(out).size;
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'start', ...profileFlags()], {
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
    console.log(`  … still starting (${Math.floor(seconds / 60)} min ${seconds % 60} s; data/logs/stack.log)`);
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
          throw new Error(`nothing happened for ${DETACHED_QUIET_LIMIT_MS / 60_000} minutes (${err.message})`);
        }
      }
    }
  } catch (err) {
    tail.stop();
    clearInterval(note);
    console.error(`Spillway did not come up: ${err.message}. See data/logs/stack.log`);
    process.exit(1);
  }
  tail.stop();
  clearInterval(note);
  console.log(`Spillway is up in the background.
  Dashboard and API   http://localhost:${apiPort}
  Temporal Web UI     ${webUiLine(env.TEMPORAL_ADDRESS || `127.0.0.1:${temporalPort}`)}
  Logs                data/logs/
  Stop it with        npm stop`);
  process.exit(0);
}

async function stop() {
  if (!existsSync(PID_FILE)) {
    console.log('no Spillway stack is running (no data/stack.pid)');
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
              console.error('usage: node scripts/run.mjs start [--detach] [--profile dev|server] | stop');
              process.exit(2);
            };
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
