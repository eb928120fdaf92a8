// Large payloads through a real S3-compatible server (SeaweedFS, built once by scripts/lib/s3-server.js): a 5 MB
// object goes up through a pre-signed PUT and comes back through a pre-signed GET, signed for the bucket's region.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createObjectStore,
  ObjectNotFoundError,
  objectTransferCost,
  type ObjectStore,
} from '../../clients/object-store';
import type { ObjectStoreConfig } from '../../domain/config';
import { recordedRef, taskObjectKey } from '../../domain/object-ref';
import { DEFAULT_TRANSFER_PRICES } from '../../domain/region-model';

/* eslint-disable @typescript-eslint/no-require-imports */
const { startS3Server } = require('../../scripts/lib/s3-server.js') as {
  startS3Server(o: {
    dataDir: string;
    accessKeyId: string;
    secretAccessKey: string;
    logFile?: string;
    log?: (m: string) => void;
  }): Promise<S3Server>;
};
interface S3Server {
  endpoint: string;
  secretAccessKey: string;
  stop(): Promise<void>;
}
/* eslint-enable @typescript-eslint/no-require-imports */

const REGION = 'eu-west-1';
let dir: string;
let server: S3Server;
let config: ObjectStoreConfig;
let store: ObjectStore;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'spillway-s3-test-'));
  server = await startS3Server({
    dataDir: path.join(dir, 'data'),
    accessKeyId: 'spillway-test',
    secretAccessKey: randomBytes(16).toString('hex'),
    logFile: path.join(dir, 'weed.log'),
    log: (m) => console.log(m),
  });
  config = {
    endpoint: server.endpoint,
    bucketPrefix: `spillway-test-${randomBytes(3).toString('hex')}-`,
    accessKeyId: 'spillway-test',
    secretAccessKey: server.secretAccessKey,
    forcePathStyle: true,
    urlTtlSeconds: 600,
  };
  store = createObjectStore(config);
  await store.ensureBucket(REGION);
  // The first build of weed takes minutes on a fresh machine; after that it starts in seconds.
}, 15 * 60_000);

afterAll(async () => {
  await store?.removeBucket(REGION).catch(() => undefined);
  store?.destroy();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a 5 MB payload goes up through a pre-signed PUT and comes back through a pre-signed GET', async () => {
  const body = randomBytes(5 * 1024 * 1024);
  const key = taskObjectKey('task-5mb', 'payload');
  const putUrl = await store.presignPut(REGION, key);
  const put = await fetch(putUrl, { method: 'PUT', body });
  expect(put.status).toBe(200);

  expect(await store.head(REGION, key)).toEqual({ sizeBytes: body.length, contentType: expect.any(String) });
  const getUrl = await store.presignGet(REGION, key);
  const got = await fetch(getUrl);
  const bytes = Buffer.from(await got.arrayBuffer());
  expect({ status: got.status, size: bytes.length, sha: createHash('sha256').update(bytes).digest('hex') }).toEqual({
    status: 200,
    size: body.length,
    sha: createHash('sha256').update(body).digest('hex'),
  });
});

test('URLs are signed for the bucket region and expire', async () => {
  const url = new URL(await store.presignGet(REGION, 'any', 120));
  expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^spillway-test\/\d{8}\/eu-west-1\/s3\/aws4_request$/);
  expect(url.searchParams.get('X-Amz-Expires')).toBe('120');
  expect(url.pathname).toBe(`/${store.bucketFor(REGION)}/any`);
});

test('a tampered or unsigned URL is refused by the server', async () => {
  const ref = await store.put(REGION, taskObjectKey('task-tamper', 'payload'), '{"hello":"world"}', 'application/json');
  const url = new URL(await store.presignGet(REGION, ref.key));
  url.pathname = `/${store.bucketFor(REGION)}/${taskObjectKey('task-other', 'payload')}`;
  expect((await fetch(url)).status).toBe(403);
  expect((await fetch(`${server.endpoint}/${store.bucketFor(REGION)}/${ref.key}`)).status).toBe(403);
});

test('put and get through the client, with key, size and the recorded reference', async () => {
  const ref = await store.put(REGION, taskObjectKey('task/odd id', 'result', 2), '{"n":1}', 'application/json');
  expect(ref).toEqual({
    region: REGION,
    bucket: store.bucketFor(REGION),
    key: 'tasks/task_odd_id/result-2',
    sizeBytes: 7,
    contentType: 'application/json',
  });
  expect(Buffer.from(await store.get(REGION, ref.key)).toString('utf8')).toBe('{"n":1}');
  expect(recordedRef({ ...ref, getUrl: 'https://secret' })).toEqual(ref);
  await store.delete(REGION, ref.key);
  await expect(store.get(REGION, ref.key)).rejects.toThrow(ObjectNotFoundError);
  expect(await store.head(REGION, ref.key)).toBeUndefined();
});

test('wrong credentials are refused', async () => {
  const wrong = createObjectStore({ ...config, secretAccessKey: 'not-the-secret' });
  try {
    await expect(wrong.put(REGION, 'x', 'y')).rejects.toThrow(/signature/i);
  } finally {
    wrong.destroy();
  }
});

test('reading an object from another region costs its bytes at the inter-region price', () => {
  const gb = 1024 ** 3;
  const ref = { region: REGION, bucket: 'b', key: 'k', sizeBytes: gb };
  expect(objectTransferCost(DEFAULT_TRANSFER_PRICES, ref, 'us-east-1')).toBeCloseTo(0.02, 10);
  expect(objectTransferCost(DEFAULT_TRANSFER_PRICES, ref, REGION)).toBe(0);
});
