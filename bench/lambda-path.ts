// Section 2: the local Lambda service on its own. Warm invoke overhead of `noop` (RequestResponse, and Event until
// the wrapper's signed callback reaches a tiny HTTP server here) against a bare loopback round trip to a trivial
// Node server; cold starts (a second service instance reclaims idle environments after 1 ms, so each invocation of
// a sequential series is cold) against forking a bare Node child; the cold-start ratio of a burst with and
// without warming first; and both sides of warming: what the warm pool spent and the cold starts it saved real tasks.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CreateFunctionCommand, LambdaClient, waitUntilFunctionActiveV2 } from '@aws-sdk/client-lambda';
import { parseReportLine } from '../domain/lambda-report';
import { zipEntries } from '../lambda/zip-package';
import type { FunctionStatus, ServiceStatus } from '../domain/lambda-status';
import { ROOT } from './bench-stack';
import type { BenchContext } from './context';
import { request, requestJson } from './http';
import { fmt, usd, verdict } from './report';
import { ratio, round, sleep, summarize, withTimeout, type Summary } from './stats';

export interface BurstResult {
  label: string;
  size: number;
  coldStarts: number;
  coldRatio: number;
  latencyMs: Summary;
  initDurationMs: Summary;
  prewarm?: unknown;
}

export interface LambdaPathResult {
  bareRoundTripMs: Summary;
  warmRequestResponseMs: Summary;
  warmColdStartsDuringSeries: number;
  eventColdStartsDuringSeries: number;
  eventAckMs: Summary;
  eventToCallbackMs: Summary;
  coldClientMs: Summary;
  coldInitDurationMs: Summary;
  coldSeriesWarmHits: number;
  /** The same cold series for a custom runtime (`provided.al2023`: a POSIX sh bootstrap that answers with curl). */
  customColdClientMs: Summary;
  customColdInitDurationMs: Summary;
  bareForkMs: Summary;
  bursts: BurstResult[];
  /** Both sides of warming, from the ledger (GET /api/tasks/stats `warming`): what it cost and what it saved. */
  warming?: WarmingSides;
}

/** What one warm-pool run cost and what it saved a burst of real LAMBDA tasks right after it. */
export interface WarmingSides {
  tasks: number;
  warmups: number;
  warmingUsd: number;
  warmHits: number;
  savedColdStarts: number;
  savedMs: number;
  savedValueUsd: number;
  netUsd: number;
}

interface Ledger {
  functionName: string;
  warmups: number;
  warmingUsd: number;
  warmHits: number;
  coldStarts: number;
  savedColdStarts: number;
  savedMs: number;
  savedValueUsd: number;
}

async function ledgerOf(apiUrl: string, name: string): Promise<Ledger> {
  const stats = await requestJson<{ warming?: { functions: Ledger[] } }>(`${apiUrl}/api/tasks/stats`);
  return (
    stats.warming?.functions.find((f) => f.functionName === name) ?? {
      functionName: name,
      warmups: 0,
      warmingUsd: 0,
      warmHits: 0,
      coldStarts: 0,
      savedColdStarts: 0,
      savedMs: 0,
      savedValueUsd: 0,
    }
  );
}

/**
 * Both sides of warming: the warm pool warms noop, then a burst of real LAMBDA tasks runs; the ledger says what the
 * warm-ups cost and which cold starts they saved (warm hits while the warmed environments lived, up to their number).
 */
