// @ts-check
// Starts and stops the processes of a Spillway stack. `npm start`, the test setup and the benchmarks all use it,
// so every one of them runs the same real parts in the same way.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { mkdirSync, openSync } = require('node:fs');
const path = require('node:path');
const { waitForPort, pingRedis, waitForHttp } = require('./net');

// Declared once, beside the typed keys in domain/search-attributes.ts (this launcher runs before anything is compiled).
const SEARCH_ATTRIBUTES = require('../../domain/search-attributes.json');

/**
 * Dynamic config of the dev server; the production profile's lives in config/temporal-server/dynamicconfig.yaml.
 * Priority and fair shares order each task-queue partition's backlog on its own; a one-machine stack gains nothing
 * from several partitions, so it keeps one and the order is the same for every task.
 */
const DEV_DYNAMIC_CONFIG = [
  'matching.useNewMatcher=true',
  'matching.enableFairness=true',
  'matching.numTaskqueueReadPartitions=1',
  'matching.numTaskqueueWritePartitions=1',
];

/**
 * A process the stack started, as spawnChild returns it.
 * @typedef {object} ChildEntry
 * @property {string} name
 * @property {import('node:child_process').ChildProcess} child
 * @property {boolean} exited
 * @property {number | null} [exitCode]
 * @property {number} [stopGraceMs]  how long stop() lets it drain after SIGTERM
 *
 * @typedef {object} StackOptions
 * @property {string} [logDir]          each child logs to <logDir>/<name>.log (default: its output is dropped)
 * @property {(message: string) => void} [log]
 * @property {boolean} [inheritOutput]  children write to this process's stdout and stderr instead
 */

class Stack {
  /** @param {StackOptions} [options] */
  constructor({ logDir, log = console.log, inheritOutput = false } = {}) {
    /** @type {ChildEntry[]} */
    this.children = [];
    this.logDir = logDir;
    this.log = log;
    this.inheritOutput = inheritOutput;
    this.stopping = false;
  }

  /**
   * @param {string} name
   * @param {string} command
   * @param {string[]} args
   * @param {import('node:child_process').SpawnOptions} [options]
   * @returns {ChildEntry}
   */
  spawnChild(name, command, args, options = {}) {
    /** @type {import('node:child_process').StdioOptions} */
    let stdio = 'ignore';
    if (this.inheritOutput) stdio = ['ignore', 'inherit', 'inherit'];
    else if (this.logDir) {
      mkdirSync(this.logDir, { recursive: true });
      const fd = openSync(path.join(this.logDir, `${name}.log`), 'a');
      stdio = ['ignore', fd, fd];
    }
    const child = spawn(command, args, { stdio, ...options });
    /** @type {ChildEntry} */
    const entry = { name, child, exited: false };
    child.on('exit', (code, signal) => {
      entry.exited = true;
      entry.exitCode = code;
      if (!this.stopping) this.log(`${name} exited (${signal ?? code})`);
    });
    this.children.push(entry);
    return entry;
  }

