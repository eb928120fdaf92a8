// The fault-injection harness: one private Spillway stack per test file, every part a separate OS process on free
// ports (Temporal dev server on an SQLite file, redis-server, the local Lambda service, the worker, the API), each of
// which a test can stop, kill -9 and start again by name. Plus what every case needs: a burst of tasks through the
// REST API, waiting until every task is final, Temporal histories and the side-effect ledger written by probe.js.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { deployFolders, exampleFolders } from '../../cli/deploy-folders';
import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { FunctionStatus, ServiceStatus } from '../../domain/lambda-status';

/* eslint-disable @typescript-eslint/no-require-imports */
const { ensureTemporalCli } = require('../../scripts/lib/temporal-cli.js') as {
  ensureTemporalCli(log?: (m: string) => void): string;
};
const { Stack } = require('../../scripts/lib/stack.js') as { Stack: new (options: object) => StackLike };
const { freePort, pingRedis } = require('../../scripts/lib/net.js') as {
  freePort(): Promise<number>;
  pingRedis(url: string, timeoutMs?: number): Promise<boolean>;
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
  startTemporal(options: { cli: string; port: number; dbFile: string; headless: boolean }): Promise<StackEntry>;
  ensureRedis(options: { url: string; dataDir: string }): Promise<{ started: boolean; entry?: StackEntry }>;
  waitForHealth(url: string, entry: StackEntry, timeoutMs?: number): Promise<void>;
  stop(graceMs?: number): Promise<void>;
}

export const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');
const PROBE = path.join(__dirname, 'probe.js');

export type ProcessName = 'temporal' | 'redis' | 'lambda' | 'worker' | 'api';
export const FINAL = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** Tasks per case; CI keeps the default, a soak run raises it. */
export const FAULTS_N = Math.max(2, Number(process.env.FAULTS_N ?? 20) || 20);

export interface Retry {
  maximumAttempts: number;
  initialIntervalMs?: number;
  backoffCoefficient?: number;
  maximumIntervalMs?: number;
}

export interface TaskBody {
  name: string;
  type: string;
  executionMode: 'LOCAL' | 'LAMBDA' | 'AUTO';
  payload?: Record<string, unknown>;
  retry?: Retry;
  timeoutSeconds?: number;
  invocation?: 'async' | 'sync';
  idempotencyKey?: string;
}

export interface Attempt {
  attempt: number;
  placement: string;
  outcome: 'running' | 'succeeded' | 'failed';
  error?: { type: string; message: string; nonRetryable: boolean };
}

export interface TaskView {
  id: string;
  functionName?: string;
  submittedAt?: string;
  status: string;
  temporalStatus?: string;
  attempts: Attempt[];
  attemptCount: number;
  error?: { type: string; message: string };
  result?: unknown;
}

export interface Submission {
  index: number;
  body: TaskBody;
  status: number;
  id?: string;
  code?: string;
  ms: number;
}

export interface LedgerLine {
  taskId: string;
  attempt: number;
  where: 'LOCAL' | 'LAMBDA';
  phase: 'start' | 'end';
  ok?: boolean;
  error?: string;
  pid: number;
  at: number;
}

export interface HttpAnswer {
  status: number;
  body: Record<string, unknown>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until check returns a value; fails with a description of the last state. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await sleep(intervalMs);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${String(last)})` : ''}`);
}

export interface FaultStackOptions {
  label: string;
  /** Local pool slots of the worker. */
  poolSize?: number;
  /** Extra environment for the worker and the API. */
  env?: Record<string, string>;
  /** Extra environment for the local Lambda service. */
  lambdaEnv?: Record<string, string>;
}

/**
 * What every case drives a stack with, whatever its shape: submissions through the REST API (apiUrl), waiting for
 * final states, Temporal's view of each task, the side-effect ledger and a timeline of the faults.
 */
export abstract class StackDriver {
  abstract readonly ledgerFile: string;
  abstract get apiUrl(): string;
  /** Names the case in idempotency keys. */
  abstract get label(): string;
  client!: Client;
  private readonly events: string[] = [];
  private readonly t0 = Date.now();

  /** A timeline of what the harness did, printed when a case ends. */
  note(message: string): void {
    this.events.push(`+${((Date.now() - this.t0) / 1000).toFixed(1)}s ${message}`);
  }

  timeline(): string {
    return this.events.join('\n');
  }