async function warmingSides(ctx: BenchContext, size: number, settleMs: number): Promise<WarmingSides> {
  const { stack, client } = ctx;
  if (!(await waitNoEnvironments(stack.lambdaUrl, 'noop', settleMs)))
    ctx.log('  warning: noop environments were not reclaimed');
  const before = await ledgerOf(stack.apiUrl, 'noop');
  await requestJson(`${stack.apiUrl}/api/tasks/warm-pool`, { method: 'POST', timeoutMs: 150_000 });
  await Promise.all(
    Array.from({ length: size }, async (_, i) => {
      const created = await requestJson<{ id: string }>(
        `${stack.apiUrl}/api/tasks`,
        { body: JSON.stringify({ name: `bench warming ${i}`, type: 'noop', executionMode: 'LAMBDA' }) },
        [201],
      );
      await withTimeout(client.workflow.getHandle(created.id).result(), 120_000, `task ${created.id}`);
    }),
  );
  // The ledger counts a task at its end, a moment after its workflow closes.
  const counted = (l: Ledger) => l.warmHits + l.coldStarts - before.warmHits - before.coldStarts;
  let after = await ledgerOf(stack.apiUrl, 'noop');
  for (let i = 0; i < 100 && counted(after) < size; i++) {
    await sleep(100);
    after = await ledgerOf(stack.apiUrl, 'noop');
  }
  const d = (k: keyof Omit<Ledger, 'functionName'>) => after[k] - before[k];
  return {
    tasks: size,
    warmups: d('warmups'),
    warmingUsd: d('warmingUsd'),
    warmHits: d('warmHits'),
    savedColdStarts: d('savedColdStarts'),
    savedMs: d('savedMs'),
    savedValueUsd: d('savedValueUsd'),
    netUsd: d('savedValueUsd') - d('warmingUsd'),
  };
}

/**
 * A custom runtime as small as one can be: a `bootstrap` in POSIX sh that loops on the Runtime API's /next and answers
 * every event with curl. Its cold start is the service's part (an environment, its Runtime API server, the exec)
 * plus sh and the first curl, where the Node runtime's is a Node process loading its handler.
 */
const CUSTOM_RUNTIME_BOOTSTRAP = `#!/bin/sh
API="http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
HEADERS=$(mktemp)
while true; do
  curl -sS -D "$HEADERS" -o /dev/null "$API/invocation/next" || exit 1
  ID=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$HEADERS" | cut -d' ' -f2 | tr -d '\\r')
  curl -sS -o /dev/null -X POST -d '{"ok":true}' "$API/invocation/$ID/response"
done
`;
const CUSTOM_RUNTIME_FUNCTION = 'bench-custom-runtime';

/** Deploys the custom-runtime function to a service with CreateFunction, as a user would. */
async function deployCustomRuntime(base: string): Promise<void> {
  const client = new LambdaClient({
    endpoint: base,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  try {
    const zip = await zipEntries([{ name: 'bootstrap', data: CUSTOM_RUNTIME_BOOTSTRAP, mode: 0o755 }]);
    await client.send(
      new CreateFunctionCommand({
        FunctionName: CUSTOM_RUNTIME_FUNCTION,
        Runtime: 'provided.al2023',
        Handler: 'bootstrap',
        Role: 'arn:aws:iam::000000000000:role/bench',
        Code: { ZipFile: zip },
      }),
    );
    await waitUntilFunctionActiveV2({ client, maxWaitTime: 60 }, { FunctionName: CUSTOM_RUNTIME_FUNCTION });
  } finally {
    client.destroy();
  }
}

/** A sequential series of cold invocations (the service reclaims idle environments at once): client-seen and Init. */
async function coldSeries(base: string, fn: string, samples: number) {
  const client: number[] = [];
  const init: number[] = [];
  let warmHits = 0;
  for (let i = 0; i < samples; i++) {
    await waitNoEnvironments(base, fn, 5_000);
    const { ms, report } = await invokeWithReport(base, fn, taskEvent(i));
    if (report?.initDurationMs === undefined) {
      warmHits++;
      continue;
    }
    client.push(ms);
    init.push(report.initDurationMs);
  }
  return { client, init, warmHits };
}

const invokeUrl = (base: string, fn: string) => `${base}/2015-03-31/functions/${fn}/invocations`;
const taskEvent = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ taskId: `bench-lambda-${i}`, taskType: 'noop', attempt: 1, payload: {}, ...extra });

async function functionStatus(base: string, name: string): Promise<FunctionStatus | undefined> {
  const status = await requestJson<ServiceStatus>(`${base}/_spillway/status`);
  return status.functions.find((f) => f.name === name);
}

/** Waits (bounded) until the service has no environment of the function left, so the next invocation is cold. */
async function waitNoEnvironments(base: string, name: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await functionStatus(base, name);
    if (!status || status.environments.total === 0) return true;
    await sleep(100);
  }
  return false;
}

