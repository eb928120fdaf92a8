// The production-profile stack of the cross-host cases: Temporal's production server (scripts/lib/temporal-server.js)
// on the machine's PostgreSQL with databases of its own (or on a private PostgreSQL the case may stop), redis-server,
// the local Lambda service, N API instances (behind the balancer of scripts/lib when N > 1) and N workers, which run
// in network namespaces of their own when asked (host-network.ts), so a case can partition one. Every process is
// separate and addressed by name ('api-1', 'worker-2', …); a case can signal, kill, cut off and replace them.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { Client, Connection } from '@temporalio/client';
import { deployFolders, exampleFolders } from '../../cli/deploy-folders';
import { StackDriver, waitUntil } from './harness';
import { HostNetwork } from './host-network';
import { PrivatePostgres } from './private-postgres';

/* eslint-disable @typescript-eslint/no-require-imports */
const { ensureTemporalCli } = require('../../scripts/lib/temporal-cli.js') as {
  ensureTemporalCli(log?: (m: string) => void): string;
};
const { Stack } = require('../../scripts/lib/stack.js') as { Stack: new (options: object) => StackLike };
const { freePort } = require('../../scripts/lib/net.js') as { freePort(host?: string): Promise<number> };
const serverLib = require('../../scripts/lib/temporal-server.js') as {
  startTemporalServer(options: Record<string, unknown>): Promise<RunningServer>;
  dropDatabases(options: { postgres?: object; databases: object }): Promise<void>;
  ensureTemporalServer(options?: { log?: (m: string) => void }): unknown;
};
const { startBalancer } = require('../../scripts/lib/balancer.js') as {
  startBalancer(options: { host?: string; backends: string[]; retryAfterMs?: number }): Promise<Balancer>;
};
/* eslint-enable @typescript-eslint/no-require-imports */

interface StackEntry {
  name: string;
  child: ChildProcess;
  exited: boolean;
  exitCode?: number | null;
}

interface StackLike {
  children: StackEntry[];
  spawnChild(name: string, command: string, args: string[], options?: object): StackEntry;
  ensureRedis(options: { url: string; dataDir: string }): Promise<{ started: boolean; entry?: StackEntry }>;
  waitForHealth(url: string, entry: StackEntry, timeoutMs?: number): Promise<void>;
  stop(graceMs?: number): Promise<void>;
}

interface RunningServer {
  entry: StackEntry;
  address: string;
  stop(graceMs?: number): Promise<void>;
}