  // ---- HTTP -------------------------------------------------------------------------------------------------

  async http(method: string, url: string, body?: unknown, timeoutMs = 30_000): Promise<HttpAnswer> {
    const res = await fetch(`${this.apiUrl}${url}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { text };
    }
    return { status: res.status, body: parsed };
  }

  /** POST /api/tasks; network errors (the API itself away) come back as status 0. */
  async submit(body: TaskBody, index = 0): Promise<Submission> {
    const started = Date.now();
    try {
      const answer = await this.http('POST', '/api/tasks', body);
      return {
        index,
        body,
        status: answer.status,
        id: typeof answer.body.id === 'string' ? answer.body.id : undefined,
        code: typeof answer.body.code === 'string' ? answer.body.code : undefined,
        ms: Date.now() - started,
      };
    } catch (err) {
      return { index, body, status: 0, code: (err as Error).name, ms: Date.now() - started };
    }
  }

  /**
   * Submits count tasks, spread over time (intervalMs apart, `concurrency` requests in flight). Every body gets an
   * idempotency key, so a submission whose answer was lost can be repeated safely. `submitted()` tells how far the
   * burst has come, so a test can inject its fault mid-burst.
   */
  burst(count: number, makeBody: (index: number) => TaskBody, intervalMs = 100, concurrency = 4) {
    const runKey = randomBytes(6).toString('hex');
    const results: Submission[] = [];
    let next = 0;
    let answered = 0;
    const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const index = next++;
        const body = { idempotencyKey: `faults-${this.label}-${runKey}-${index}`, ...makeBody(index) };
        results[index] = await this.submit(body, index);
        answered++;
        await sleep(intervalMs);
      }
    });
    const done = Promise.all(lanes).then(() => results);
    this.note(`burst of ${count} started`);
    return { done, submitted: () => answered };
  }

  async getTask(id: string): Promise<TaskView | undefined> {
    const answer = await this.http('GET', `/api/tasks/${encodeURIComponent(id)}`);
    return answer.status === 200 ? (answer.body as unknown as TaskView) : undefined;
  }

  /** Waits until every task is final according to GET /api/tasks/:id; returns the final views. */
  async waitAllFinal(ids: string[], timeoutMs = 240_000): Promise<Map<string, TaskView>> {
    const final = new Map<string, TaskView>();
    const deadline = Date.now() + timeoutMs;
    while (final.size < ids.length) {
      const pending = ids.filter((id) => !final.has(id));
      for (let i = 0; i < pending.length; i += 8) {
        await Promise.all(
          pending.slice(i, i + 8).map(async (id) => {
            const view = await this.getTask(id).catch(() => undefined);
            // A running workflow answers its own status; a closed one must have closed in Temporal too. A view
            // without a function name was answered from visibility because the status query failed (no worker
            // answered it in time): not yet the task's own record, so ask again.
            if (view && FINAL.includes(view.status) && view.temporalStatus !== 'RUNNING' && view.functionName !== '') {
              final.set(id, view);
            }
          }),
        );
      }
      if (final.size === ids.length) break;
      if (Date.now() > deadline) {
        const stuck = ids.filter((id) => !final.has(id));
        throw new Error(`${stuck.length} of ${ids.length} tasks not final within ${timeoutMs} ms: ${stuck.join(', ')}`);
      }
      await sleep(1_000);
    }
    this.note(`all ${ids.length} tasks final`);
    return final;
  }

  // ---- Temporal ---------------------------------------------------------------------------------------------

  async temporalStatus(id: string): Promise<string> {
    return (await this.client.workflow.getHandle(id).describe()).status.name;
  }

  /** The failure type of the last failed attempt of a running task's pending activity, if any. */
  async pendingFailureType(id: string): Promise<string | undefined> {
    const description = await this.client.workflow.getHandle(id).describe();
    const pending = description.raw.pendingActivities?.[0];
    return pending?.lastFailure?.applicationFailureInfo?.type ?? undefined;
  }

  async count(query: string): Promise<number> {
    return (await this.client.workflow.count(query)).count;
  }

  /** The activity attempts Temporal recorded for the task's handler activity (runLocalTask / invokeLambda). */
  async historyAttempts(id: string): Promise<HistoryFacts> {
    const history = await this.client.workflow.getHandle(id).fetchHistory();
    return historyFacts(history.events ?? []);
  }

  // ---- the ledger ---------------------------------------------------------------------------------------------

  ledger(): LedgerLine[] {
    if (!existsSync(this.ledgerFile)) return [];
    return readFileSync(this.ledgerFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LedgerLine);
  }

  /** Executions (handler starts) per task id. */
  executions(): Map<string, LedgerLine[]> {
    const byTask = new Map<string, LedgerLine[]>();
    for (const line of this.ledger()) {
      if (line.phase !== 'start') continue;
      byTask.set(line.taskId, [...(byTask.get(line.taskId) ?? []), line]);
    }
    return byTask;
  }
}

export class FaultStack extends StackDriver {
  readonly dir: string;
  readonly ledgerFile: string;
  readonly queueFile: string;
  readonly dbFile: string;
  readonly redisDir: string;
  readonly secret = randomBytes(24).toString('hex');
  ports = { temporal: 0, redis: 0, lambda: 0, api: 0 };
  private connection?: Connection;
  private lambdaSdk?: LambdaClient;
  private readonly stack: StackLike;
  private readonly entries = new Map<ProcessName, StackEntry>();
  private cli = '';

  constructor(readonly options: FaultStackOptions) {
    super();
    this.dir = mkdtempSync(path.join(os.tmpdir(), `spillway-faults-${options.label}-`));
    this.ledgerFile = path.join(this.dir, 'ledger.jsonl');
    this.queueFile = path.join(this.dir, 'lambda-queue.json');
    this.dbFile = path.join(this.dir, 'temporal', 'temporal.db');
    this.redisDir = path.join(this.dir, 'redis');
    this.stack = new Stack({ logDir: this.logDir, log: (m: string) => this.note(m) });
  }

  get logDir(): string {
    return path.join(this.dir, 'logs');
  }

  get label(): string {
    return this.options.label;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.ports.api}`;
  }

  get lambdaUrl(): string {
    return `http://127.0.0.1:${this.ports.lambda}`;
  }

  /** The AWS SDK against this stack's Lambda service, one attempt per call so faults are seen as they are. */
  get lambda(): LambdaClient {
    this.lambdaSdk ??= new LambdaClient({
      endpoint: this.lambdaUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    return this.lambdaSdk;
  }

  /** One function's entry of the Lambda service's /_spillway/status, or undefined when it does not list it. */
  async lambdaFunctionStatus(name: string): Promise<FunctionStatus | undefined> {
    const res = await fetch(`${this.lambdaUrl}/_spillway/status`);
    const status = (await res.json()) as ServiceStatus;
    return status.functions.find((f) => f.name === name);
  }

  get redisUrl(): string {
    return `redis://127.0.0.1:${this.ports.redis}`;
  }

  /** Starts every process, in dependency order, and connects a Temporal client. */
  async start(): Promise<void> {
    this.ports = {
      temporal: await freePort(),
      redis: await freePort(),
      lambda: await freePort(),
      api: await freePort(),
    };
    for (const port of Object.values(this.ports)) {
      // The default ports of a developer's running stack are never ours.
      if ([7233, 8080, 9001, 6379].includes(port)) throw new Error(`free port ${port} collides with a default`);
    }
    this.cli = ensureTemporalCli((m) => this.note(m));
    await this.startProcess('temporal');
    await this.startProcess('redis');
    await this.startProcess('lambda');
    // The cases run the example `flaky` function, deployed the way a user deploys it; it survives Lambda restarts
    // in the service's data directory.
    await deployFolders(
      this.lambda,
      exampleFolders().filter((f) => path.basename(f) === 'flaky'),
    );
    await this.startProcess('worker');
    await this.startProcess('api');
    this.connection = await Connection.connect({ address: `127.0.0.1:${this.ports.temporal}` });
    this.client = new Client({ connection: this.connection, namespace: 'default' });
  }

  private sharedEnv(): Record<string, string> {
    return {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      TEMPORAL_ADDRESS: `127.0.0.1:${this.ports.temporal}`,
      TEMPORAL_NAMESPACE: 'default',
      REDIS_URL: this.redisUrl,
      REDIS_PREFIX: 'spillway:',
      LAMBDA_ENDPOINT: this.lambdaUrl,
      AWS_REGION: 'us-east-1',
      SPILLWAY_CALLBACK_SECRET: this.secret,
      SPILLWAY_CALLBACK_URL: `${this.apiUrl}/api/callbacks/lambda`,
      API_HOST: '127.0.0.1',
      API_PORT: String(this.ports.api),
      SCHEDULER_ENABLE_WARM_POOL: 'false',
      SCHEDULER_LOCAL_WORKER_POOL_SIZE: String(this.options.poolSize ?? 4),
      WORKER_METRICS_ADDRESS: 'off',
      // Never scrape the metrics of a developer's worker on the default 9464.
      WORKER_METRICS_URL: 'http://127.0.0.1:9/metrics',
      // Polling N tasks every second and their callbacks are not abuse: keep the API's rate limit out of the way.
      SPILLWAY_RATE_LIMIT_MAX: '10000000',
      FAULTS_LEDGER: this.ledgerFile,
      NODE_OPTIONS: `--require ${PROBE}`,
      // The probe runs in the local pool's execution environments too.
      SPILLWAY_LOCAL_PASSTHROUGH_ENV: 'NODE_OPTIONS,FAULTS_LEDGER',
      SPILLWAY_PACKAGE_CACHE_DIR: path.join(this.dir, 'packages'),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...this.options.env,
    };
  }

  private logSize(name: ProcessName): number {
    const file = path.join(this.logDir, `${name}.log`);
    return existsSync(file) ? statSync(file).size : 0;
  }

  /** What a process wrote to its log since the given offset. */
  logSince(name: ProcessName, offset = 0): string {
    const file = path.join(this.logDir, `${name}.log`);
    if (!existsSync(file)) return '';
    return readFileSync(file).subarray(offset).toString('utf8');
  }

  isRunning(name: ProcessName): boolean {
    const entry = this.entries.get(name);
    return Boolean(entry && !entry.exited);
  }

  pid(name: ProcessName): number | undefined {
    return this.entries.get(name)?.child.pid;
  }

  /** Starts one process (again) and waits until it serves. */
  async startProcess(name: ProcessName): Promise<void> {
    if (this.isRunning(name)) throw new Error(`${name} is already running`);
    const started = Date.now();
    switch (name) {
      case 'temporal': {
        const entry = await this.stack.startTemporal({
          cli: this.cli,
          port: this.ports.temporal,
          dbFile: this.dbFile,
          headless: true,
        });
        this.entries.set(name, entry);
        break;
      }
      case 'redis': {
        if (await pingRedis(this.redisUrl)) throw new Error(`something already answers at ${this.redisUrl}`);
        const { entry } = await this.stack.ensureRedis({ url: this.redisUrl, dataDir: this.redisDir });
        if (!entry) throw new Error('redis-server was not started');
        this.entries.set(name, entry);
        break;
      }
      case 'lambda': {
        const env = {
          ...process.env,
          NODE_ENV: 'test',
          LAMBDA_PORT: String(this.ports.lambda),
          LAMBDA_HOST: '127.0.0.1',
          LAMBDA_QUEUE_FILE: this.queueFile,
          LAMBDA_DATA_DIR: path.join(this.dir, 'lambda-data'),
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          LAMBDA_IDLE_RECLAIM_MS: '60000',
          SPILLWAY_CALLBACK_SECRET: this.secret,
          FAULTS_LEDGER: this.ledgerFile,
          NODE_OPTIONS: `--require ${PROBE}`,
          LAMBDA_PASSTHROUGH_ENV: 'NODE_OPTIONS,FAULTS_LEDGER',
          ...this.options.lambdaEnv,
        };
        // Its own process group: a kill -9 of "the Lambda service" takes its execution environments with it, as a
        // host failure would, and nothing is left orphaned.
        const entry = this.stack.spawnChild(
          'lambda',
          process.execPath,
          ['--enable-source-maps', path.join(DIST, 'lambda', 'server.js')],
          { env, detached: true },
        );
        this.entries.set(name, entry);
        await this.stack.waitForHealth(`${this.lambdaUrl}/_spillway/status`, entry);
        break;
      }
      case 'worker': {
        const offset = this.logSize('worker');
        const entry = this.stack.spawnChild(
          'worker',
          process.execPath,
          ['--enable-source-maps', path.join(DIST, 'worker', 'main.js')],
          { env: { ...process.env, ...this.sharedEnv() } },
        );
        this.entries.set(name, entry);
        await waitUntil(
          'the worker reports ready',
          () => {
            if (entry.exited) throw new Error(`the worker exited: ${this.logSince('worker', offset).slice(-2000)}`);
            return /worker ready/.test(this.logSince('worker', offset)) ? true : undefined;
          },
          90_000,
        );
        break;
      }
      case 'api': {
        const entry = this.stack.spawnChild(
          'api',
          process.execPath,
          ['--enable-source-maps', path.join(DIST, 'api', 'server.js')],
          { env: { ...process.env, ...this.sharedEnv() } },
        );
        this.entries.set(name, entry);
        await this.stack.waitForHealth(`${this.apiUrl}/actuator/health`, entry, 90_000);
        break;
      }
    }
    this.note(`${name} started (pid ${this.pid(name)}) in ${Date.now() - started} ms`);
  }

  private async waitExit(entry: StackEntry, timeoutMs: number): Promise<boolean> {
    if (entry.exited) return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      entry.child.once('exit', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private signal(name: ProcessName, entry: StackEntry, signal: NodeJS.Signals): void {
    const pid = entry.child.pid;
    if (!pid) return;
    try {
      // The Lambda service leads its own process group (see startProcess).
      if (name === 'lambda') process.kill(-pid, signal);
      else entry.child.kill(signal);
    } catch {
      // Already gone.
    }
  }

  /** A clean stop: SIGTERM, SIGKILL after the grace period. */
  async stopProcess(name: ProcessName, graceMs = 15_000): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry || entry.exited) return;
    this.signal(name, entry, 'SIGTERM');
    if (!(await this.waitExit(entry, graceMs))) {
      this.signal(name, entry, 'SIGKILL');
      await this.waitExit(entry, 10_000);
    }
    if (name === 'lambda') this.sweepGroup(entry);
    this.note(`${name} stopped (exit ${entry.exitCode})`);
  }

  /** kill -9: no chance to clean up, drain or flush. */
  async killProcess(name: ProcessName): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry || entry.exited) throw new Error(`${name} is not running`);
    this.signal(name, entry, 'SIGKILL');
    await this.waitExit(entry, 10_000);
    if (name === 'lambda') this.sweepGroup(entry);
    this.note(`${name} killed with SIGKILL`);
  }

  private sweepGroup(entry: StackEntry): void {
    const pid = entry.child.pid;
    if (!pid) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // The group is empty.
    }
  }