/** Waits (bounded) until no environment of the function is busy. */
async function waitIdle(base: string, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await functionStatus(base, name);
    if (!status || status.environments.busy === 0) return;
    await sleep(1);
  }
}

async function series(count: number, warmup: number, one: (i: number) => Promise<number>, maxMs = 120_000) {
  const values: number[] = [];
  const deadline = Date.now() + maxMs;
  for (let i = 0; i < warmup + count && Date.now() < deadline; i++) {
    const value = await one(i);
    if (i >= warmup) values.push(value);
  }
  return values;
}

/** An invocation with the log tail: client-seen latency and the REPORT facts. */
async function invokeWithReport(base: string, fn: string, body: string) {
  const t0 = performance.now();
  const res = await request(invokeUrl(base, fn), { body, headers: { 'X-Amz-Log-Type': 'Tail' }, timeoutMs: 30_000 });
  const ms = performance.now() - t0;
  if (res.status !== 200 || res.headers['x-amz-function-error']) {
    throw new Error(
      `invoke ${fn} answered ${res.status} ${String(res.headers['x-amz-function-error'] ?? '')}: ${res.body}`,
    );
  }
  const tail = res.headers['x-amz-log-result'];
  const report = parseReportLine(typeof tail === 'string' ? Buffer.from(tail, 'base64').toString('utf8') : '');
  return { ms, report };
}

async function burst(base: string, size: number, label: string): Promise<BurstResult> {
  const outcomes = await Promise.all(
    Array.from({ length: size }, (_, i) => invokeWithReport(base, 'noop', taskEvent(i))),
  );
  const inits = outcomes.map((o) => o.report?.initDurationMs).filter((v): v is number => v !== undefined);
  return {
    label,
    size,
    coldStarts: inits.length,
    coldRatio: round(inits.length / size),
    latencyMs: summarize(outcomes.map((o) => o.ms)),
    initDurationMs: summarize(inits),
  };
}