  /**
   * The Temporal dev server: SQLite in WAL mode when a file is given, our search attributes registered.
   * @param {{ cli: string, ip?: string, port: number, uiPort?: number, dbFile?: string, headless?: boolean }} options
   */
  async startTemporal({ cli, ip = '127.0.0.1', port, uiPort, dbFile, headless = false }) {
    const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--log-level', 'warn'];
    if (dbFile) {
      mkdirSync(path.dirname(dbFile), { recursive: true });
      args.push(
        '--db-filename',
        dbFile,
        '--sqlite-pragma',
        'journal_mode=wal',
        '--sqlite-pragma',
        'synchronous=normal',
      );
    }
    if (headless) args.push('--headless');
    else args.push('--ui-port', String(uiPort), '--ui-ip', ip);
    for (const [name, kind] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${kind}`);
    // Task priority and fair shares per tenant are Temporal's own: the priority-aware matcher and fairness are off
    // by default in this server version.
    for (const value of DEV_DYNAMIC_CONFIG) args.push('--dynamic-config-value', value);
    const entry = this.spawnChild('temporal', cli, args);
    await waitForPort(port, ip, 90_000, () => !entry.exited);
    await this.waitForTemporal(cli, `${ip}:${port}`, () => !entry.exited);
    return entry;
  }

  /**
   * Temporal's production server on PostgreSQL instead of the dev server (scripts/lib/temporal-server.js): the
   * schema applied, a namespace and our search attributes created. Logs to temporal.log like the dev server.
   * @param {import('./temporal-server').StartTemporalServerOptions} [options]
   * @returns {Promise<import('./temporal-server').RunningTemporalServer>}
   */
  async startTemporalServer(options = {}) {
    const { startTemporalServer } = require('./temporal-server'); // here, not at the top: it requires this file
    return startTemporalServer({
      log: this.log,
      ...options,
      spawn: (name, command, args, spawnOptions) => this.spawnChild(name, command, args, spawnOptions),
    });
  }

  /**
   * @param {string} cli
   * @param {string} address
   * @param {() => boolean} isAlive
   */
  async waitForTemporal(cli, address, isAlive) {
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const result = spawnSync(cli, ['operator', 'cluster', 'health', '--address', address], { encoding: 'utf8' });
      if (result.status === 0 && /SERVING/.test(result.stdout)) return;
      if (!isAlive()) throw new Error('the Temporal dev server exited while starting; see its log');
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new Error(`Temporal at ${address} did not become healthy`);
  }

  /**
   * Uses the Redis at url, or starts redis-server there when nothing answers and it is installed.
   * @param {{ url: string, dataDir: string }} options
   * @returns {Promise<{ started: boolean, entry?: ChildEntry }>}
   */
  async ensureRedis({ url, dataDir }) {
    if (await pingRedis(url)) return { started: false };
    const { hostname, port } = new URL(url);
    const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
    if (found.status !== 0) {
      throw new Error(
        `Nothing answers at REDIS_URL=${url} and redis-server is not installed.\n` +
          '  Install it (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis),\n' +
          '  or point REDIS_URL at a running Redis.',
      );
    }
    mkdirSync(dataDir, { recursive: true });
    const args = [
      '--bind',
      hostname || '127.0.0.1',
      '--port',
      String(port || 6379),
      '--dir',
      dataDir,
      '--appendonly',
      'yes',
      '--save',
      '',
      '--daemonize',
      'no',
    ];
    // A password in the URL becomes the server's: Redis answers clients beyond loopback only when it has one.
    const password = decodeURIComponent(new URL(url).password);
    if (password) args.push('--requirepass', password);
    const entry = this.spawnChild('redis', found.stdout.trim(), args);
    await waitForPort(Number(port || 6379), hostname || '127.0.0.1', 30_000, () => !entry.exited);
    return { started: true, entry };
  }

  /**
   * A Node process of ours (worker, api, lambda), from the compiled dist/. `stopGraceMs` is how long stop() lets it
   * drain after SIGTERM (a worker's grace period for its attempts in flight, plus a margin).
   * @param {string} name
   * @param {string} script
   * @param {Record<string, string | undefined>} env
   * @param {{ stopGraceMs?: number }} [options]
   * @returns {ChildEntry}
   */
  startNode(name, script, env, { stopGraceMs } = {}) {
    const entry = this.spawnChild(name, process.execPath, ['--enable-source-maps', script], {
      env: { ...process.env, ...env },
    });
    if (stopGraceMs !== undefined) entry.stopGraceMs = stopGraceMs;
    return entry;
  }

  /**
   * The round-robin HTTP balancer (balancer.js) on host:port in front of the given API instances (host:port each),
   * as a process of its own like the others.
   * @param {{ host?: string, port: number, backends: string[] }} options
   * @returns {Promise<ChildEntry>}
   */
  async startBalancer({ host = '127.0.0.1', port, backends }) {
    const entry = this.startNode('balancer', path.join(__dirname, 'balancer.js'), {
      BALANCER_HOST: host,
      BALANCER_PORT: String(port),
      BALANCER_BACKENDS: backends.join(','),
    });
    await waitForPort(port, host, 30_000, () => !entry.exited);
    return entry;
  }

  /**
   * @param {string} url
   * @param {ChildEntry} entry
   * @param {number} [timeoutMs]
   */
  async waitForHealth(url, entry, timeoutMs = 60_000) {
    await waitForHttp(url, timeoutMs, () => !entry.exited);
  }

  /**
   * Stops children in reverse order of start: SIGTERM, then SIGKILL after a grace period (the child's own
   * `stopGraceMs` when it has one). Instances of one role (`api-1`, `api-2` …) stop together.
   */
  async stop(graceMs = 10_000) {
    this.stopping = true;
    /** @param {ChildEntry} entry */
    const role = (entry) => entry.name.replace(/-\d+$/, '');
    const order = [...this.children].reverse();
    while (order.length) {
      const first = /** @type {ChildEntry} */ (order.shift());
      const group = [first];
      while (order[0] && role(order[0]) === role(first)) group.push(/** @type {ChildEntry} */ (order.shift()));
      await Promise.all(group.map((entry) => this.stopEntry(entry, entry.stopGraceMs ?? graceMs)));
    }
  }

  /**
   * @param {ChildEntry} entry
   * @param {number} graceMs
   */
  async stopEntry(entry, graceMs) {
    if (entry.exited) return;
    entry.child.kill('SIGTERM');
    const exited = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), graceMs);
      entry.child.once('exit', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!exited) entry.child.kill('SIGKILL');
  }
}

module.exports = { Stack, SEARCH_ATTRIBUTES };
