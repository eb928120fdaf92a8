// Two regions, one really slower: a second local Lambda service runs inside a network namespace of its own, joined
// to this one by a veth pair whose traffic the kernel delays (tc netem) or, on kernels without netem, shapes to a
// low rate (tc tbf) so every request waits for its bytes. The latency monitor of clients/lambda-targets.ts must
// measure that target slower, and the predictor must route to the faster one unless residency forbids it.
// The delay is on every packet, so the slow target's round trips have a floor the test asserts exactly; the fast
// one's are loopback, far below it. Skipped, with the reason printed, where network namespaces cannot be made (not
// root, no iproute2); test/placement/two-region-predictive.test.ts covers the same without root (LAMBDA_DELAY_MS).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { createLambdaTargets, lambdaCandidate, type LambdaTargets } from '../../clients/lambda-targets';
import { loadConfig } from '../../domain/config';
import { DEFAULT_PREDICTOR_PARAMS, predictPlacement } from '../../domain/placement-predictor';
import { loadPriceTable } from '../../domain/price-table';
import { DEFAULT_TRANSFER_PRICES, parseLambdaTargets } from '../../domain/region-model';
import { deployExamples } from '../support/deploy-examples';
import { readStack } from '../support/test-stack';

const ROOT = path.resolve(__dirname, '..', '..');
const SERVER = path.join(ROOT, 'dist', 'lambda', 'server.js');
const tag = randomBytes(3).toString('hex');
const NS = `swslow-${tag}`;
const HOST_IF = `swh${tag}`;
const NS_IF = `swn${tag}`;
const SUBNET = 200 + (parseInt(tag.slice(0, 2), 16) % 50);
const HOST_IP = `10.213.${SUBNET}.1`;
const NS_IP = `10.213.${SUBNET}.2`;
const SLOW_PORT = 19_001;
/** Invocations carry this much payload, so a rate-shaped link delays every one of them. */
const PAYLOAD_BYTES = 32 * 1024;
const SAMPLES = 8;
/** Off loopback the service insists on SigV4 with a key it knows. */
const KEY = { accessKeyId: `AKIASLOW${tag.toUpperCase()}`, secretAccessKey: randomBytes(20).toString('hex') };

function run(args: string[]): { ok: boolean; err: string } {
  const r = spawnSync(args[0] as string, args.slice(1), { encoding: 'utf8', timeout: 10_000 });
  return { ok: r.status === 0, err: `${r.stderr ?? ''}${r.error?.message ?? ''}`.trim() };
}

/** Why namespaces cannot be used here, or undefined when they can (tried with a throwaway namespace). */
function whyNot(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  if (!run(['ip', '-V']).ok) return 'iproute2 (ip) is not installed: apt-get install iproute2';
  if (!run(['tc', '-V']).ok) return 'tc is not installed: apt-get install iproute2';
  if (!existsSync(SERVER)) return 'dist/lambda/server.js is missing: npm run build first';
  const probe = `swprobe-${tag}`;
  const made = run(['ip', 'netns', 'add', probe]);
  if (!made.ok) return `ip netns add is not allowed here: ${made.err}`;
  run(['ip', 'netns', 'del', probe]);
  return undefined;
}

const reason = whyNot();
if (reason) console.log(`slow-region test skipped: ${reason}`);
const maybe = reason ? describe.skip : describe;