/** A tiny server in this process that receives the wrapper's callbacks and reports when each token arrives. */
async function startCallbackServer() {
  const waiting = new Map<string, (at: number) => void>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"accepted":true}');
      try {
        const token = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { token?: string }).token;
        if (token) waiting.get(token)?.(at);
      } catch {
        // Not a callback body; ignore.
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/callback`,
    arrival: (token: string) => new Promise<number>((resolve) => waiting.set(token, resolve)),
    forget: (token: string) => waiting.delete(token),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Times forking a bare Node child until it reports over IPC, measured from a small helper process. */
function forkTimes(count: number): Promise<number[]> {
  const probe = path.join(ROOT, 'dist', 'bench', 'fork-probe.js');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [probe, `--measure=${count}`], { timeout: 120_000 }, (err, stdout) => {
      if (err) return reject(err);
      try {
        resolve(JSON.parse(stdout) as number[]);
      } catch (parseError) {
        reject(parseError as Error);
      }
    });
  });
}

export async function lambdaPath(ctx: BenchContext): Promise<LambdaPathResult> {
  const { options, stack, log } = ctx;
  const samples = options.lambdaSamples;
  const warmup = 20;

  log(`Lambda path: ${samples} bare loopback round trips to the trivial server ...`);
  const bare = await series(samples, warmup, async (i) => {
    const t0 = performance.now();
    const res = await request(`${stack.trivialUrl}/`, { body: taskEvent(i) });
    if (res.status !== 200) throw new Error(`trivial server answered ${res.status}`);
    return performance.now() - t0;
  });

  log(`Lambda path: ${samples} warm RequestResponse invocations of noop ...`);
  const before = await functionStatus(stack.lambdaUrl, 'noop');
  const warm = await series(samples, warmup, async (i) => {
    const t0 = performance.now();
    const res = await request(invokeUrl(stack.lambdaUrl, 'noop'), { body: taskEvent(i) });
    if (res.status !== 200 || res.headers['x-amz-function-error'])
      throw new Error(`invoke answered ${res.status}: ${res.body}`);
    return performance.now() - t0;
  });
  const after = await functionStatus(stack.lambdaUrl, 'noop');
  // The first warm-up invocation is the one cold start expected.
  const warmColdStarts = Math.max(0, (after?.coldStarts ?? 0) - (before?.coldStarts ?? 0) - 1);

  log(`Lambda path: ${samples} Event invocations of noop, each until its signed callback arrives ...`);
  const callbacks = await startCallbackServer();
  const beforeEvents = await functionStatus(stack.lambdaUrl, 'noop');
  const acks: number[] = [];
  let eventToCallback: number[];
  try {
    eventToCallback = await series(samples, warmup, async (i) => {
      const token = `bench-${randomBytes(6).toString('hex')}`;
      const arrival = callbacks.arrival(token);
      const t0 = performance.now();
      const res = await request(invokeUrl(stack.lambdaUrl, 'noop'), {
        body: taskEvent(i, { callback: { url: callbacks.url, token } }),
        headers: { 'X-Amz-Invocation-Type': 'Event' },
      });
      if (res.status !== 202) throw new Error(`Event invoke answered ${res.status}: ${res.body}`);
      if (i >= warmup) acks.push(performance.now() - t0);
      let ms: number;
      try {
        ms = (await withTimeout(arrival, 10_000, `callback ${token}`)) - t0;
      } finally {
        callbacks.forget(token);
      }
      // The callback arrives before the environment is free again (the wrapper still awaits the callback's answer);
      // waiting for it, untimed, keeps the next event on the same warm environment instead of a new cold one.
      await waitIdle(stack.lambdaUrl, 'noop', 2_000);
      return ms;
    });
  } finally {
    await callbacks.close();
  }
  const afterEvents = await functionStatus(stack.lambdaUrl, 'noop');
  const eventColdStarts = Math.max(0, (afterEvents?.coldStarts ?? 0) - (beforeEvents?.coldStarts ?? 0));

  log(`Lambda path: ${options.coldSamples} cold starts of noop (service reclaiming idle environments after 1 ms) ...`);
  const {
    client: coldClient,
    init: coldInit,
    warmHits,
  } = await coldSeries(stack.coldLambdaUrl, 'noop', options.coldSamples);
  log(`Lambda path: ${options.coldSamples} cold starts of a custom runtime (provided.al2023, sh and curl) ...`);
  await deployCustomRuntime(stack.coldLambdaUrl);
  const custom = await coldSeries(stack.coldLambdaUrl, CUSTOM_RUNTIME_FUNCTION, options.coldSamples);
  const forks = await forkTimes(options.coldSamples);

  const bursts: BurstResult[] = [];
  const settle = options.lambdaIdleReclaimMs + 10_000;
  const size = options.warmupBurst;
  log(`Lambda path: bursts of ${size} concurrent noop invocations, cold and after warming ...`);
  if (!(await waitNoEnvironments(stack.lambdaUrl, 'noop', settle)))
    log('  warning: noop environments were not reclaimed');
  bursts.push(await burst(stack.lambdaUrl, size, 'no warm-up'));

  if (!(await waitNoEnvironments(stack.lambdaUrl, 'noop', settle)))
    log('  warning: noop environments were not reclaimed');
  const pool = await requestJson<{ functions: Array<{ name: string; warmed: number }> }>(
    `${stack.apiUrl}/api/tasks/warm-pool`,
    { method: 'POST', timeoutMs: 150_000 },
  );
  const afterPool = await burst(stack.lambdaUrl, size, 'after POST /api/tasks/warm-pool');
  afterPool.prewarm = pool.functions.find((f) => f.name === 'noop');
  bursts.push(afterPool);

  if (!(await waitNoEnvironments(stack.lambdaUrl, 'noop', settle)))
    log('  warning: noop environments were not reclaimed');
  await Promise.all(
    Array.from({ length: size }, () =>
      request(invokeUrl(stack.lambdaUrl, 'noop'), { body: JSON.stringify({ spillway: { warmup: true } }) }),
    ),
  );
  const afterWarmups = await burst(stack.lambdaUrl, size, `after ${size} concurrent warm-up events`);
  afterWarmups.prewarm = { warmupEvents: size };
  bursts.push(afterWarmups);

  log(`Lambda path: warming's two sides, the warm pool then ${size} LAMBDA noop tasks ...`);
  const warming = await warmingSides(ctx, size, settle);
  log(
    `  warm-ups ${warming.warmups} for ${usd(warming.warmingUsd)}; ${warming.warmHits} of ${size} tasks warm, ` +
      `${warming.savedColdStarts} cold starts saved (${fmt(warming.savedMs)} ms of init, worth ${usd(warming.savedValueUsd)})`,
  );

  const result: LambdaPathResult = {
    bareRoundTripMs: summarize(bare),
    warmRequestResponseMs: summarize(warm),
    warmColdStartsDuringSeries: warmColdStarts,
    eventColdStartsDuringSeries: eventColdStarts,
    eventAckMs: summarize(acks),
    eventToCallbackMs: summarize(eventToCallback),
    coldClientMs: summarize(coldClient),
    coldInitDurationMs: summarize(coldInit),
    coldSeriesWarmHits: warmHits + custom.warmHits,
    customColdClientMs: summarize(custom.client),
    customColdInitDurationMs: summarize(custom.init),
    bareForkMs: summarize(forks),
    bursts,
    warming,
  };
  report(ctx, result);
  return result;
}

