// Starts the real servers the tests use, on ports and key prefixes that cannot collide with a running stack:
// a Temporal dev server on a free port (in memory), Redis (the machine's, or our own on a free port) and the
// local Lambda service. Test files read the addresses from the stack file this writes.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { deployFolders, exampleFolders } from '../../cli/deploy-folders';

/* eslint-disable @typescript-eslint/no-require-imports */
const { ensureTemporalCli } = require('../../scripts/lib/temporal-cli.js');
const { Stack } = require('../../scripts/lib/stack.js');
const { freePort, pingRedis } = require('../../scripts/lib/net.js');
/* eslint-enable @typescript-eslint/no-require-imports */

export const STACK_DIR = path.resolve(__dirname, '..', '..', '.test-stack');
/** One file per jest run, so two runs on one machine never read each other's servers. */
export const STACK_FILE_ENV = 'SPILLWAY_TEST_STACK_FILE';

export default async function globalSetup(): Promise<void> {
  // The servers started here inherit it (see quiet-env.ts).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  mkdirSync(STACK_DIR, { recursive: true });
  const stackFile = path.join(STACK_DIR, `stack-${process.pid}.json`);
  process.env[STACK_FILE_ENV] = stackFile;
  const stack = new Stack({
    logDir: path.join(STACK_DIR, 'logs'),
    log: (m: string) => console.log(`[test stack] ${m}`),
  });
  (globalThis as { __spillwayTestStack?: unknown }).__spillwayTestStack = stack;

  const temporalPort = await freePort();
  const cli = ensureTemporalCli((m: string) => console.log(m));
  await stack.startTemporal({ cli, port: temporalPort, headless: true });

  let redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (!(await pingRedis(redisUrl))) {
    redisUrl = `redis://127.0.0.1:${await freePort()}`;
    await stack.ensureRedis({ url: redisUrl, dataDir: path.join(STACK_DIR, 'redis') });
  }

  const callbackSecret = randomBytes(24).toString('hex');
  const apiPort = await freePort();
  let lambdaEndpoint: string | undefined;
  const lambdaServer = path.resolve(__dirname, '..', '..', 'dist', 'lambda', 'server.js');
  if (existsSync(lambdaServer)) {
    const lambdaPort = await freePort();
    const entry = stack.startNode('lambda', lambdaServer, {
      LAMBDA_PORT: String(lambdaPort),
      LAMBDA_DATA_DIR: path.join(STACK_DIR, `lambda-${process.pid}`),
      SPILLWAY_CALLBACK_SECRET: callbackSecret,
      LAMBDA_IDLE_RECLAIM_MS: '60000',
    });
    lambdaEndpoint = `http://127.0.0.1:${lambdaPort}`;
    await stack.waitForHealth(`${lambdaEndpoint}/_spillway/status`, entry);
    // The example functions are deployed as a user deploys them; the tests run them by their task types.
    const lambda = new LambdaClient({
      endpoint: lambdaEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      await deployFolders(lambda, exampleFolders());
    } finally {
      lambda.destroy();
    }
  }

  writeFileSync(
    stackFile,
    JSON.stringify(
      {
        temporalAddress: `127.0.0.1:${temporalPort}`,
        temporalCli: cli,
        redisUrl,
        redisPrefix: `spillway-test-${randomBytes(4).toString('hex')}:`,
        callbackSecret,
        apiPort,
        lambdaEndpoint,
        packageCacheDir: path.join(STACK_DIR, `packages-${process.pid}`),
      },
      null,
      2,
    ),
  );
}
