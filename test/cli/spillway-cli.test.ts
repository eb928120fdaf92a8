// The `spillway` command as a user runs it: `node dist/cli/main.js` as a real process, against a local Lambda service
// of this file's own (and, for `simulate`, the test stack's Temporal with tasks this file ran). What is checked is
// what a user sees: the progress and sizes on stderr, the result on stdout (text or --json), what the Lambda
// endpoint holds afterwards, and the exit code: 0, 1 with a clear message for a failure, 2 with the usage for a
// mistake in the command line.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  ListVersionsByFunctionCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { startLambdaService, type LambdaService } from '../../lambda/lambda-service';
import { newClient } from '../lambda/helpers';
import { eventually, readStack, startHarness, uniqueId, type TestHarness } from '../support/test-stack';

const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'spillway-cli-'));
let service: LambdaService;
let lambda: LambdaClient;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to its end; never throws, so a test can look at a failure's exit code and message. */
function spillway(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        env: {
          ...process.env,
          LAMBDA_ENDPOINT: service.url,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          ...env,
        },
        timeout: 120_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A function folder: a TypeScript handler and, when given, its spillway.json. */
function writeFunction(name: string, handlerBody: string, manifest?: Record<string, unknown>): string {
  const dir = path.join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'index.ts'), `export const handler = async (event: unknown) => ${handlerBody};\n`);
  if (manifest) writeFileSync(path.join(dir, 'spillway.json'), JSON.stringify(manifest));
  return dir;
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  service = await startLambdaService({ port: 0, dataDir: path.join(work, 'lambda-data'), log: () => undefined });
  lambda = newClient(service.url);
});

afterAll(async () => {
  await harness?.close();
  lambda?.destroy();
  await service?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('deploy', () => {
  const folder = () =>
    writeFunction('cli-greeter', `({ hello: (event as { name?: string }).name ?? 'world' })`, {
      taskTypes: ['cli-greeting'],
      payloadSchema: { type: 'object', properties: { name: { type: 'string' } } },
      lambda: { memoryMB: 256, timeoutSeconds: 7 },
    });

  test('creates the function, printing its progress and sizes, and answers the result', async () => {
    const run = await spillway(['deploy', folder()]);
    expect(run.code).toBe(0);
    // Progress goes to stderr: the bundle, the zip with both sizes, the endpoint and the create.
    expect(run.stderr).toMatch(/bundled index\.ts into index\.js \(\d+(\.\d+)? (B|KB)\)/);
    expect(run.stderr).toMatch(/zipped \d+ files: \d+(\.\d+)? (B|KB) → \d+(\.\d+)? (B|KB)/);
    expect(run.stderr).toContain(`deploying to ${service.url} (us-east-1)`);
    expect(run.stderr).toContain('creating cli-greeter (nodejs22.x, 256 MB, 7 s)');
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'cli-greeter' }));
    expect(config).toMatchObject({ State: 'Active', MemorySize: 256, Timeout: 7, Runtime: 'nodejs22.x' });
    expect(run.stdout).toBe(
      `created cli-greeter (version $LATEST) CodeSha256 ${config.CodeSha256 ?? ''}\n  task types: cli-greeting\n`,
    );
  });

  test('--dry-run packages only and says what it would deploy', async () => {
    const run = await spillway(['deploy', folder(), '--dry-run', '--json']);
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.stdout) as { name: string; zipBytes: number; codeSha256: string };
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'cli-greeter' }));
    expect(plan).toEqual({
      name: 'cli-greeter',
      runtime: 'nodejs22.x',
      handler: 'index.handler',
      codeSha256: config.CodeSha256,
      zipBytes: config.CodeSize,
    });
  });

  test('--publish publishes a version and --alias points an alias at it', async () => {
    // The same folder: nothing to upload, but a version is still published when asked.
    const published = await spillway(['deploy', folder(), '--publish', '--json']);
    expect(published.code).toBe(0);
    expect(JSON.parse(published.stdout)).toEqual(
      expect.objectContaining({ name: 'cli-greeter', action: 'unchanged', version: '1' }),
    );
    expect(published.stderr).toContain('published version 1');

    writeFunction('cli-greeter', `({ hello: 'v2' })`);
    const aliased = await spillway(['deploy', path.join(work, 'cli-greeter'), '--alias', 'prod', '--json']);
    expect(aliased.code).toBe(0);
    const result = JSON.parse(aliased.stdout) as { action: string; version: string; alias: string; codeSha256: string };
    expect(result).toEqual(expect.objectContaining({ action: 'updated', version: '2', alias: 'prod' }));
    expect(aliased.stderr).toContain('alias prod → version 2');
    const alias = await lambda.send(new GetAliasCommand({ FunctionName: 'cli-greeter', Name: 'prod' }));
    expect(alias.FunctionVersion).toBe('2');
    const versions = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: 'cli-greeter' }));
    expect(versions.Versions?.map((v) => [v.Version, v.CodeSha256 === result.codeSha256])).toEqual([
      ['$LATEST', true],
      ['1', false],
      ['2', true],
    ]);

    // A second deploy moves the alias to the new version.
    writeFunction('cli-greeter', `({ hello: 'v3' })`);
    const moved = await spillway(['deploy', path.join(work, 'cli-greeter'), '--alias', 'prod']);
    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain('updated cli-greeter (version 3, alias prod)');
    expect(
      (await lambda.send(new GetAliasCommand({ FunctionName: 'cli-greeter', Name: 'prod' }))).FunctionVersion,
    ).toBe('3');
  });

  test('a change of architecture alone is one update, and the next deploy uploads nothing', async () => {
    const dir = writeFunction('cli-arch', `({ arch: process.arch })`, { lambda: { architecture: 'x86_64' } });
    expect((await spillway(['deploy', dir])).code).toBe(0);
    writeFunction('cli-arch', `({ arch: process.arch })`, { lambda: { architecture: 'arm64' } });
    const changed = await spillway(['deploy', dir, '--json']);
    expect(changed.code).toBe(0);
    expect(JSON.parse(changed.stdout)).toEqual(expect.objectContaining({ action: 'updated' }));
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'cli-arch' }));
    expect(config.Architectures).toEqual(['arm64']);
    const again = await spillway(['deploy', dir, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual(expect.objectContaining({ action: 'unchanged' }));
    expect(again.stderr).not.toContain('updating the code');
  });
});

