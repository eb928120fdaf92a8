// Mutual TLS to Temporal's production server, the way a Temporal Cloud user connects: a throwaway CA signs a server
// and a client certificate, the server's frontend requires a client certificate, and Spillway's worker and API run
// as their own processes with nothing but TEMPORAL_ADDRESS and TEMPORAL_TLS_* to reach it. A LOCAL task submitted
// through the REST API must complete.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readStack } from '../support/test-stack';
import { makeCertificates, type Certificates } from './certificates';
import {
  cli,
  deleteRedisKeys,
  postgresReachable,
  serverLib,
  skipReason,
  stopAndDrop,
  uniqueDatabases,
  type RunningServer,
} from './server-profile';

/* eslint-disable @typescript-eslint/no-require-imports */
const { Stack } = require('../../scripts/lib/stack.js') as { Stack: new (options: object) => ProcessStack };
const { freePort } = require('../../scripts/lib/net.js') as { freePort(): Promise<number> };
/* eslint-enable @typescript-eslint/no-require-imports */

interface ProcessEntry {
  exited: boolean;
}
interface ProcessStack {
  startNode(name: string, script: string, env: Record<string, string>): ProcessEntry;
  waitForHealth(url: string, entry: ProcessEntry, timeoutMs?: number): Promise<void>;
  stop(graceMs?: number): Promise<void>;
}

const ROOT = path.resolve(__dirname, '..', '..');
const postgres = postgresReachable();

async function waitForLog(file: string, pattern: RegExp, entry: ProcessEntry, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (pattern.test(text)) return;
    if (entry.exited) throw new Error(`the process exited before ${pattern}: ${text.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${pattern} did not appear in ${file} within ${timeoutMs / 1000} s`);
}

if (!postgres.reachable) {
  console.warn(skipReason(postgres.where));
  test.skip(skipReason(postgres.where), () => undefined);
} else {
  describe('Spillway over mutual TLS to the production server', () => {
    const databases = uniqueDatabases('tls');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spillway-tls-'));
    const logDir = path.join(dir, 'logs');
    const redisPrefix = `spillway-test-tls-${randomBytes(4).toString('hex')}:`;
    const stack = new Stack({ logDir, log: () => undefined });
    let certs: Certificates;
    let server: RunningServer | undefined;
    let apiUrl = '';

    beforeAll(async () => {
      certs = makeCertificates(dir);
      serverLib.ensureTemporalServer({ log: (m) => console.log(m) });
      server = await serverLib.startTemporalServer({
        databases,
        dir: path.join(dir, 'server'),
        log: () => undefined,
        tls: {
          certFile: certs.serverCert,
          keyFile: certs.serverKey,
          clientCaFile: certs.ca,
          clientCertFile: certs.clientCert,
          clientKeyFile: certs.clientKey,
          serverName: 'localhost',
        },
      });
    }, 900_000);

    afterAll(async () => {
      await stack.stop(10_000);
      await stopAndDrop(server, databases);
      await deleteRedisKeys(redisPrefix);
      rmSync(dir, { recursive: true, force: true });
    }, 90_000);

    test('the frontend refuses a plaintext client and a TLS client without a certificate', async () => {
      const base = ['--address', server!.address, '--disable-config-file', '--disable-config-env'];
      await expect(cli(server!, ['operator', 'cluster', 'health'], [...base, '--tls=false'])).rejects.toThrow();
      const noCertificate = [...base, '--tls', '--tls-ca-path', certs.ca, '--tls-server-name', 'localhost'];
      await expect(cli(server!, ['operator', 'cluster', 'health'], noCertificate)).rejects.toThrow();
      await expect(cli(server!, ['operator', 'cluster', 'health'])).resolves.toMatch(/SERVING/);
    });

    test('a worker and an API configured by TEMPORAL_TLS_* run a LOCAL task to COMPLETED', async () => {
      const shared = readStack();
      const apiPort = await freePort();
      apiUrl = `http://127.0.0.1:${apiPort}`;
      const env: Record<string, string> = {
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        TEMPORAL_ADDRESS: server!.address,
        TEMPORAL_NAMESPACE: server!.namespace,
        TEMPORAL_TLS_CERT: certs.clientCert,
        TEMPORAL_TLS_KEY: certs.clientKey,
        TEMPORAL_TLS_CA: certs.ca,
        TEMPORAL_TLS_SERVER_NAME: 'localhost',
        REDIS_URL: shared.redisUrl,
        REDIS_PREFIX: redisPrefix,
        LAMBDA_ENDPOINT: shared.lambdaEndpoint ?? 'http://127.0.0.1:9',
        SPILLWAY_CALLBACK_SECRET: randomBytes(24).toString('hex'),
        API_HOST: '127.0.0.1',
        API_PORT: String(apiPort),
        SCHEDULER_ENABLE_WARM_POOL: 'false',
        SCHEDULER_LOCAL_WORKER_POOL_SIZE: '2',
        WORKER_METRICS_ADDRESS: 'off',
        WORKER_METRICS_URL: 'http://127.0.0.1:9/metrics',
      };
      const worker = stack.startNode('worker', path.join(ROOT, 'dist', 'worker', 'main.js'), env);
      await waitForLog(path.join(logDir, 'worker.log'), /worker ready/, worker, 90_000);
      const api = stack.startNode('api', path.join(ROOT, 'dist', 'api', 'server.js'), env);
      await stack.waitForHealth(`${apiUrl}/actuator/health`, api, 90_000);

      const created = await fetch(`${apiUrl}/api/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'tls', type: 'noop', executionMode: 'LOCAL' }),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };

      const deadline = Date.now() + 60_000;
      let task: { status?: string; placement?: { placement?: string } } = {};
      while (Date.now() < deadline) {
        const res = await fetch(`${apiUrl}/api/tasks/${id}`);
        task = (await res.json()) as typeof task;
        if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(task.status ?? '')) break;
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(task).toMatchObject({ status: 'COMPLETED', placement: { placement: 'LOCAL' } });
      // The server has it too, seen through the same mutual TLS by the CLI.
      const described = JSON.parse(await cli(server!, ['workflow', 'describe', '--workflow-id', id, '-o', 'json']));
      expect(described.workflowExecutionInfo.status).toBe('WORKFLOW_EXECUTION_STATUS_COMPLETED');
    }, 240_000);
  });
}
