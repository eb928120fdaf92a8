// A test API with the Step Functions endpoint listening on a free port, and an @aws-sdk/client-sfn client for it.
import { SFNClient } from '@aws-sdk/client-sfn';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { startHarness, type TestHarness } from '../support/test-stack';

export interface SfnStack {
  harness: TestHarness;
  app: FastifyInstance;
  endpoint: string;
  sfn: SFNClient;
  close(): Promise<void>;
}

export const ROLE = 'arn:aws:iam::123456789012:role/pipelines';

/**
 * `port`: where the API listens; the stack's own API port (readStack().apiPort) when LAMBDA tasks must reach it with
 * their callbacks, or the functions its sample images. A free port otherwise.
 */
export async function startSfnStack(env: Record<string, string> = {}, port = 0): Promise<SfnStack> {
  const harness = await startHarness({ env });
  const app = await buildApp({
    config: harness.config,
    client: harness.client,
    redis: harness.redis,
    sfn: { region: 'us-east-1', account: '123456789012', remotePollMs: 200 },
  });
  await app.listen({ host: '127.0.0.1', port });
  const address = app.server.address();
  const endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
  const sfn = new SFNClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    disableHostPrefix: true,
    maxAttempts: 1,
  });
  return {
    harness,
    app,
    endpoint,
    sfn,
    async close() {
      sfn.destroy();
      await app.close();
      await harness.close();
    },
  };
}

export interface RemoteSfnStack extends SfnStack {
  /** An API whose remote Step Functions (SFN_ENDPOINT) is the stack's own endpoint, which speaks the same protocol. */
  remoteApp: FastifyInstance;
}

/** A stack plus a second API that follows executions on the first; the worker polls with `accessKeyId` as its key. */
export async function startRemoteSfnStack(accessKeyId: string): Promise<RemoteSfnStack> {
  const stack = await startSfnStack({ AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: accessKeyId });
  const remoteApp = await buildApp({
    config: stack.harness.config,
    client: stack.harness.client,
    sfn: {
      region: 'us-east-1',
      account: '123456789012',
      remotePollMs: 200,
      remote: { endpoint: stack.endpoint, region: 'us-east-1', accessKeyId, secretAccessKey: accessKeyId },
    },
  });
  return {
    ...stack,
    remoteApp,
    async close() {
      await remoteApp.close();
      await stack.close();
    },
  };
}