describe('functions list | show | rm', () => {
  test('list shows every function as a table, and as JSON with --json', async () => {
    const text = await spillway(['functions', 'list']);
    expect(text.code).toBe(0);
    const [header, ...rows] = text.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^NAME\s+VERSION\s+RUNTIME\s+TASK TYPES\s+EVENT\s+CODE\s+MODIFIED$/);
    expect(rows.find((r) => r.startsWith('cli-greeter '))).toMatch(
      /^cli-greeter\s+\$LATEST\s+nodejs22\.x\s+cli-greeting\s+payload\s+\S{12}… \d+(\.\d+)? (B|KB)\s+\S+$/,
    );
    const json = await spillway(['functions', 'list', '--json']);
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as Array<{ name: string; taskTypes: string[]; codeSha256: string }>;
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'cli-greeter' }));
    expect(listed.find((f) => f.name === 'cli-greeter')).toEqual(
      expect.objectContaining({
        version: '$LATEST',
        runtime: 'nodejs22.x',
        taskTypes: ['cli-greeting'],
        codeSha256: config.CodeSha256,
        memoryMB: 256,
      }),
    );
    expect(listed.map((f) => f.name)).toEqual(['cli-arch', 'cli-greeter']);
  });

  test('show gives one function with its versions, aliases and payload schema', async () => {
    const text = await spillway(['functions', 'show', 'cli-greeter']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('cli-greeter (arn:aws:lambda:us-east-1:000000000000:function:cli-greeter)');
    expect(text.stdout).toContain('  versions $LATEST, 1, 2, 3');
    expect(text.stdout).toContain('  aliases prod → 3');
    expect(text.stdout).toContain('  task types cli-greeting; event payload; facts from manifest');
    const json = await spillway(['functions', 'show', 'cli-greeter', '--json']);
    expect(json.code).toBe(0);
    const detail = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(detail).toEqual(
      expect.objectContaining({
        name: 'cli-greeter',
        aliases: [{ name: 'prod', functionVersion: '3', description: '' }],
        spillway: expect.objectContaining({
          taskTypes: ['cli-greeting'],
          payloadSchema: { type: 'object', properties: { name: { type: 'string' } } },
        }),
      }),
    );
    expect((detail.versions as Array<{ version: string }>).map((v) => v.version)).toEqual(['$LATEST', '1', '2', '3']);
  });

  test('show of a function that is not deployed fails with exit code 1 and says so', async () => {
    const run = await spillway(['functions', 'show', 'no-such-function']);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: 'spillway: no function named "no-such-function" is deployed\n',
    });
  });

  test('rm deletes a version with --qualifier, then the function', async () => {
    const version = await spillway(['functions', 'rm', 'cli-arch', '--qualifier', '1', '--json']);
    // cli-arch has no published version: Lambda's own not-found message comes through.
    expect(version.code).toBe(1);
    expect(version.stderr).toMatch(/^spillway: ResourceNotFoundException: Function not found: .*cli-arch:1\n$/);
    const rmVersion = await spillway(['functions', 'rm', 'cli-greeter', '--qualifier', '1', '--json']);
    expect(rmVersion.code).toBe(0);
    expect(JSON.parse(rmVersion.stdout)).toEqual({ deleted: 'cli-greeter', qualifier: '1' });
    const rm = await spillway(['functions', 'rm', 'cli-arch']);
    expect(rm).toEqual({ code: 0, stdout: 'deleted cli-arch\n', stderr: '' });
    const listed = JSON.parse((await spillway(['functions', 'list', '--json'])).stdout) as Array<{ name: string }>;
    expect(listed.map((f) => f.name)).toEqual(['cli-greeter']);
  });
});

