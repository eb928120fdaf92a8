// What the production-server tests share: is PostgreSQL there (else they skip, saying why), unique databases per
// file, the temporal CLI against a running server, and a clean teardown that drops what a file created.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { readStack } from '../support/test-stack';

/* eslint-disable @typescript-eslint/no-require-imports */
const serverLib = require('../../scripts/lib/temporal-server.js') as TemporalServerLib;
const { ensureTemporalCli } = require('../../scripts/lib/temporal-cli.js') as {
  ensureTemporalCli(log?: (m: string) => void): string;
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** The part of scripts/lib/temporal-server.js (typed there in JSDoc) that the tests use. */
export interface TemporalServerLib {
  TEMPORAL_SERVER_VERSION: string;
  CONFIG_DIR: string;
  ensureTemporalServer(options?: { log?: (m: string) => void }): {
    version: string;
    server: string;
    sqlTool: string;
    schemaDir: string;
  };
  setupSchema(options: { databases: Databases; log?: (m: string) => void }): Promise<Databases>;
  dropDatabases(options: { databases: Partial<Databases> }): Promise<void>;
  startTemporalServer(options: Record<string, unknown>): Promise<RunningServer>;
  postgresSettings(): { host: string; port: number; user: string };
}

export interface Databases {
  default: string;
  visibility: string;
}

export interface RunningServer {
  entry: { child: ChildProcess; exited: boolean };
  address: string;
  namespace: string;
  numHistoryShards: number;
  databases: Databases;
  dir: string;
  dynamicConfigFile: string;
  cliArgs: string[];
  version: string;
  stop(graceMs?: number): Promise<void>;
}

export { serverLib };

/** Whether PostgreSQL answers on its port, checked synchronously so a file can decide to skip while jest collects. */
export function postgresReachable(): { reachable: boolean; where: string } {
  const { host, port } = serverLib.postgresSettings();
  const probe =
    "const s=require('node:net').connect({host:process.argv[1],port:+process.argv[2]});" +
    's.setTimeout(2000,()=>process.exit(1));s.once("connect",()=>process.exit(0));s.once("error",()=>process.exit(1));';
  try {
    execFileSync(process.execPath, ['-e', probe, host, String(port)], { stdio: 'ignore', timeout: 5_000 });
    return { reachable: true, where: `${host}:${port}` };
  } catch {
    return { reachable: false, where: `${host}:${port}` };
  }
}

/** Database names no other test run can have. */
export function uniqueDatabases(label: string): Databases {
  const id = `spillway_test_${label}_${randomBytes(4).toString('hex')}`;
  return { default: `${id}_t`, visibility: `${id}_v` };
}

export function temporalCliPath(): string {
  return ensureTemporalCli(() => undefined);
}

/** Runs the temporal CLI against a running server; resolves stdout, rejects with its error output. */
export function cli(server: RunningServer, args: string[], cliArgs = server.cliArgs): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(temporalCliPath(), [...args, ...cliArgs], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`temporal ${args.join(' ')}: ${stderr || stdout || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Stops the server, then drops its databases; bounded retries because PostgreSQL may still hold its sessions. */
export async function stopAndDrop(server: RunningServer | undefined, databases: Databases): Promise<void> {
  await server?.stop(10_000);
  let lastError: unknown;
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      await serverLib.dropDatabases({ databases });
      return;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  throw lastError;
}

/** The reason printed when a file skips. */
export function skipReason(where: string): string {
  return `skipped: PostgreSQL is not reachable at ${where} (set PGHOST/PGPORT/PGUSER to one), so Temporal's production server cannot start`;
}

/** Deletes the keys a file's processes wrote under their own prefix in the test stack's Redis. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(readStack().redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  try {
    await redis.connect();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
