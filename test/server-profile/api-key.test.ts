// Temporal Cloud with an API key, the way a user sets it: nothing but TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and
// TEMPORAL_API_KEY (plus the test CA, which Cloud's public certificate does not need). Cloud's front door is TLS that
// refuses a call without `authorization: Bearer <key>`; here that front door is a small HTTP/2 TLS server of the test
// that checks the key on every call and passes the call on to the test stack's real Temporal server. The worker
// (its native connection) and the API (the client connection) each reach it with TLS and the key, and a LOCAL task
// submitted through the API completes.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connectClient } from '../../clients/temporal-connection';
import { loadConfig } from '../../domain/config';
import { requestJson, SpillwayProcesses, waitFor } from '../scale/processes';
import { Client, Connection } from '@temporalio/client';
import { endLeftoverWorkflows, readStack } from '../support/test-stack';
import { makeCertificates } from './certificates';

const API_KEY = `spillway-test-key-${randomBytes(8).toString('hex')}`;

interface Call {
  method: string;
  authorized: boolean;
}

interface FrontDoor {
  address: string;
  calls: Call[];
  close(): Promise<void>;
}

/** What an HTTP/2 hop must not pass on: pseudo-headers the new request sets itself, and the key it consumed. */
const NOT_FORWARDED = new Set([':scheme', ':authority', 'authorization']);

/**
 * A TLS gRPC front door: every call without the key is answered UNAUTHENTICATED (gRPC status 16), every other one
 * is passed on, both ways and with its trailers, to the plaintext Temporal frontend at `upstream`.
 */
async function startFrontDoor(certFile: string, keyFile: string, upstream: string): Promise<FrontDoor> {
  const calls: Call[] = [];
  let upstreamSession: http2.ClientHttp2Session | undefined;
  const upstreamCall = (headers: http2.OutgoingHttpHeaders) => {
    if (!upstreamSession || upstreamSession.destroyed) {
      upstreamSession = http2.connect(`http://${upstream}`);
      upstreamSession.on('error', () => undefined); // a call in flight fails on its own stream
    }
    return upstreamSession.request(headers);
  };
  const server = http2.createSecureServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) });
  const clients = new Set<http2.ServerHttp2Session>();
  server.on('session', (client) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
  });
  server.on('stream', (stream, headers) => {
    const authorized = headers.authorization === `Bearer ${API_KEY}`;
    calls.push({ method: String(headers[':path']), authorized });
    if (!authorized) {
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'API key required' },
        { endStream: true },
      );
      return;
    }
    const forwarded = Object.fromEntries(Object.entries(headers).filter(([name]) => !NOT_FORWARDED.has(name)));
    const call = upstreamCall(forwarded);
    let trailers: http2.OutgoingHttpHeaders = {};
    call.on('response', (answer) => {
      const { [':status']: status, ...rest } = answer;
      // A trailers-only answer (an error) carries its gRPC status in the headers and ends there.
      const endsHere = 'grpc-status' in rest;
      stream.respond({ ':status': status, ...rest }, endsHere ? { endStream: true } : { waitForTrailers: true });
      if (!endsHere) call.pipe(stream);
    });
    call.on('trailers', (received) => (trailers = received));
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    stream.pipe(call);
    stream.on('close', () => call.close());
    call.on('close', () => {
      if (!stream.closed && !stream.headersSent) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    });
    call.on('error', () => stream.destroy());
    stream.on('error', () => call.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        upstreamSession?.destroy();
        server.close(() => resolve());
        for (const client of clients) client.destroy();
      }),
  };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'spillway-api-key-'));
let door: FrontDoor;
let processes: SpillwayProcesses;
let certificateAuthority = '';

beforeAll(async () => {
  // The worker started here polls the test stack's task queues: nothing an earlier file left running may take it.
  const connection = await Connection.connect({ address: readStack().temporalAddress });
  try {
    await endLeftoverWorkflows(new Client({ connection }));
  } finally {
    await connection.close();
  }
  const certs = makeCertificates(dir);
  certificateAuthority = certs.ca;
  door = await startFrontDoor(certs.serverCert, certs.serverKey, readStack().temporalAddress);
  processes = new SpillwayProcesses({
    TEMPORAL_ADDRESS: door.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_API_KEY: API_KEY,
    TEMPORAL_TLS_CA: certs.ca,
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
  });
}, 60_000);

afterAll(async () => {
  await processes?.stopAll();
  await door?.close();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

const cloudEnv = (apiKey: string) => ({
  TEMPORAL_ADDRESS: door.address,
  TEMPORAL_API_KEY: apiKey,
  TEMPORAL_TLS_CA: certificateAuthority,
  TEMPORAL_TLS_SERVER_NAME: 'localhost',
});

test('a client configured with TEMPORAL_API_KEY connects over TLS and presents the key', async () => {
  const config = loadConfig(cloudEnv(API_KEY));
  expect(config.temporal.tls).toBeDefined();
  const before = door.calls.length;
  const connection = await connectClient(config.temporal);
  try {
    const info = await connection.workflowService.getSystemInfo({});
    expect(info.capabilities).toBeDefined();
  } finally {
    await connection.close();
  }
  const made = door.calls.slice(before);
  expect(made.map((c) => c.method)).toContain('/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo');
  expect(made.filter((c) => !c.authorized)).toEqual([]);
});

test('a wrong key is refused at the front door, so the key is what lets the client in', async () => {
  const before = door.calls.length;
  const refused = await connectClient(loadConfig(cloudEnv('not-the-key')).temporal).then(
    async (connection) => {
      await connection.close();
      return undefined;
    },
    (err: Error & { cause?: { code?: number; details?: string } }) => err,
  );
  expect([refused?.cause?.code, refused?.cause?.details]).toEqual([16, 'API key required']);
  expect(door.calls.slice(before).map((c) => c.authorized)).not.toContain(true);
});

test('a worker and an API with TEMPORAL_API_KEY run a LOCAL task to COMPLETED through the front door', async () => {
  const before = door.calls.length;
  const apiUrl = await processes.startApi('api');
  await processes.startWorker('worker');
  const created = await requestJson(`${apiUrl}/api/tasks`, {
    body: { name: 'api key', type: 'noop', executionMode: 'LOCAL' },
  });
  expect([created.status, created.body.code]).toEqual([201, undefined]);
  const id = created.body.id as string;
  const task = await waitFor(
    `task ${id} final`,
    async () => {
      const answer = await requestJson(`${apiUrl}/api/tasks/${id}`);
      return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(answer.body.status as string) ? answer.body : undefined;
    },
    90_000,
  );
  expect(task).toMatchObject({ status: 'COMPLETED', placement: { placement: 'LOCAL' } });
  const made = door.calls.slice(before);
  // The API started the task, the worker polled for it: both through the front door, and every call had the key.
  expect(made.map((c) => c.method.split('/').pop())).toEqual(
    expect.arrayContaining(['StartWorkflowExecution', 'PollWorkflowTaskQueue', 'PollActivityTaskQueue']),
  );
  expect(made.filter((c) => !c.authorized)).toEqual([]);
}, 180_000);