describe('failures and usage mistakes', () => {
  test('a folder that does not exist is exit code 1 with a clear message', async () => {
    const missing = path.join(work, 'no-such-folder');
    const run = await spillway(['deploy', missing]);
    expect(run).toEqual({ code: 1, stdout: '', stderr: `spillway: PackagingError: ${missing} is not a folder\n` });
  });

  test('a folder with no handler to bundle is exit code 1 with a clear message', async () => {
    const empty = path.join(work, 'empty-folder');
    mkdirSync(empty, { recursive: true });
    writeFileSync(path.join(empty, 'README.md'), 'nothing to run here\n');
    const run = await spillway(['deploy', empty]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `spillway: PackagingError: no module for handler "index.handler" in ${empty}: looked for index.ts, ` +
        'index.mts, index.cts, index.js, index.mjs, index.cjs\n',
    );
  });

  test('a manifest that is not valid JSON is exit code 1 and names the file', async () => {
    const dir = writeFunction('broken-manifest', `1`);
    writeFileSync(path.join(dir, 'spillway.json'), '{ "taskTypes": [ ');
    const run = await spillway(['deploy', dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('spillway.json');
  });

  test.each([
    [['deploy'], 'spillway: deploy takes a function folder'],
    [['frobnicate'], 'spillway: unknown command "frobnicate"'],
    [['functions', 'frob'], 'spillway: unknown functions command "frob"'],
    [['functions', 'show'], 'spillway: functions show takes a function name'],
    [['deploy', '.', '--no-such-flag'], "spillway: Unknown option '--no-such-flag'"],
    [['tasks', 'redrive', 'task-1', '--mode', 'SIDEWAYS'], 'spillway: --mode must be LOCAL, LAMBDA or AUTO'],
    [['simulate', '--since', 'yesterday'], 'spillway: --since must look like 90m, 24h or 7d, got "yesterday"'],
  ])('%j is a usage error: exit code 2, the message and the usage', async (args, message) => {
    const run = await spillway(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.startsWith(message)).toBe(true);
    expect(run.stderr).toContain('usage: spillway <command> [options]');
  });

  test('no command at all prints the usage and exits 2; help exits 0', async () => {
    const none = await spillway([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('usage: spillway <command> [options]');
    const help = await spillway(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('  simulate                     replay recorded tasks through placement policies');
  });

  test('the API commands go through the typed client and report the API error as status, code and message', async () => {
    const app = await buildApiForErrors();
    try {
      const address = await app.listen({ port: 0, host: '127.0.0.1' });
      const missing = await spillway(['tasks', 'pause', 'task-does-not-exist', '--reason', 'look'], {
        SPILLWAY_API_URL: address,
      });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^spillway: 404 SPILLWAY_TASK_NOT_FOUND .*task-does-not-exist.*\n$/);
      const status = await spillway(['control', 'status'], { SPILLWAY_API_URL: address });
      expect(status.code).toBe(0);
      expect(JSON.parse(status.stdout)).toEqual(expect.objectContaining({ pauses: expect.any(Object) }));
    } finally {
      await app.close();
    }
  });
});

let harness: TestHarness | undefined;
async function buildApiForErrors(): Promise<FastifyInstance> {
  harness ??= await startHarness({ env: { LAMBDA_ENDPOINT: service.url }, workers: false });
  return buildApp({ config: harness.config, client: harness.client, redis: harness.redis });
}

describe('simulate', () => {
  let app: FastifyInstance;
  let worker: TestHarness;
  const fnName = `sim-${uniqueId('fn').slice(-8)}`;

  beforeAll(async () => {
    const dir = writeFunction(fnName, `({ done: true })`);
    expect((await spillway(['deploy', dir])).code).toBe(0);
    worker = await startHarness({ env: { LAMBDA_ENDPOINT: service.url, SPILLWAY_FUNCTIONS_REFRESH_MS: '500' } });
    app = await buildApp({ config: worker.config, client: worker.client, redis: worker.redis });
    // Four recorded tasks of the function's own type: three in the local pool, one on Lambda.
    const ids: string[] = [];
    for (const mode of ['LOCAL', 'LOCAL', 'LOCAL', 'LAMBDA']) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/tasks',
        payload: { name: uniqueId('sim'), type: fnName, executionMode: mode, payload: {} },
      });
      expect(res.statusCode).toBe(201);
      ids.push(res.json().id as string);
    }
    for (const id of ids) {
      await eventually(async () => {
        const task = (await app.inject({ method: 'GET', url: `/api/tasks/${id}` })).json();
        return task.status === 'COMPLETED' && task.temporalStatus === 'COMPLETED' ? task : undefined;
      }, 90_000);
    }
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await worker?.close();
  });

  const simulateEnv = () => ({ TEMPORAL_ADDRESS: readStack().temporalAddress });

  test('prints the per-policy table for the recorded tasks, beside what happened', async () => {
    // Visibility is eventually consistent: wait until it lists all four with their placement and duration.
    const run = await eventually(async () => {
      const r = await spillway(['simulate', '--since', '1h', '--type', fnName], simulateEnv());
      return r.code === 0 && r.stdout.startsWith('4 tasks since ') ? r : undefined;
    }, 60_000);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^4 tasks since \S+Z, pool \d+, Lambda init \d+ ms$/);
    expect(lines[1]).toMatch(/^policy\s+tasks\s+makespan\s+p50\s+p95\s+cost\s+LOCAL\s+LAMBDA\s+cold starts$/);
    const policies = lines.slice(2).map((l) => l.split(/\s{2,}/)[0]);
    expect(policies).toEqual([
      'what happened',
      'all LOCAL',
      'all LAMBDA',
      expect.stringMatching(/^threshold \d+$/),
      expect.stringMatching(/^predictive (balanced|latency|cost)$/),
    ]);
    // What happened: three LOCAL and one LAMBDA of four.
    expect(lines[2]).toMatch(/^what happened\s+4\s+.*\s75 %\s+25 %\s+\d+$/);
    expect(lines[3]).toMatch(/^all LOCAL\s+4\s+.*\s100 %\s+0 %\s+0$/);
  });

  test('--json gives the same comparison as data, and --policy picks the policies', async () => {
    const run = await spillway(
      ['simulate', '--since', '1h', '--type', fnName, '--policy', 'local', '--policy', 'lambda', '--json'],
      simulateEnv(),
    );
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as {
      actual: { tasks: number; placed: { LOCAL: number; LAMBDA: number } };
      results: Array<{ policy: string; tasks: number; placed: { LOCAL: number; LAMBDA: number } }>;
    };
    expect(out.actual).toEqual(expect.objectContaining({ tasks: 4, placed: { LOCAL: 3, LAMBDA: 1 } }));
    expect(out.results.map((r) => [r.policy, r.tasks, r.placed])).toEqual([
      ['all LOCAL', 4, { LOCAL: 4, LAMBDA: 0 }],
      ['all LAMBDA', 4, { LOCAL: 0, LAMBDA: 4 }],
    ]);
  });

  test('a period with no finished task of the type says there is nothing to replay', async () => {
    const run = await spillway(['simulate', '--since', '1h', '--type', `${fnName}-none`], simulateEnv());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^no finished task since \S+Z: nothing to replay\n$/);
  });
});
