// @ts-check
// Temporal's production server (not the dev server) on PostgreSQL, for `npm start -- --profile server`, the tests
// in test/server-profile/ and the benchmarks: built once from source with Go, its schema applied with its own SQL
// tool, started from config/temporal-server/, then given a namespace and Spillway's search attributes.
//
// Version: go.temporal.io/server v1.32.2, the newest release the module proxy serves. Its go.mod has no `replace`
// directive, so `go install module@version` builds it; it asks for Go >= 1.26.10, so when the local Go is older the
// build runs on BUILD_TOOLCHAIN (go1.27.3, the newer toolchain the proxy serves). v1.29.1 (the version the temporal
// CLI v1.5.1 depends on) also builds here with the local Go, but lacks two years of fixes and the fairness keys.
'use strict';
const { execFile, execFileSync, spawn } = require('node:child_process');
const {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { cacheDir: cliCacheDir, ensureTemporalCli } = require('./temporal-cli');
const { canBind, freePort, waitForPort } = require('./net');
const { SEARCH_ATTRIBUTES } = require('./stack');

const TEMPORAL_SERVER_VERSION = 'v1.32.2';
const MODULE = 'go.temporal.io/server';
/** The Go that v1.32.2's go.mod asks for, and the toolchain used when the local Go is older. */
const REQUIRED_GO = '1.26.10';
const BUILD_TOOLCHAIN = 'go1.27.3';
const CONFIG_DIR = path.resolve(__dirname, '..', '..', 'config', 'temporal-server');
const CONFIG_TEMPLATE = path.join(CONFIG_DIR, 'config.template.yaml');
const DYNAMIC_CONFIG = path.join(CONFIG_DIR, 'dynamicconfig.yaml');

/** Databases a server uses when none are given. */
const DEFAULT_DATABASES = Object.freeze({ default: 'temporal', visibility: 'temporal_visibility' });
/** Which schema folder (schema/postgresql/v12/<name>) each database gets. */
const SCHEMA_OF = Object.freeze({ default: 'temporal', visibility: 'visibility' });

/**
 * @typedef {object} TemporalServerBuild
 * @property {string} version     the go.temporal.io/server version, e.g. v1.32.2
 * @property {string} dir         the cache folder holding the binaries
 * @property {string} server      the `temporal-server` binary
 * @property {string} sqlTool     the `temporal-sql-tool` binary
 * @property {string} schemaDir   schema/postgresql/v12 of the module source, with temporal/ and visibility/
 *
 * @typedef {object} PostgresOptions
 * @property {string} [host]      default PGHOST or 127.0.0.1
 * @property {number} [port]      default PGPORT or 5432
 * @property {string} [user]      default PGUSER or postgres
 * @property {string} [password]  default PGPASSWORD or empty
 *
 * @typedef {{ default: string, visibility: string }} Databases
 *
 * @typedef {object} ServerTlsOptions
 * @property {string} certFile        PEM certificate the frontend presents
 * @property {string} keyFile         its private key
 * @property {string} [clientCaFile]  CA that client certificates must chain to; when given, clients need one (mTLS)
 * @property {string} [caFile]        CA of the server certificate, for our own clients (default clientCaFile)
 * @property {string} [clientCertFile] client certificate for our CLI calls and the server's own system worker
 * @property {string} [clientKeyFile]  its private key
 * @property {string} [serverName]    a name on the server certificate (default localhost)
 *
 * @typedef {object} ServerPorts
 * @property {number} frontend
 * @property {number} frontendHttp
 * @property {number} frontendMembership
 * @property {number} history
 * @property {number} historyMembership
 * @property {number} matching
 * @property {number} matchingMembership
 * @property {number} worker
 * @property {number} workerMembership
 *
 * @typedef {import('./stack').ChildEntry} ChildEntry
 * @typedef {(name: string, command: string, args: string[], options?: import('node:child_process').SpawnOptions)
 *   => ChildEntry} Spawner
 *
 * @typedef {object} RunResult   what a finished command left
 * @property {boolean} ok
 * @property {number | string} code
 * @property {string} stdout
 * @property {string} stderr
 *
 * @typedef {object} StartTemporalServerOptions
 * @property {string} [cli]             the temporal CLI (default: ensureTemporalCli())
 * @property {string} [ip]              address every service binds to (default 127.0.0.1)
 * @property {Partial<ServerPorts>} [ports] ports to use; missing ones are free ports
 * @property {number} [numHistoryShards] default 4; fixed for the life of the databases
 * @property {string} [namespace]       created when missing (default default)
 * @property {string} [retention]       of a namespace created here (default 72h)
 * @property {PostgresOptions} [postgres]
 * @property {Partial<Databases>} [databases] default temporal and temporal_visibility
 * @property {boolean} [setupSchema]    create the databases and apply the schema first (default true)
 * @property {ServerTlsOptions} [tls]   TLS on the frontend
 * @property {Record<string, unknown>} [dynamicConfig] keys to set on top of config/temporal-server/dynamicconfig.yaml
 *   (default: system.forceSearchAttributesCacheRefreshOnRead true, so a new search attribute is usable at once)
 * @property {string} [dir]             where the rendered config is written (default: a new temporary folder)
 * @property {string} [logLevel]        the server's log level (default warn)
 * @property {Spawner} [spawn]          how to start the process (Stack.spawnChild); default: a child logging to dir
 * @property {(message: string) => void} [log]
 * @property {number} [timeoutMs]       for the server to serve (default 120 s)
 *
 * @typedef {object} RunningTemporalServer
 * @property {ChildEntry} entry
 * @property {string} address           host:port of the frontend
 * @property {string} namespace
 * @property {ServerPorts} ports
 * @property {Databases} databases
 * @property {number} numHistoryShards
 * @property {string} dir
 * @property {string} configFile
 * @property {string} dynamicConfigFile
 * @property {string} version
 * @property {string[]} cliArgs         connection flags for the temporal CLI (--address and TLS)
 * @property {(graceMs?: number) => Promise<void>} stop  SIGTERM, SIGKILL after the grace period
 */

/**
 * @param {string} name
 * @returns {string | undefined}
 */
function onPath(name) {
  const found = execFileSync('sh', ['-c', `command -v ${name} || true`], { encoding: 'utf8' }).trim();
  return found || undefined;
}

function findGo() {
  return onPath('go') || (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
}

/**
 * Compares dotted versions: negative when a < b.
 * @param {string} a
 * @param {string} b
 */
function compareVersions(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] || 0) - (pb[i] || 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The environment for go commands on this module: the local Go when it is new enough, else BUILD_TOOLCHAIN.
 * @param {string} go
 */
function goEnv(go) {
  const local = execFileSync(go, ['env', 'GOVERSION'], {
    encoding: 'utf8',
    env: { ...process.env, GOTOOLCHAIN: 'local' },
  })
    .trim()
    .replace(/^go/, '');
  const toolchain = compareVersions(local, REQUIRED_GO) >= 0 ? 'local' : BUILD_TOOLCHAIN;
  return { ...process.env, GOTOOLCHAIN: toolchain, GOFLAGS: '-mod=mod' };
}

/** ~/.cache/spillway/temporal-server-<version>, beside the CLI's cache (SPILLWAY_CACHE_DIR, XDG_CACHE_HOME). */
function cacheDir() {
  return path.join(path.dirname(cliCacheDir()), `temporal-server-${TEMPORAL_SERVER_VERSION.replace(/^v/, '')}`);
}

function requireGo() {
  const go = findGo();
  if (!go) {
    throw new Error(
      `Temporal's production server is built from source with Go (${MODULE} ${TEMPORAL_SERVER_VERSION}), ` +
        'and no Go toolchain was found. Install Go, or use the dev server (npm start without --profile server).',
    );
  }
  return go;
}

/** @type {string | undefined} */
let schemaDirMemo;
/**
 * schema/postgresql/v12 inside the module source in the Go module cache (downloaded again if it was cleaned).
 * @param {string} go
 */
function locateSchemaDir(go) {
  if (schemaDirMemo) return schemaDirMemo;
  const out = execFileSync(go, ['mod', 'download', '-json', `${MODULE}@${TEMPORAL_SERVER_VERSION}`], {
    encoding: 'utf8',
    env: goEnv(go),
    cwd: os.tmpdir(),
  });
  const info = JSON.parse(out);
  if (info.Error || !info.Dir) throw new Error(`go mod download ${MODULE}@${TEMPORAL_SERVER_VERSION}: ${info.Error}`);
  const dir = path.join(info.Dir, 'schema', 'postgresql', 'v12');
  for (const name of Object.values(SCHEMA_OF)) {
    if (!existsSync(path.join(dir, name, 'versioned'))) throw new Error(`no ${name}/versioned schema in ${dir}`);
  }
  schemaDirMemo = dir;
  return dir;
}

/**
 * The server and its SQL tool, built once into the cache with `go install` (a few minutes the first time).
 * @param {{ log?: (message: string) => void }} [options]
 * @returns {TemporalServerBuild}
 */
function ensureTemporalServer({ log = console.log } = {}) {
  const go = requireGo();
  const dir = cacheDir();
  const server = path.join(dir, 'temporal-server');
  const sqlTool = path.join(dir, 'temporal-sql-tool');
  if (!existsSync(server) || !existsSync(sqlTool)) {
    mkdirSync(dir, { recursive: true });
    const env = goEnv(go);
    log(
      `building Temporal's production server ${TEMPORAL_SERVER_VERSION} and its SQL tool once into ${dir} ` +
        `(Go toolchain ${env.GOTOOLCHAIN}; a few minutes the first time) ...`,
    );
    const started = Date.now();
    // A private GOBIN, then a rename: a build that is interrupted never leaves a half-written binary in the cache.
    const gobin = mkdtempSync(path.join(dir, '.build-'));
    try {
      execFileSync(
        go,
        [
          'install',
          `${MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION}`,
          `${MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`,
        ],
        { env: { ...env, GOBIN: gobin }, stdio: ['ignore', 'inherit', 'inherit'], cwd: os.tmpdir() },
      );
      renameSync(path.join(gobin, 'sql'), sqlTool);
      renameSync(path.join(gobin, 'server'), server);
    } finally {
      rmSync(gobin, { recursive: true, force: true });
    }
    log(`built ${server} and ${sqlTool} in ${Math.round((Date.now() - started) / 1000)} s`);
  }
  return { version: TEMPORAL_SERVER_VERSION, dir, server, sqlTool, schemaDir: locateSchemaDir(go) };
}

/** @param {PostgresOptions} [postgres] */
function postgresSettings(postgres = {}) {
  const env = process.env;
  return {
    host: postgres.host || env.PGHOST || '127.0.0.1',
    port: Number(postgres.port || env.PGPORT || 5432),
    user: postgres.user || env.PGUSER || 'postgres',
    password: postgres.password ?? env.PGPASSWORD ?? '',
  };
}

/** @param {Partial<Databases>} [databases] @returns {Databases} */
function databaseNames(databases = {}) {
  return { ...DEFAULT_DATABASES, ...databases };
}

/**
 * @param {string} command
 * @param {string[]} args
 * @param {{ timeoutMs?: number, env?: NodeJS.ProcessEnv }} [options]
 * @returns {Promise<RunResult>}
 */
function run(command, args, { timeoutMs = 60_000, env } = {}) {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ ok: !err, code: err ? (err.code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/**
 * @param {Required<PostgresOptions>} pg
 * @param {string} database
 */
function sqlToolArgs(pg, database) {
  return ['--plugin', 'postgres12', '--ep', pg.host, '-p', String(pg.port), '-u', pg.user, '--db', database];
}

/**
 * @param {TemporalServerBuild} build
 * @param {Required<PostgresOptions>} pg
 * @param {string} database
 * @param {string[]} args
 */
async function sqlTool(build, pg, database, args) {
  // The password goes in SQL_PASSWORD, the tool's own variable, so it never shows in a process list.
  const env = { ...process.env, SQL_PASSWORD: pg.password };
  const result = await run(build.sqlTool, [...sqlToolArgs(pg, database), ...args], { env, timeoutMs: 120_000 });
  return result;
}

/**
 * Creates the databases when missing and brings their schema to the version this server ships. Idempotent:
 * `setup-schema -v 0.0` skips a database that already has a newer version, `update-schema` applies only what is new.
 * @param {{ postgres?: PostgresOptions, databases?: Partial<Databases>, build?: TemporalServerBuild,
 *   log?: (message: string) => void } & PostgresOptions} [options]  host/port/user/password may be given flat too
 * @returns {Promise<Databases>}
 */
async function setupSchema(options = {}) {
  const { databases, build = ensureTemporalServer({ log: options.log }), log = () => undefined } = options;
  const pg = postgresSettings({ ...options, ...options.postgres });
  const names = databaseNames(databases);
  for (const role of /** @type {(keyof Databases)[]} */ (Object.keys(names))) {
    const database = names[role];
    const created = await sqlTool(build, pg, database, ['create-database']);
    if (!created.ok && !/already exists/.test(created.stderr + created.stdout)) {
      throw new Error(`could not create database ${database} on ${pg.host}:${pg.port}: ${lastLines(created)}`);
    }
    const versioned = path.join(build.schemaDir, SCHEMA_OF[role], 'versioned');
    for (const args of [
      ['setup-schema', '-v', '0.0'],
      ['update-schema', '-d', versioned],
    ]) {
      const result = await sqlTool(build, pg, database, args);
      if (!result.ok) throw new Error(`${args[0]} of ${database} failed: ${lastLines(result)}`);
    }
    log(`database ${database} (${role}) is on the schema of ${build.version}`);
  }
  return names;
}

/**
 * Drops databases (tests create unique ones). The server using them must have stopped.
 * @param {{ postgres?: PostgresOptions, databases: Partial<Databases>, build?: TemporalServerBuild }} options
 */
async function dropDatabases({ postgres, databases, build = ensureTemporalServer({ log: () => undefined }) }) {
  const pg = postgresSettings(postgres);
  for (const database of Object.values(databases)) {
    if (!database) continue;
    const result = await sqlTool(build, pg, database, ['drop-database', '--force']);
    if (!result.ok) throw new Error(`could not drop database ${database}: ${lastLines(result)}`);
  }
}

/**
 * @param {RunResult} result
 * @param {number} [n]
 */
function lastLines(result, n = 6) {
  return (result.stderr || result.stdout).trim().split('\n').slice(-n).join('\n');
}

/**
 * ${name} → JSON value; an unknown or unused placeholder is an error, so template and code cannot drift.
 * @param {string} template
 * @param {Record<string, unknown>} values
 */
function renderTemplate(template, values) {
  const used = new Set();
  const text = template.replace(/\$\{(\w+)\}/g, (_, /** @type {string} */ name) => {
    if (!(name in values)) throw new Error(`${CONFIG_TEMPLATE}: no value for \${${name}}`);
    used.add(name);
    return JSON.stringify(values[name]);
  });
  const unused = Object.keys(values).filter((k) => !used.has(k));
  if (unused.length) throw new Error(`${CONFIG_TEMPLATE} has no placeholder for ${unused.join(', ')}`);
  return text;
}

/**
 * The shared dynamic config with some top-level keys replaced or added. Each key of the file is a top-level
 * `key:` line followed by its indented list, so a key's block ends where the next unindented line starts.
 * @param {string} base @param {Record<string, unknown>} overrides
 */
function withDynamicConfig(base, overrides) {
  const lines = base.split('\n');
  const kept = [];
  let skipping = false;
  for (const line of lines) {
    const key = /^([^\s#][^:]*):/.exec(line)?.[1];
    if (key !== undefined) skipping = key in overrides;
    else if (/^\S/.test(line)) skipping = false;
    if (!skipping) kept.push(line);
  }
  const added = Object.entries(overrides).map(([key, value]) => `${key}:\n  - value: ${JSON.stringify(value)}`);
  return `${kept.join('\n').trimEnd()}\n\n# Set for this run by scripts/lib/temporal-server.js\n${added.join('\n')}\n`;
}

/**
 * The server's `tls:` block, or an empty one.
 * @param {ServerTlsOptions | undefined} tls
 * @returns {Record<string, unknown>}
 */
function tlsBlock(tls) {
  if (!tls) return {};
  const serverName = tls.serverName || 'localhost';
  const caFile = tls.caFile || tls.clientCaFile;
  /** @type {Record<string, unknown>} */
  const block = {
    frontend: {
      server: {
        certFile: tls.certFile,
        keyFile: tls.keyFile,
        requireClientAuth: Boolean(tls.clientCaFile),
        ...(tls.clientCaFile ? { clientCaFiles: [tls.clientCaFile] } : {}),
      },
      client: { serverName, ...(caFile ? { rootCaFiles: [caFile] } : {}) },
    },
  };
  if (tls.clientCaFile && !(tls.clientCertFile && tls.clientKeyFile)) {
    throw new Error(
      'mutual TLS needs clientCertFile and clientKeyFile: the server and our CLI calls connect with them',
    );
  }
  // The server's system worker (schedules, batch jobs, namespace deletion) connects to the frontend as a client.
  block.systemWorker = {
    ...(tls.clientCertFile ? { certFile: tls.clientCertFile, keyFile: tls.clientKeyFile } : {}),
    client: { serverName, forceTLS: true, ...(caFile ? { rootCaFiles: [caFile] } : {}) },
  };
  return block;
}

/**
 * @param {string} address
 * @param {ServerTlsOptions | undefined} tls
 */
function cliConnectionArgs(address, tls) {
  // Our flags only: no profile file and no TEMPORAL_* variables of the caller's shell change where the CLI goes.
  const args = ['--address', address, '--disable-config-file', '--disable-config-env'];
  if (!tls) return [...args, '--tls=false'];
  args.push('--tls', '--tls-server-name', tls.serverName || 'localhost');
  const caFile = tls.caFile || tls.clientCaFile;
  if (caFile) args.push('--tls-ca-path', caFile);
  if (tls.clientCertFile && tls.clientKeyFile) {
    args.push('--tls-cert-path', tls.clientCertFile, '--tls-key-path', tls.clientKeyFile);
  }
  return args;
}

/**
 * Runs the temporal CLI; resolves its output or rejects with its error text.
 * @param {string} cli
 * @param {string[]} args
 * @param {number} [timeoutMs]
 */
async function temporalCli(cli, args, timeoutMs = 30_000) {
  const result = await run(cli, args, { timeoutMs });
  if (!result.ok) throw new Error(`temporal ${args.slice(0, 3).join(' ')}: ${lastLines(result)}`);
  return result.stdout;
}

/**
 * Retries fn until it resolves or the deadline passes; every wait here is bounded.
 * @template T
 * @param {string} what
 * @param {() => Promise<T>} fn
 * @param {{ timeoutMs?: number, intervalMs?: number, isAlive?: () => boolean }} [options]
 * @returns {Promise<T>}
 */
async function retry(what, fn, { timeoutMs = 60_000, intervalMs = 500, isAlive = () => true } = {}) {
  const deadline = Date.now() + timeoutMs;
  /** @type {unknown} */
  let last;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      last = err;
    }
    const why = last instanceof Error ? last.message : String(last);
    if (!isAlive()) throw new Error(`${what}: the Temporal server exited (${why})`);
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s (${why})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * A free port below 32768. The SQL stores keep a membership port in a SMALLINT column (cluster_membership.rpc_port),
 * so a port from the kernel's ephemeral range (32768 and up) makes the server fail at start with "out of range".
 * @param {string} ip
 * @param {Set<number>} taken
 */
async function freeMembershipPort(ip, taken) {
  for (let tries = 0; tries < 200; tries++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (!taken.has(port) && (await canBind(port, ip))) return port;
  }
  throw new Error(`no free port between 20000 and 32000 on ${ip}`);
}

/** @param {Partial<ServerPorts>} given @param {string} ip @returns {Promise<ServerPorts>} */
async function choosePorts(given, ip) {
  const names = /** @type {(keyof ServerPorts)[]} */ ([
    'frontend',
    'frontendHttp',
    'frontendMembership',
    'history',
    'historyMembership',
    'matching',
    'matchingMembership',
    'worker',
    'workerMembership',
  ]);
  const ports = /** @type {ServerPorts} */ ({});
  const taken = new Set(Object.values(given));
  for (const name of names) {
    let port = given[name];
    if (port !== undefined && name.endsWith('Membership') && port > 32767) {
      throw new Error(`ports.${name} must be below 32768 (a SMALLINT in the server's SQL schema), got ${port}`);
    }
    while (port === undefined || (given[name] === undefined && taken.has(port))) {
      port = name.endsWith('Membership') ? await freeMembershipPort(ip, taken) : await freePort(ip);
    }
    taken.add(port);
    ports[name] = port;
  }
  return ports;
}

/** A spawner for use without a Stack: output goes to temporal.log in dir. @param {string} dir @returns {Spawner} */
function fileSpawner(dir) {
  return (name, command, args, options = {}) => {
    const fd = openSync(path.join(dir, `${name}.log`), 'a');
    const child = spawn(command, args, { stdio: ['ignore', fd, fd], ...options });
    /** @type {ChildEntry} */
    const entry = { name, child, exited: false };
    child.on('exit', (code) => {
      entry.exited = true;
      entry.exitCode = code;
    });
    return entry;
  };
}

/** @param {ChildEntry} entry */
async function stopEntry(entry, graceMs = 10_000) {
  if (entry.exited) return;
  const exited = new Promise((resolve) => entry.child.once('exit', () => resolve('exited')));
  /** @param {number} ms */
  const within = async (ms) => {
    let timer;
    const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
    const outcome = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    return outcome;
  };
  entry.child.kill('SIGTERM');
  if ((await within(graceMs)) === 'timeout') {
    entry.child.kill('SIGKILL');
    await within(5_000);
  }
}

/**
 * Renders the config, starts the server, waits until it serves, creates the namespace when missing and registers
 * Spillway's search attributes (SQL visibility: they are created per namespace through the operator API).
 * @param {StartTemporalServerOptions} [options]
 * @returns {Promise<RunningTemporalServer>}
 */
async function startTemporalServer(options = {}) {
  const log = options.log || console.log;
  const build = ensureTemporalServer({ log });
  const cli = options.cli || ensureTemporalCli(log);
  const ip = options.ip || '127.0.0.1';
  const namespace = options.namespace || 'default';
  const numHistoryShards = options.numHistoryShards ?? 4;
  const pg = postgresSettings(options.postgres);
  const databases = databaseNames(options.databases);
  const timeoutMs = options.timeoutMs ?? 120_000;
  if (options.setupSchema !== false) await setupSchema({ postgres: pg, databases, build, log });

  const dir = options.dir || mkdtempSync(path.join(os.tmpdir(), 'spillway-temporal-server-'));
  mkdirSync(dir, { recursive: true });
  const ports = await choosePorts(options.ports || {}, ip);
  const configFile = path.join(dir, 'config.yaml');
  const dynamicConfigFile = path.join(dir, 'dynamicconfig.yaml');
  writeFileSync(
    dynamicConfigFile,
    withDynamicConfig(readFileSync(DYNAMIC_CONFIG, 'utf8'), {
      'system.forceSearchAttributesCacheRefreshOnRead': true,
      ...options.dynamicConfig,
    }),
  );
  writeFileSync(
    configFile,
    renderTemplate(readFileSync(CONFIG_TEMPLATE, 'utf8'), {
      logLevel: options.logLevel || 'warn',
      numHistoryShards,
      defaultDatabase: databases.default,
      visibilityDatabase: databases.visibility,
      postgresAddress: `${pg.host}:${pg.port}`,
      postgresUser: pg.user,
      postgresPassword: pg.password,
      ip,
      tls: tlsBlock(options.tls),
      frontendPort: ports.frontend,
      frontendHttpPort: ports.frontendHttp,
      frontendMembershipPort: ports.frontendMembership,
      historyPort: ports.history,
      historyMembershipPort: ports.historyMembership,
      matchingPort: ports.matching,
      matchingMembershipPort: ports.matchingMembership,
      workerPort: ports.worker,
      workerMembershipPort: ports.workerMembership,
      frontendAddress: `${ip}:${ports.frontend}`,
      frontendHttpAddress: `${ip}:${ports.frontendHttp}`,
      dynamicConfigFile,
    }),
    { mode: 0o600 },
  );

  const spawnChild = options.spawn || fileSpawner(dir);
  const entry = spawnChild('temporal', build.server, ['--config-file', configFile, '--allow-no-auth', 'start'], {
    env: { ...process.env },
  });
  const isAlive = () => !entry.exited;
  const address = `${ip}:${ports.frontend}`;
  const cliArgs = cliConnectionArgs(address, options.tls);
  /** @type {RunningTemporalServer} */
  const running = {
    entry,
    address,
    namespace,
    ports,
    databases,
    numHistoryShards,
    dir,
    configFile,
    dynamicConfigFile,
    version: build.version,
    cliArgs,
    stop: (graceMs) => stopEntry(entry, graceMs),
  };
  try {
    await waitForPort(ports.frontend, ip, timeoutMs, isAlive);
    await retry(
      `Temporal server at ${address} serving`,
      async () => {
        const out = await temporalCli(cli, ['operator', 'cluster', 'health', ...cliArgs], 10_000);
        if (!/SERVING/.test(out)) throw new Error(out.trim());
      },
      { timeoutMs, isAlive },
    );
    await ensureNamespace(cli, cliArgs, namespace, options.retention || '72h', isAlive);
    await ensureSearchAttributes(cli, cliArgs, namespace, isAlive);
  } catch (err) {
    await running.stop(5_000);
    throw err;
  }
  log(`Temporal server ${build.version} serving at ${address} (${numHistoryShards} shards, namespace ${namespace})`);
  return running;
}

/**
 * @param {string} cli
 * @param {string[]} cliArgs
 * @param {string} namespace
 * @param {string} retention
 * @param {() => boolean} isAlive
 */
async function ensureNamespace(cli, cliArgs, namespace, retention, isAlive) {
  const describe = () => temporalCli(cli, ['operator', 'namespace', 'describe', '--namespace', namespace, ...cliArgs]);
  try {
    await describe();
    return;
  } catch {
    // Missing: create it below.
  }
  await retry(
    `namespace ${namespace} created`,
    async () => {
      try {
        await temporalCli(cli, [
          'operator',
          'namespace',
          'create',
          '--namespace',
          namespace,
          '--retention',
          retention,
          ...cliArgs,
        ]);
      } catch (err) {
        if (!/already (exists|registered)/i.test(err instanceof Error ? err.message : '')) throw err;
      }
    },
    { timeoutMs: 30_000, isAlive },
  );
  await retry(`namespace ${namespace} visible`, describe, { timeoutMs: 30_000, isAlive });
}

/**
 * `temporal operator search-attribute create` takes many names but one type, so one call per type.
 * @param {string} cli
 * @param {string[]} cliArgs
 * @param {string} namespace
 * @param {() => boolean} isAlive
 */
async function ensureSearchAttributes(cli, cliArgs, namespace, isAlive) {
  const listArgs = ['operator', 'search-attribute', 'list', '--namespace', namespace, '-o', 'json', ...cliArgs];
  /** The attributes of SEARCH_ATTRIBUTES that the namespace lacks, grouped by type. */
  const missingByType = async () => {
    /** @type {{ customAttributes?: Record<string, string> }} */
    const listed = JSON.parse(await temporalCli(cli, listArgs));
    /** @type {Map<string, string[]>} */
    const byType = new Map();
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) {
      if (listed.customAttributes?.[name]) continue;
      byType.set(type, [...(byType.get(type) || []), name]);
    }
    return byType;
  };
  // A namespace created a moment ago may not be in every service's registry yet: retry until all exist.
  await retry(
    `search attributes registered on ${namespace}`,
    async () => {
      for (const [type, names] of await missingByType()) {
        const args = ['operator', 'search-attribute', 'create', '--namespace', namespace, '--type', type];
        for (const name of names) args.push('--name', name);
        try {
          await temporalCli(cli, [...args, ...cliArgs]);
        } catch (err) {
          if (!/already exists/i.test(err instanceof Error ? err.message : '')) throw err;
        }
      }
      const still = await missingByType();
      if (still.size) throw new Error(`still missing: ${[...still.values()].flat().join(', ')}`);
    },
    { timeoutMs: 60_000, intervalMs: 1000, isAlive },
  );
}

module.exports = {
  TEMPORAL_SERVER_VERSION,
  DEFAULT_DATABASES,
  CONFIG_DIR,
  cacheDir,
  ensureTemporalServer,
  setupSchema,
  dropDatabases,
  startTemporalServer,
  cliConnectionArgs,
  postgresSettings,
};

if (require.main === module) {
  try {
    const build = ensureTemporalServer();
    console.log(`${build.server}\n${build.sqlTool}\n${build.schemaDir}`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