  async restartProcess(name: ProcessName): Promise<void> {
    await this.stopProcess(name);
    await this.startProcess(name);
  }

  /** Stops everything, whatever state it is in; safe to call twice and after a failed start. */
  async shutdown(): Promise<void> {
    this.lambdaSdk?.destroy();
    try {
      await this.connection?.close();
    } catch {
      // Already closed.
    }
    for (const name of ['api', 'worker', 'lambda', 'redis', 'temporal'] as ProcessName[]) {
      await this.stopProcess(name, 10_000).catch(() => undefined);
    }
    // Anything started but not tracked by name (a failed start) still goes.
    await this.stack.stop(5_000);
    for (const entry of this.stack.children) if (entry.name === 'lambda') this.sweepGroup(entry);
    if (process.env.FAULTS_KEEP_DIR !== '1') rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface HistoryFacts {
  /** ActivityTaskScheduled events of the handler activity. */
  scheduled: number;
  /** ActivityTaskStarted events (Temporal writes one per activity, for its last attempt). */
  started: number;
  /** The attempt number of that last attempt: how many attempts Temporal made. */
  lastAttempt: number;
  closedBy: string[];
}

const HANDLER_ACTIVITIES = new Set(['runLocalTask', 'invokeLambda']);

export function historyFacts(events: temporal.api.history.v1.IHistoryEvent[]): HistoryFacts {
  const handlerScheduled = new Set<string>();
  const facts: HistoryFacts = { scheduled: 0, started: 0, lastAttempt: 0, closedBy: [] };
  for (const event of events) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled && HANDLER_ACTIVITIES.has(scheduled.activityType?.name ?? '')) {
      handlerScheduled.add(String(event.eventId));
      facts.scheduled++;
    }
    const started = event.activityTaskStartedEventAttributes;
    if (started && handlerScheduled.has(String(started.scheduledEventId))) {
      facts.started++;
      facts.lastAttempt = Math.max(facts.lastAttempt, started.attempt ?? 0);
    }
    for (const [key, label] of [
      ['activityTaskCompletedEventAttributes', 'completed'],
      ['activityTaskFailedEventAttributes', 'failed'],
      ['activityTaskTimedOutEventAttributes', 'timedOut'],
    ] as const) {
      const closed = event[key];
      if (closed && handlerScheduled.has(String(closed.scheduledEventId))) facts.closedBy.push(label);
    }
  }
  return facts;
}

