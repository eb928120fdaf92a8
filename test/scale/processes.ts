// Real Spillway processes for the tests in test/scale/ and test/shutdown/: API instances, workers and the balancer
// of scripts/lib, run from dist/ against the servers the jest global setup started, each with its own log file, so a
// test can stop one with a signal and read its exit code. Everything started here is stopped by stopAll().
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { readStack } from '../support/test-stack';

/* eslint-disable @typescript-eslint/no-require-imports */
const { Stack } = require('../../scripts/lib/stack.js') as {
  Stack: new (options: object) => {
    spawnChild(name: string, command: string, args: string[], options?: object): ProcessEntry;
    waitForHealth(url: string, entry: ProcessEntry, timeoutMs?: number): Promise<void>;
  };
};
const { freePort } = require('../../scripts/lib/net.js') as { freePort(): Promise<number> };
export const { startBalancer } = require('../../scripts/lib/balancer.js') as {
  startBalancer(options: {
    host?: string;
    port?: number;
    backends: string[];
    retryAfterMs?: number;
    onResponse?: (forwarded: Forwarded) => void;
  }): Promise<Balancer>;
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** One answer the balancer passed on: which instance (host:port) served which request. */
export interface Forwarded {
  backend: string;
  method: string;
  url: string;
  statusCode: number;
}

export interface Balancer {
  url: string;
  port: number;
  stats(): Array<{ address: string; port: number; served: number; active: number; failures: number; up: boolean }>;
  close(): Promise<void>;
}

interface ProcessEntry {
  name: string;
  child: ChildProcess;
  exited: boolean;
  exitCode?: number | null;
}

export { freePort };

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');
/** The side-effect ledger of the fault suite: one line per handler start and end, from every local environment. */
export const PROBE = path.join(ROOT, 'test', 'faults', 'probe.js');

export interface LedgerLine {
  taskId: string;
  attempt: number;
  phase: 'start' | 'end';
  ok?: boolean;
  pid: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SpillwayProcesses {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'spillway-processes-'));
  readonly ledgerFile = path.join(this.dir, 'ledger.jsonl');
  /** A key prefix of its own, so the projection, leases and rate limits of these processes are theirs alone. */
  readonly redisPrefix = `spillway-test-${randomBytes(4).toString('hex')}:`;
  private readonly stack = new Stack({ logDir: path.join(this.dir, 'logs'), log: () => undefined });
  private readonly entries = new Map<string, ProcessEntry>();

  constructor(private readonly env: Record<string, string> = {}) {}

  /** The environment every process gets: the test stack's servers, this instance's prefix, the ledger probe. */
  baseEnv(): Record<string, string> {
    const stack = readStack();
    return {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      TEMPORAL_ADDRESS: stack.temporalAddress,
      TEMPORAL_NAMESPACE: 'default',
      REDIS_URL: stack.redisUrl,
      REDIS_PREFIX: this.redisPrefix,
      LAMBDA_ENDPOINT: stack.lambdaEndpoint ?? 'http://127.0.0.1:9',
      SPILLWAY_CALLBACK_SECRET: stack.callbackSecret,
      SPILLWAY_PACKAGE_CACHE_DIR: stack.packageCacheDir,
      SCHEDULER_ENABLE_WARM_POOL: 'false',
      WORKER_METRICS_ADDRESS: 'off',
      WORKER_METRICS_URL: 'http://127.0.0.1:9/metrics',
      FAULTS_LEDGER: this.ledgerFile,
      NODE_OPTIONS: `--require ${PROBE}`,
      SPILLWAY_LOCAL_PASSTHROUGH_ENV: 'NODE_OPTIONS,FAULTS_LEDGER',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...this.env,
    };
  }

  logFile(name: string): string {
    return path.join(this.dir, 'logs', `${name}.log`);
  }

  log(name: string, offset = 0): string {
    const file = this.logFile(name);
    return existsSync(file) ? readFileSync(file).subarray(offset).toString('utf8') : '';
  }

  pid(name: string): number | undefined {
    return this.entries.get(name)?.child.pid;
  }

  isRunning(name: string): boolean {
    const entry = this.entries.get(name);
    return Boolean(entry && !entry.exited);
  }

  private spawn(name: string, script: string, env: Record<string, string>): ProcessEntry {
    if (this.isRunning(name)) throw new Error(`${name} is already running`);
    const entry = this.stack.spawnChild(name, process.execPath, ['--enable-source-maps', path.join(DIST, script)], {
      env: { ...process.env, ...this.baseEnv(), ...env },
    });
    this.entries.set(name, entry);
    return entry;
  }

  /** An API instance on a free port (or the one given); resolves its URL once it answers health checks. */
  async startApi(name: string, env: Record<string, string> = {}, port?: number): Promise<string> {
    const apiPort = port ?? (await freePort());
    const entry = this.spawn(name, path.join('api', 'server.js'), {
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      ...env,
    });
    const url = `http://127.0.0.1:${apiPort}`;
    await this.stack.waitForHealth(`${url}/actuator/health`, entry, 90_000);
    return url;
  }

  /** A worker; resolves once it logs that it is ready (polling). */
  async startWorker(name: string, env: Record<string, string> = {}): Promise<void> {
    const file = this.logFile(name);
    const offset = existsSync(file) ? statSync(file).size : 0;
    const entry = this.spawn(name, path.join('worker', 'main.js'), env);
    const deadline = Date.now() + 90_000;
    while (!/worker ready/.test(this.log(name, offset))) {
      if (entry.exited) throw new Error(`${name} exited while starting: ${this.log(name, offset).slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`${name} was not ready within 90 s`);
      await sleep(200);
    }
  }

  /** Sends a signal; resolves the exit code once the process is gone (or undefined if it outlives timeoutMs). */
  async signal(name: string, signal: NodeJS.Signals, timeoutMs = 60_000): Promise<number | null | undefined> {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`no process ${name}`);
    if (!entry.exited) entry.child.kill(signal);
    return this.exitCode(name, timeoutMs);
  }

  /** Resolves the exit code once the process has exited, or undefined after timeoutMs. */
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

  ledger(): LedgerLine[] {
    if (!existsSync(this.ledgerFile)) return [];
    return readFileSync(this.ledgerFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LedgerLine);
  }

  /** Kills whatever still runs and removes the folder (the logs stay with SPILLWAY_KEEP_TEST_LOGS=1). */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.entries.keys()].map(async (name) => {
        if (!this.isRunning(name)) return;
        if ((await this.signal(name, 'SIGTERM', 10_000)) === undefined) await this.signal(name, 'SIGKILL', 10_000);
      }),
    );
    if (process.env.SPILLWAY_KEEP_TEST_LOGS !== '1') rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls until check returns a value; fails with what it saw last. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await sleep(200);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${String(last)})` : ''}`);
}

export interface JsonAnswer {
  status: number;
  body: Record<string, unknown>;
}

export async function requestJson(
  url: string,
  init: { method?: string; body?: unknown; token?: string; timeoutMs?: number } = {},
): Promise<JsonAnswer> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  // A bearer token of its own gives a caller its own rate-limit bucket, whether or not keys are configured.
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(init.timeoutMs ?? 30_000),
  });
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { text };
  }
  return { status: res.status, body };
}

export interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

export interface EventStream {
  events: SseEvent[];
  /** Resolves when the server ends the stream (or it breaks). */
  ended: Promise<void>;
  /** Waits until an event matches; fails after timeoutMs. */
  next(match: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

/** Follows GET /api/events as a browser's EventSource would, parsing `event:`, `id:` and `data:` lines. */
export async function openEventStream(url: string, token?: string): Promise<EventStream> {
  const controller = new AbortController();
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    signal: controller.signal,
  });
  if (res.status !== 200 || !res.body) throw new Error(`GET ${url} answered ${res.status}`);
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  const ended = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event: SseEvent = { event: 'message', data: '' };
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event.event = line.slice(7);
            else if (line.startsWith('id: ')) event.id = line.slice(4);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length === 0) continue; // comments (keep-alives) and `retry:`
          event.data = data.join('\n');
          events.push(event);
          for (const wake of waiters) wake();
        }
      }
    } catch {
      // Aborted by close(), or the server went away.
    } finally {
      for (const wake of waiters) wake();
    }
  })();
  let done = false;
  void ended.then(() => (done = true));
  return {
    events,
    ended,
    async next(match, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find(match);
        if (found) return found;
        if (done) throw new Error(`the event stream ended without a matching event (${events.length} seen)`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms (${events.length} seen)`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(wake, Math.min(left, 1_000));
          function wake() {
            clearTimeout(timer);
            waiters.delete(wake);
            resolve();
          }
          waiters.add(wake);
        });
      }
    },
    close: () => controller.abort(),
  };
}