function report(ctx: BenchContext, r: LambdaPathResult): void {
  const section = '2 Lambda path (noop)';
  const bareName = 'bare loopback HTTP';
  const bare50 = r.bareRoundTripMs.p50;
  const within3 = (s: Summary) => (s.p50 !== null && bare50 !== null ? s.p50 - bare50 <= 3 : null);
  const forkName = 'fork of a bare Node child';
  const under250 = (s: Summary) => (s.p50 !== null ? s.p50 <= 250 : null);
  ctx.rows.push(
    {
      section,
      figure: 'bare loopback round trip p50',
      measured: bare50,
      unit: 'ms',
      baseline: bare50,
      baselineName: bareName,
      ratio: 1,
    },
    {
      section,
      figure: 'warm RequestResponse p50',
      measured: r.warmRequestResponseMs.p50,
      unit: 'ms',
      baseline: bare50,
      baselineName: bareName,
      ratio: ratio(r.warmRequestResponseMs.p50, bare50),
      target: '≤ bare + 3 ms',
      verdict: verdict(within3(r.warmRequestResponseMs)),
    },
    {
      section,
      figure: 'warm RequestResponse p95',
      measured: r.warmRequestResponseMs.p95,
      unit: 'ms',
      baseline: r.bareRoundTripMs.p95,
      baselineName: bareName,
      ratio: ratio(r.warmRequestResponseMs.p95, r.bareRoundTripMs.p95),
    },
    {
      section,
      figure: 'warm Event → callback received p50',
      measured: r.eventToCallbackMs.p50,
      unit: 'ms',
      baseline: bare50,
      baselineName: bareName,
      ratio: ratio(r.eventToCallbackMs.p50, bare50),
      target: '≤ bare + 3 ms',
      verdict: verdict(within3(r.eventToCallbackMs)),
    },
    {
      section,
      figure: 'warm Event → callback received p95',
      measured: r.eventToCallbackMs.p95,
      unit: 'ms',
      baseline: r.bareRoundTripMs.p95,
      baselineName: bareName,
      ratio: ratio(r.eventToCallbackMs.p95, r.bareRoundTripMs.p95),
    },
    {
      section,
      figure: 'Event 202 accepted p50',
      measured: r.eventAckMs.p50,
      unit: 'ms',
      baseline: bare50,
      baselineName: bareName,
      ratio: ratio(r.eventAckMs.p50, bare50),
    },
    {
      section,
      figure: 'cold start, client-seen p50',
      measured: r.coldClientMs.p50,
      unit: 'ms',
      baseline: r.bareForkMs.p50,
      baselineName: forkName,
      ratio: ratio(r.coldClientMs.p50, r.bareForkMs.p50),
      target: '≤ 250 ms',
      verdict: verdict(under250(r.coldClientMs)),
    },
    {
      section,
      figure: 'cold start, Init Duration p50',
      measured: r.coldInitDurationMs.p50,
      unit: 'ms',
      baseline: r.bareForkMs.p50,
      baselineName: forkName,
      ratio: ratio(r.coldInitDurationMs.p50, r.bareForkMs.p50),
      target: '≤ 250 ms',
      verdict: verdict(under250(r.coldInitDurationMs)),
    },
    {
      section,
      figure: 'cold start, custom runtime (provided.al2023, sh + curl), client-seen p50',
      measured: r.customColdClientMs.p50,
      unit: 'ms',
      baseline: r.bareForkMs.p50,
      baselineName: forkName,
      ratio: ratio(r.customColdClientMs.p50, r.bareForkMs.p50),
    },
    {
      section,
      figure: 'cold start, custom runtime (provided.al2023, sh + curl), Init Duration p50',
      measured: r.customColdInitDurationMs.p50,
      unit: 'ms',
      baseline: r.bareForkMs.p50,
      baselineName: forkName,
      ratio: ratio(r.customColdInitDurationMs.p50, r.bareForkMs.p50),
    },
  );
  const cold = r.bursts[0];
  for (const b of r.bursts) {
    ctx.rows.push({
      section,
      figure: `burst of ${b.size}, ${b.label}: cold-start ratio`,
      measured: b.coldRatio,
      unit: '',
      baseline: cold?.coldRatio ?? null,
      baselineName: 'burst without warm-up',
      ratio: ratio(b.coldRatio, cold?.coldRatio),
    });
    ctx.rows.push({
      section,
      figure: `burst of ${b.size}, ${b.label}: latency p50 / max`,
      measured: b.latencyMs.p50,
      unit: `ms (max ${fmt(b.latencyMs.max)})`,
      baseline: cold?.latencyMs.p50 ?? null,
      baselineName: 'burst without warm-up',
      ratio: ratio(b.latencyMs.p50, cold?.latencyMs.p50),
    });
  }
  const w = r.warming;
  if (w) {
    ctx.rows.push(
      {
        section,
        figure: `warming, cost: ${w.warmups} warm-ups by the warm pool`,
        measured: w.warmingUsd,
        unit: 'USD',
        baseline: w.savedValueUsd,
        baselineName: 'what the cold starts it saved are worth',
        ratio: ratio(w.warmingUsd, w.savedValueUsd),
      },
      {
        section,
        figure:
          `warming, saved: cold starts of ${w.tasks} LAMBDA tasks right after (${w.warmHits} warm; ` +
          `${fmt(w.savedMs)} ms of init, worth ${usd(w.savedValueUsd)}; net ${usd(w.netUsd)})`,
        measured: w.savedColdStarts,
        unit: '',
        baseline: w.tasks,
        baselineName: 'tasks in the burst',
        ratio: ratio(w.savedColdStarts, w.tasks),
      },
    );
  }
  const delta = (s: Summary) => (s.p50 !== null && bare50 !== null ? s.p50 - bare50 : null);
  ctx.targets.push(
    {
      section,
      target: 'warm RequestResponse p50 within 3 ms of a bare loopback round trip',
      measured: `${fmt(r.warmRequestResponseMs.p50)} vs ${fmt(bare50)} ms = +${fmt(delta(r.warmRequestResponseMs))} ms`,
      verdict: verdict(within3(r.warmRequestResponseMs)),
    },
    {
      section,
      target: 'warm Event → callback p50 within 3 ms of a bare loopback round trip',
      measured: `${fmt(r.eventToCallbackMs.p50)} vs ${fmt(bare50)} ms = +${fmt(delta(r.eventToCallbackMs))} ms`,
      verdict: verdict(within3(r.eventToCallbackMs)),
    },
    {
      section,
      target: 'cold start p50 ≤ 250 ms (client-seen)',
      measured: `${fmt(r.coldClientMs.p50)} ms (bare fork ${fmt(r.bareForkMs.p50)} ms)`,
      verdict: verdict(under250(r.coldClientMs)),
    },
    {
      section,
      target: 'cold start p50 ≤ 250 ms (Init Duration)',
      measured: `${fmt(r.coldInitDurationMs.p50)} ms`,
      verdict: verdict(under250(r.coldInitDurationMs)),
    },
  );
}