export interface Balancer {
  url: string;
  stats(): Array<{ address: string; port: number; served: number; active: number; failures: number; up: boolean }>;
  close(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');
const PROBE = path.join(__dirname, 'probe.js');

export interface ClusterOptions {
  label: string;
  workers?: number;
  apis?: number;
  /** Local pool slots per worker. */
  poolSize?: number;
  /** Run each worker in a network namespace of its own, joined to the servers over a bridge. */
  netns?: boolean;
  /** The machine's PostgreSQL (unique databases, dropped at the end) or a private one the case may stop. */
  postgres?: 'machine' | 'private';
  /** Extra environment for workers and APIs. */
  env?: Record<string, string>;
}

export class ClusterStack extends StackDriver {
  readonly dir: string;
  readonly ledgerFile: string;
  readonly secret = randomBytes(24).toString('hex');
  /** The Lambda service refuses to listen beyond loopback without access keys; these are its, and ours. */
  readonly lambdaKeys = {
    accessKeyId: `AKID${randomBytes(6).toString('hex')}`,
    secretAccessKey: randomBytes(16).toString('hex'),
  };
  private readonly redisPassword = randomBytes(12).toString('hex');
  readonly databases: { default: string; visibility: string };
  network?: HostNetwork;
  postgres?: PrivatePostgres;
  balancer?: Balancer;
  server?: RunningServer;
  /** The address every server binds to: the bridge with namespaces, loopback without. */
  hostIp = '127.0.0.1';
  private readonly stack: StackLike;
  private readonly entries = new Map<string, StackEntry>();
  private readonly apiPorts = new Map<string, number>();
  private ports = { redis: 0, lambda: 0 };
  private connection?: Connection;
  private lambdaSdk?: LambdaClient;

  constructor(readonly options: ClusterOptions) {
    super();
    this.dir = mkdtempSync(path.join(os.tmpdir(), `spillway-faults-${options.label}-`));
    this.ledgerFile = path.join(this.dir, 'ledger.jsonl');
    const id = randomBytes(4).toString('hex');
    this.databases = { default: `spillway_faults_${id}_t`, visibility: `spillway_faults_${id}_v` };
    this.stack = new Stack({ logDir: this.logDir, log: (m: string) => this.note(m) });
  }

  get label(): string {
    return this.options.label;
  }

  get logDir(): string {
    return path.join(this.dir, 'logs');
  }

  /** The balancer with several API instances, else the one instance. */
  get apiUrl(): string {
    if (this.balancer) return this.balancer.url;
    return this.instanceUrl('api-1');
  }

  instanceUrl(name: string): string {
    const port = this.apiPorts.get(name);
    if (!port) throw new Error(`no API instance ${name}`);
    return `http://${this.hostIp}:${port}`;
  }

  get lambdaUrl(): string {
    return `http://${this.hostIp}:${this.ports.lambda}`;
  }

  /** With a password: Redis refuses clients beyond loopback (the namespaced workers) without one. */
  get redisUrl(): string {
    return `redis://:${this.redisPassword}@${this.hostIp}:${this.ports.redis}`;
  }

  get lambda(): LambdaClient {
    this.lambdaSdk ??= new LambdaClient({
      endpoint: this.lambdaUrl,
      region: 'us-east-1',
      credentials: this.lambdaKeys,
      maxAttempts: 1,
    });
    return this.lambdaSdk;
  }

  workerNames(): string[] {
    return Array.from({ length: this.options.workers ?? 2 }, (_, i) => `worker-${i + 1}`);
  }

  apiNames(): string[] {
    return Array.from({ length: this.options.apis ?? 1 }, (_, i) => `api-${i + 1}`);
  }

  /** Starts every part, in dependency order, and connects a Temporal client. */
  async start(): Promise<void> {
    const cli = ensureTemporalCli((m) => this.note(m));
    serverLib.ensureTemporalServer({ log: (m) => this.note(m) });
    if (this.options.netns) {
      this.network = HostNetwork.create();
      this.hostIp = this.network.hostIp;
      this.note(`test network ${this.network.bridge} at ${this.hostIp}`);
    }
    let pg: { host: string; port: number; user: string; password: string } | undefined;
    if (this.options.postgres === 'private') {
      this.postgres = await PrivatePostgres.create();
      pg = { host: this.postgres.host, port: this.postgres.port, user: 'postgres', password: '' };
      this.note(`private PostgreSQL on ${pg.host}:${pg.port}`);
    }
    const started = Date.now();
    this.server = await serverLib.startTemporalServer({
      cli,
      ip: this.hostIp,
      databases: this.databases,
      postgres: pg,
      numHistoryShards: 4,
      dir: path.join(this.dir, 'temporal'),
      spawn: (name: string, command: string, args: string[], options: object) =>
        this.stack.spawnChild(name, command, args, options),
      log: (m: string) => this.note(m),
    });
    this.entries.set('temporal', this.server.entry);
    this.note(`Temporal's production server up in ${Date.now() - started} ms`);

    this.ports = { redis: await freePort(this.hostIp), lambda: await freePort(this.hostIp) };
    const redis = await this.stack.ensureRedis({ url: this.redisUrl, dataDir: path.join(this.dir, 'redis') });
    if (redis.entry) this.entries.set('redis', redis.entry);
    await this.startLambda();
    await deployFolders(
      this.lambda,
      exampleFolders().filter((f) => path.basename(f) === 'flaky' || path.basename(f) === 'noop'),
    );
    for (const name of this.apiNames()) this.apiPorts.set(name, await freePort(this.hostIp));
    if (this.apiNames().length > 1) {
      this.balancer = await startBalancer({
        host: this.hostIp,
        backends: [...this.apiPorts.values()].map((p) => `${this.hostIp}:${p}`),
        retryAfterMs: 500,
      });
    }
    await Promise.all(this.apiNames().map((name) => this.startApi(name)));
    for (const name of this.workerNames()) {
      if (this.network) this.network.addHost(name);
      await this.startWorker(name);
    }
    this.connection = await Connection.connect({ address: this.server.address });
    this.client = new Client({ connection: this.connection, namespace: 'default' });
  }

  private async startLambda(): Promise<void> {
    const env = {
      ...process.env,
      NODE_ENV: 'test',
      LAMBDA_PORT: String(this.ports.lambda),
      LAMBDA_HOST: this.hostIp,
      LAMBDA_QUEUE_FILE: path.join(this.dir, 'lambda-queue.json'),
      LAMBDA_DATA_DIR: path.join(this.dir, 'lambda-data'),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      LAMBDA_IDLE_RECLAIM_MS: '60000',
      SPILLWAY_CALLBACK_SECRET: this.secret,
      FAULTS_LEDGER: this.ledgerFile,
      NODE_OPTIONS: `--require ${PROBE}`,
      LAMBDA_PASSTHROUGH_ENV: 'NODE_OPTIONS,FAULTS_LEDGER',
      LAMBDA_ACCESS_KEYS: `${this.lambdaKeys.accessKeyId}:${this.lambdaKeys.secretAccessKey}`,
    };
    // Its own process group, so stopping it takes its execution environments along.
    const entry = this.stack.spawnChild(
      'lambda',
      process.execPath,
      ['--enable-source-maps', path.join(DIST, 'lambda', 'server.js')],
      { env, detached: true },
    );
    this.entries.set('lambda', entry);
    await this.stack.waitForHealth(`${this.lambdaUrl}/_spillway/status`, entry);
  }

  /** What workers and APIs share. Callbacks go to the balancer (or the one API), like a load balancer's address. */
  sharedEnv(): Record<string, string> {
    return {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      TEMPORAL_ADDRESS: this.server?.address ?? '',
      TEMPORAL_NAMESPACE: 'default',
      REDIS_URL: this.redisUrl,
      REDIS_PREFIX: 'spillway:',
      LAMBDA_ENDPOINT: this.lambdaUrl,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: this.lambdaKeys.accessKeyId,
      AWS_SECRET_ACCESS_KEY: this.lambdaKeys.secretAccessKey,
      SPILLWAY_CALLBACK_SECRET: this.secret,
      SPILLWAY_CALLBACK_URL: `${this.apiUrl}/api/callbacks/lambda`,
      SCHEDULER_ENABLE_WARM_POOL: 'false',
      SCHEDULER_LOCAL_WORKER_POOL_SIZE: String(this.options.poolSize ?? 4),
      WORKER_METRICS_ADDRESS: 'off',
      WORKER_METRICS_URL: 'http://127.0.0.1:9/metrics',
      SPILLWAY_RATE_LIMIT_MAX: '10000000',
      FAULTS_LEDGER: this.ledgerFile,
      NODE_OPTIONS: `--require ${PROBE}`,
      SPILLWAY_LOCAL_PASSTHROUGH_ENV: 'NODE_OPTIONS,FAULTS_LEDGER',
      SPILLWAY_PACKAGE_CACHE_DIR: path.join(this.dir, 'packages'),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...this.options.env,
    };
  }

  private logSize(name: string): number {
    const file = path.join(this.logDir, `${name}.log`);
    return existsSync(file) ? statSync(file).size : 0;
  }

  logSince(name: string, offset = 0): string {
    const file = path.join(this.logDir, `${name}.log`);
    return existsSync(file) ? readFileSync(file).subarray(offset).toString('utf8') : '';
  }

  isRunning(name: string): boolean {
    const entry = this.entries.get(name);
    return Boolean(entry && !entry.exited);
  }

  pid(name: string): number | undefined {
    return this.entries.get(name)?.child.pid;
  }

  /** An API instance, on the port it was given at start (the balancer knows it by that port). */
  async startApi(name: string): Promise<void> {
    if (this.isRunning(name)) throw new Error(`${name} is already running`);
    const port = this.apiPorts.get(name);
    if (!port) throw new Error(`no API instance ${name}`);
    const entry = this.stack.spawnChild(
      name,
      process.execPath,
      ['--enable-source-maps', path.join(DIST, 'api', 'server.js')],
      { env: { ...process.env, ...this.sharedEnv(), API_HOST: this.hostIp, API_PORT: String(port) } },
    );
    this.entries.set(name, entry);
    await this.stack.waitForHealth(`${this.instanceUrl(name)}/actuator/health`, entry, 90_000);
    this.note(`${name} started (pid ${entry.child.pid})`);
  }

  /**
   * A worker, on its own network host when the cluster has namespaces (`host`, default the worker's name: a
   * replacement runs on the host of the worker it replaces). Resolves once it logs that it is ready.
   */
  async startWorker(name: string, env: Record<string, string> = {}, host = name): Promise<void> {
    if (this.isRunning(name)) throw new Error(`${name} is already running`);
    const offset = this.logSize(name);
    const node = [process.execPath, '--enable-source-maps', path.join(DIST, 'worker', 'main.js')];
    const [command, ...args] = this.network ? [...this.network.exec(host), ...node] : node;
    const entry = this.stack.spawnChild(name, command as string, args, {
      env: { ...process.env, ...this.sharedEnv(), ...env },
    });
    this.entries.set(name, entry);
    await waitUntil(
      `${name} reports ready`,
      () => {
        if (entry.exited) throw new Error(`${name} exited: ${this.logSince(name, offset).slice(-2000)}`);
        return /worker ready/.test(this.logSince(name, offset)) ? true : undefined;
      },
      90_000,
    );
    this.note(
      `${name} started (pid ${entry.child.pid})${this.network ? ` on ${this.network.host(host).address}` : ''}`,
    );
  }

  /** Sends a signal and resolves the exit code (undefined when the process outlives timeoutMs). */
  async signal(name: string, signal: NodeJS.Signals, timeoutMs = 60_000): Promise<number | null | undefined> {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`no process ${name}`);
    if (!entry.exited) {
      if (name === 'lambda' && entry.child.pid) process.kill(-entry.child.pid, signal);
      else entry.child.kill(signal);
      this.note(`${signal} to ${name}`);
    }
    return this.exitCode(name, timeoutMs);
  }

  exitCode(name: string, timeoutMs = 60_000): Promise<number | null | undefined> {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`no process ${name}`);
    if (entry.exited) return Promise.resolve(entry.exitCode);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      entry.child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  /** kill -9: no chance to drain. */
  async killProcess(name: string): Promise<void> {
    if (!this.isRunning(name)) throw new Error(`${name} is not running`);
    await this.signal(name, 'SIGKILL', 10_000);
  }

  /** Partitions a worker's host: its link goes down (needs namespaces). */
  cut(host: string): void {
    if (!this.network) throw new Error('this cluster has no network namespaces');
    this.network.cut(host);
    this.note(`${host} cut off`);
  }

  heal(host: string): void {
    if (!this.network) throw new Error('this cluster has no network namespaces');
    this.network.heal(host);
    this.note(`${host} reconnected`);
  }

  /** Stops everything, whatever state it is in, and removes what the case created; safe to call twice. */
  async shutdown(): Promise<void> {
    this.lambdaSdk?.destroy();
    await this.connection?.close().catch(() => undefined);
    const stopAll = async (names: string[], graceMs: number) =>
      Promise.all(
        names.map(async (name) => {
          if (!this.isRunning(name)) return;
          if ((await this.signal(name, 'SIGTERM', graceMs)) === undefined) await this.signal(name, 'SIGKILL', 10_000);
        }),
      );
    const roles = [...this.entries.keys()];
    await stopAll(
      roles.filter((n) => n.startsWith('api') || n.startsWith('worker')),
      10_000,
    );
    await this.balancer?.close().catch(() => undefined);
    await stopAll(['lambda', 'redis'], 10_000);
    const lambda = this.entries.get('lambda')?.child.pid;
    if (lambda) {
      try {
        process.kill(-lambda, 'SIGKILL');
      } catch {
        // The group is empty.
      }
    }
    await this.server?.stop(10_000).catch(() => undefined);
    await this.stack.stop(5_000);
    if (this.postgres) await this.postgres.destroy();
    else await this.dropDatabases();
    this.network?.destroy();
    if (process.env.FAULTS_KEEP_DIR !== '1') rmSync(this.dir, { recursive: true, force: true });
  }

  private async dropDatabases(): Promise<void> {
    // PostgreSQL may hold the server's sessions for a moment after it exits: a few bounded tries.
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        await serverLib.dropDatabases({ databases: this.databases });
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
    this.note(`could not drop ${this.databases.default} and ${this.databases.visibility}`);
  }
}

/** Why a cross-host case cannot run here, or undefined when it can. Checked while jest collects the file. */
export function productionProfileMissing(): string | undefined {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { postgresReachable } = require('../server-profile/server-profile') as {
    postgresReachable(): { reachable: boolean; where: string };
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  const pg = postgresReachable();
  if (!pg.reachable) return `PostgreSQL is not reachable at ${pg.where}, so Temporal's production server cannot start`;
  return undefined;
}