/** The accepted task ids of a burst (201, or 200 for an idempotent replay). */
export function acceptedIds(submissions: Submission[]): string[] {
  return submissions.filter((s) => (s.status === 201 || s.status === 200) && s.id).map((s) => s.id as string);
}

/**
 * The invariants every case checks for every task: final in Temporal and in the API, attempts within the retry
 * policy in the task, in Temporal's history and in the side-effect ledger, and exactly one successful attempt for a
 * COMPLETED task. Returns per-task facts for the case's own assertions.
 */
export async function checkTasks(
  stack: StackDriver,
  views: Map<string, TaskView>,
  maximumAttempts: number,
  allowed: string[] = ['COMPLETED'],
) {
  const executions = stack.executions();
  const ledger = stack.ledger();
  const report: Array<{
    id: string;
    view: TaskView;
    history: HistoryFacts;
    runs: LedgerLine[];
    /** Handler runs that finished successfully: more than one means a success was lost and the task re-ran. */
    okRuns: number;
  }> = [];
  for (const [id, view] of views) {
    const temporalStatus = await stack.temporalStatus(id);
    const history = await stack.historyAttempts(id);
    const runs = executions.get(id) ?? [];
    const context = { id, status: view.status, attempts: view.attempts, history, runs: runs.length };
    expect({ ...context, allowed: allowed.includes(view.status) }).toEqual({ ...context, allowed: true });
    expect([temporalStatus, id]).toEqual([view.status === 'COMPLETED' ? 'COMPLETED' : 'FAILED', id]);
    expect(view.attempts.length).toBeLessThanOrEqual(maximumAttempts);
    expect(view.attemptCount).toBeLessThanOrEqual(maximumAttempts);
    // Temporal: one handler activity, started (its last attempt) once, within the policy.
    expect({ id, scheduled: history.scheduled, started: history.started }).toEqual({ id, scheduled: 1, started: 1 });
    expect(history.lastAttempt).toBeLessThanOrEqual(maximumAttempts);
    expect(history.lastAttempt).toBeGreaterThanOrEqual(1);
    // The ledger: the side effect ran at most once per attempt the policy allows.
    expect(runs.length).toBeLessThanOrEqual(maximumAttempts);
    expect(Math.max(0, ...runs.map((r) => r.attempt))).toBeLessThanOrEqual(history.lastAttempt);
    if (view.status === 'COMPLETED') {
      const succeeded = view.attempts.filter((a) => a.outcome === 'succeeded');
      expect({ id, succeeded: succeeded.length }).toEqual({ id, succeeded: 1 });
      expect(succeeded[0]?.attempt).toBe(history.lastAttempt);
      expect(history.closedBy).toEqual(['completed']);
      // The attempt that succeeded really ran its handler.
      expect(runs.map((r) => r.attempt)).toContain(history.lastAttempt);
    }
    const okRuns = ledger.filter((l) => l.taskId === id && l.phase === 'end' && l.ok === true).length;
    report.push({ id, view, history, runs, okRuns });
  }
  return report;
}

/** A one-line summary of a case, for the log. */
export function summarize(label: string, report: Awaited<ReturnType<typeof checkTasks>>, extra = ''): string {
  const byAttempts: Record<string, number> = {};
  for (const r of report) byAttempts[r.history.lastAttempt] = (byAttempts[r.history.lastAttempt] ?? 0) + 1;
  const runs = report.reduce((n, r) => n + r.runs.length, 0);
  const rerunAfterSuccess = report.filter((r) => r.okRuns > 1).length;
  const statuses: Record<string, number> = {};
  for (const r of report) statuses[r.view.status] = (statuses[r.view.status] ?? 0) + 1;
  return `[faults:${label}] ${report.length} tasks ${JSON.stringify(statuses)}, attempts histogram ${JSON.stringify(
    byAttempts,
  )}, handler executions ${runs} (${rerunAfterSuccess} tasks re-ran after a successful run whose result was lost)${extra ? `, ${extra}` : ''}`;
}