maybe('a slower region', () => {
  let shaping = '';
  let addedDelayMs = 0;
  let service: ChildProcess | undefined;
  let dataDir: string;
  let targets: LambdaTargets;

  beforeAll(async () => {
    const steps: string[][] = [
      ['ip', 'netns', 'add', NS],
      ['ip', 'netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up'],
      ['ip', 'link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', NS_IF],
      ['ip', 'link', 'set', NS_IF, 'netns', NS],
      ['ip', 'addr', 'add', `${HOST_IP}/30`, 'dev', HOST_IF],
      ['ip', 'link', 'set', HOST_IF, 'up'],
      ['ip', 'netns', 'exec', NS, 'ip', 'addr', 'add', `${NS_IP}/30`, 'dev', NS_IF],
      ['ip', 'netns', 'exec', NS, 'ip', 'link', 'set', NS_IF, 'up'],
    ];
    for (const step of steps) {
      const r = run(step);
      if (!r.ok) throw new Error(`${step.join(' ')} failed: ${r.err}`);
    }
    // 100 ms each way on both ends, far above any loopback round trip even on a busy machine; where the kernel has no
    // netem, 1 Mbit/s each way with a one-packet burst.
    const netem = (dev: string, ns?: string) =>
      run([
        ...(ns ? ['ip', 'netns', 'exec', ns] : []),
        'tc',
        'qdisc',
        'add',
        'dev',
        dev,
        'root',
        'netem',
        'delay',
        '100ms',
      ]);
    const first = netem(NS_IF, NS);
    if (first.ok && netem(HOST_IF).ok) {
      shaping = 'tc netem delay 100ms on each end (200 ms round trip)';
      addedDelayMs = 200;
    } else {
      const tbf = (dev: string, ns?: string) =>
        run([
          ...(ns ? ['ip', 'netns', 'exec', ns] : []),
          ...['tc', 'qdisc', 'add', 'dev', dev, 'root', 'tbf', 'rate', '1mbit', 'burst', '1600', 'latency', '2s'],
        ]);
      const a = tbf(NS_IF, NS);
      const b = tbf(HOST_IF);
      if (!a.ok || !b.ok) throw new Error(`neither netem (${first.err}) nor tbf (${a.err || b.err}) is available`);
      shaping = `tc tbf rate 1mbit on each end (netem: ${first.err || 'unavailable'}); ${PAYLOAD_BYTES / 1024} KB payloads`;
      // 32 KB at 1 Mbit/s is about 260 ms on the way in, for every invocation; count half of it as its floor.
      addedDelayMs = ((PAYLOAD_BYTES * 8) / 1_000_000) * 1000 * 0.5;
    }
    console.log(`slow region: ${shaping}`);

    dataDir = mkdtempSync(path.join(os.tmpdir(), 'spillway-slow-region-'));
    const slowUrl = `http://${NS_IP}:${SLOW_PORT}`;
    let output = '';
    const deadline = Date.now() + 30_000;
    // The veth may take a moment before its address can be bound; a service that exits at once is started again.
    for (let tries = 1; ; tries++) {
      const child = spawn('ip', ['netns', 'exec', NS, process.execPath, '--enable-source-maps', SERVER], {
        env: {
          ...process.env,
          LAMBDA_HOST: NS_IP,
          LAMBDA_PORT: String(SLOW_PORT),
          LAMBDA_DATA_DIR: path.join(dataDir, 'lambda'),
          LAMBDA_IDLE_RECLAIM_MS: '60000',
          LAMBDA_ACCESS_KEYS: `${KEY.accessKeyId}:${KEY.secretAccessKey}`,
          AWS_REGION: 'local-slow',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      service = child;
      child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      let up = false;
      while (!up && child.exitCode === null && Date.now() < deadline) {
        try {
          up = (await fetch(`${slowUrl}/_spillway/status`, { signal: AbortSignal.timeout(2000) })).ok;
        } catch {
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      if (up) break;
      if (tries >= 3 || Date.now() >= deadline) {
        throw new Error(`the slow Lambda service did not start (exit ${child.exitCode}): ${output.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    await deployExamples({ endpoint: slowUrl, region: 'local-slow', credentials: KEY }, ['noop']);

    const stack = readStack();
    if (!stack.lambdaEndpoint) throw new Error('the test stack has no local Lambda service');
    const base = loadConfig({ LAMBDA_ENDPOINT: stack.lambdaEndpoint }).lambda;
    targets = createLambdaTargets(
      parseLambdaTargets(
        JSON.stringify([
          { name: 'fast', region: 'local-fast', endpoint: stack.lambdaEndpoint },
          {
            name: 'slow',
            region: 'local-slow',
            endpoint: slowUrl,
            credentials: { accessKeyId: KEY.accessKeyId, secretAccessKey: KEY.secretAccessKey },
          },
        ]),
        base,
      ),
      base,
      loadPriceTable(),
    );
  }, 120_000);

  afterAll(async () => {
    targets?.destroy();
    if (service && service.exitCode === null) {
      service.kill('SIGTERM');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          service?.kill('SIGKILL');
          resolve();
        }, 10_000);
        service?.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    // Deleting one end of a veth pair deletes both; deleting the namespace ends anything left in it.
    run(['ip', 'link', 'del', HOST_IF]);
    run(['ip', 'netns', 'del', NS]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('the latency monitor measures the namespaced target slower', async () => {
    const payload = new TextEncoder().encode(JSON.stringify({ pad: 'x'.repeat(PAYLOAD_BYTES) }));
    for (let i = 0; i < SAMPLES; i++) {
      for (const name of ['fast', 'slow']) {
        // An async Invoke answers 202 before the function runs: its round trip is the network and the service.
        await targets.timed(name, (c) =>
          c.send(new InvokeCommand({ FunctionName: 'noop', InvocationType: 'Event', Payload: payload })),
        );
      }
    }
    const now = Date.now();
    const fast = targets.get('fast').monitor.snapshot(now);
    const slow = targets.get('slow').monitor.snapshot(now);
    console.log(
      `slow region (${shaping}): fast EWMA ${fast.invoke.ewmaMs?.toFixed(1)} ms p95 ${fast.invoke.p95Ms?.toFixed(1)} ms; ` +
        `slow EWMA ${slow.invoke.ewmaMs?.toFixed(1)} ms p95 ${slow.invoke.p95Ms?.toFixed(1)} ms`,
    );
    expect(fast.invoke.samples).toBe(SAMPLES);
    expect(slow.invoke.samples).toBe(SAMPLES);
    // Every slow round trip carries the delay, so its EWMA and p95 cannot be below it.
    expect(slow.invoke.ewmaMs).toBeGreaterThanOrEqual(addedDelayMs);
    expect(slow.invoke.p95Ms).toBeGreaterThanOrEqual(addedDelayMs);
    expect(slow.invoke.ewmaMs).toBeGreaterThan(fast.invoke.ewmaMs ?? Infinity);
    expect(slow.healthy).toBe(true);
  });

  test('the predictor spills to the faster region, and to the slower one only when residency says so', () => {
    const now = Date.now();
    const signals = { reachable: true, concurrencyHeadroom: 100, recentThrottles: 0, warmIdle: 1, inFlight: 0 };
    const candidates = targets.list().map((h) => lambdaCandidate(h, signals, now));
    const input = (allowedRegions?: string[]) => ({
      task: { payloadBytes: PAYLOAD_BYTES, memoryMB: 128, architecture: 'x86_64' as const, allowedRegions },
      learned: {
        localDurationMs: 1000,
        lambdaDurationMs: 1000,
        initMs: 250,
        localCpuShare: 1,
        samples: { local: 5, lambda: 5, init: 5 },
      },
      local: { region: 'local-fast', inFlight: 40, poolSize: 10 },
      lambda: candidates,
      prices: loadPriceTable(),
      transfer: DEFAULT_TRANSFER_PRICES,
      params: { ...DEFAULT_PREDICTOR_PARAMS, objective: 'latency' as const },
    });
    expect(predictPlacement(input()).target).toEqual({ name: 'fast', region: 'local-fast' });
    expect(predictPlacement(input(['local-slow'])).target).toEqual({ name: 'slow', region: 'local-slow' });
  });
});
