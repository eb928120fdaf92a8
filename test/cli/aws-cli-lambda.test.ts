// Debian's AWS CLI v2 (/usr/bin/aws) against the local Lambda service: the deploy-and-invoke cycle a user runs, for
// a Node function, a custom runtime (provided.al2023, a sh bootstrap with curl) and a Python function. The `aws`
// first on PATH may be an old v1 shim, so the test always calls /usr/bin/aws. Skipped without it, except on CI.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { LambdaService } from '../../lambda/lambda-service';
import { startLambdaService } from '../../lambda/lambda-service';
import { zipEntries } from '../../lambda/zip-package';

const AWS = '/usr/bin/aws';
const run = promisify(execFile);
const available = existsSync(AWS);
// On CI the CLI is part of the machine (.ci/run installs it): a missing one fails the file instead of hiding it.
const required = Boolean(process.env.CI);
if (!available && !required) console.log(`skipping the AWS CLI test: ${AWS} is missing (apt-get install -y awscli)`);
const maybe = available || required ? describe : describe.skip;

maybe('aws lambda (CLI v2) against the local service', () => {
  let service: LambdaService;
  let dir: string;

  const aws = async (...args: string[]): Promise<string> => {
    const { stdout } = await run(AWS, ['lambda', ...args, '--endpoint-url', service.url, '--output', 'json'], {
      cwd: dir,
      timeout: 120_000,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: dir,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_REGION: 'us-east-1',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_PAGER: '',
        AWS_CONFIG_FILE: path.join(dir, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials'),
      },
    });
    return stdout;
  };

  const pkg = (marker: string) =>
    zipEntries([{ name: 'index.js', data: `exports.handler = async (event) => ({ marker: '${marker}', event });` }]);

  beforeAll(async () => {
    if (!available) throw new Error(`${AWS} is missing and CI is set: install it (apt-get install -y awscli)`);
    dir = mkdtempSync(path.join(tmpdir(), 'spillway-aws-cli-'));
    // The CLI signs with the keys above; the service checks them, as it would with LAMBDA_ACCESS_KEYS set.
    service = await startLambdaService({
      port: 0,
      dataDir: path.join(dir, 'data'),
      accessKeys: [{ accessKeyId: 'test', secretAccessKey: 'test' }],
      log: () => undefined,
    });
  });

  afterAll(async () => {
    await service?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('create-function, wait, invoke, update-function-code, publish-version, create-alias, invoke by alias, delete', async () => {
    writeFileSync(path.join(dir, 'function.zip'), await pkg('one'));
    const created = JSON.parse(
      await aws(
        'create-function',
        '--function-name',
        'cli-fn',
        '--runtime',
        'nodejs22.x',
        '--handler',
        'index.handler',
        '--zip-file',
        'fileb://function.zip',
        '--role',
        'arn:aws:iam::000000000000:role/lambda-role',
      ),
    ) as { FunctionName: string; State: string };
    expect(created).toMatchObject({ FunctionName: 'cli-fn', State: 'Pending' });
    await aws('wait', 'function-active-v2', '--function-name', 'cli-fn');

    const invoked = JSON.parse(
      await aws(
        'invoke',
        '--function-name',
        'cli-fn',
        '--cli-binary-format',
        'raw-in-base64-out',
        '--payload',
        '{"hello":"cli"}',
        '--log-type',
        'Tail',
        'out.json',
      ),
    ) as { StatusCode: number; ExecutedVersion: string; LogResult: string };
    expect(invoked).toMatchObject({ StatusCode: 200, ExecutedVersion: '$LATEST' });
    expect(Buffer.from(invoked.LogResult, 'base64').toString()).toContain('REPORT RequestId');
    expect(JSON.parse(readFileSync(path.join(dir, 'out.json'), 'utf8'))).toEqual({
      marker: 'one',
      event: { hello: 'cli' },
    });

    writeFileSync(path.join(dir, 'function.zip'), await pkg('two'));
    const updated = JSON.parse(
      await aws('update-function-code', '--function-name', 'cli-fn', '--zip-file', 'fileb://function.zip'),
    ) as { LastUpdateStatus: string };
    expect(updated.LastUpdateStatus).toBe('InProgress');
    await aws('wait', 'function-updated-v2', '--function-name', 'cli-fn');

    const version = JSON.parse(await aws('publish-version', '--function-name', 'cli-fn')) as { Version: string };
    expect(version.Version).toBe('1');
    const alias = JSON.parse(
      await aws('create-alias', '--function-name', 'cli-fn', '--name', 'prod', '--function-version', '1'),
    ) as { AliasArn: string };
    expect(alias.AliasArn).toBe('arn:aws:lambda:us-east-1:000000000000:function:cli-fn:prod');

    const viaAlias = JSON.parse(
      await aws(
        'invoke',
        '--function-name',
        'cli-fn',
        '--qualifier',
        'prod',
        '--cli-binary-format',
        'raw-in-base64-out',
        '--payload',
        '{}',
        'alias-out.json',
      ),
    ) as { ExecutedVersion: string };
    expect(viaAlias.ExecutedVersion).toBe('1');
    expect(JSON.parse(readFileSync(path.join(dir, 'alias-out.json'), 'utf8'))).toEqual({ marker: 'two', event: {} });

    await aws('delete-function', '--function-name', 'cli-fn');
    const gone = await aws('get-function', '--function-name', 'cli-fn').then(
      () => 'found',
      (err: { stderr?: string }) => err.stderr ?? '',
    );
    expect(gone).toContain('ResourceNotFoundException');
  });

  /** Files the functions wrote, one per invocation, named by request id: the side effect of an Event invoke. */
  const written = (out: string) =>
    readdirSync(out).map((f) => JSON.parse(readFileSync(path.join(out, f), 'utf8')) as Record<string, unknown>);

  async function waitForFile(out: string, marker: string): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const found = written(out).find((e) => e.marker === marker);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no invocation wrote ${marker} to ${out} within 60 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** create-function, wait until Active, invoke it synchronously and with --invocation-type Event, delete it. */
  async function deployInvokeDelete(options: {
    name: string;
    runtime: string;
    handler: string;
    zip: Buffer;
    expectSync: (answer: Record<string, unknown>, out: string) => void;
  }) {
    const { name } = options;
    const out = mkdtempSync(path.join(dir, `${name}-out-`));
    writeFileSync(path.join(dir, `${name}.zip`), options.zip);
    const created = JSON.parse(
      await aws(
        'create-function',
        '--function-name',
        name,
        '--runtime',
        options.runtime,
        '--handler',
        options.handler,
        '--zip-file',
        `fileb://${name}.zip`,
        '--role',
        'arn:aws:iam::000000000000:role/lambda-role',
        '--environment',
        `Variables={OUT_DIR=${out}}`,
      ),
    ) as { FunctionName: string; Runtime: string; State: string };
    expect(created).toMatchObject({ FunctionName: name, Runtime: options.runtime, State: 'Pending' });
    await aws('wait', 'function-active-v2', '--function-name', name);

    const sync = JSON.parse(
      await aws(
        'invoke',
        '--function-name',
        name,
        '--cli-binary-format',
        'raw-in-base64-out',
        '--payload',
        '{"marker":"sync"}',
        `${name}-sync.json`,
      ),
    ) as { StatusCode: number; ExecutedVersion: string; FunctionError?: string };
    expect(sync).toEqual({ StatusCode: 200, ExecutedVersion: '$LATEST' });
    const answer = JSON.parse(readFileSync(path.join(dir, `${name}-sync.json`), 'utf8')) as Record<string, unknown>;
    options.expectSync(answer, out);

    const queued = JSON.parse(
      await aws(
        'invoke',
        '--function-name',
        name,
        '--invocation-type',
        'Event',
        '--cli-binary-format',
        'raw-in-base64-out',
        '--payload',
        '{"marker":"async"}',
        `${name}-async.json`,
      ),
    ) as { StatusCode: number };
    expect(queued.StatusCode).toBe(202);
    // Nothing comes back from an Event invoke: the function's own side effect shows it ran, with its event.
    expect(await waitForFile(out, 'async')).toEqual({ marker: 'async' });

    await aws('delete-function', '--function-name', name);
    const gone = await aws('get-function', '--function-name', name).then(
      () => 'found',
      (err: { stderr?: string }) => err.stderr ?? '',
    );
    expect(gone).toContain('ResourceNotFoundException');
  }

  test('a provided.al2023 function (a sh bootstrap with curl): create, invoke, invoke --invocation-type Event, delete', async () => {
    // A custom runtime in POSIX sh: it loops on the Runtime API, writes each event to OUT_DIR/<request id>.json
    // and answers with the event and the request id it was given.
    const bootstrap = [
      '#!/bin/sh',
      'set -eu',
      'API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"',
      'HEADERS=$(mktemp)',
      'while true; do',
      '  EVENT=$(curl -sS -D "$HEADERS" "$API/invocation/next")',
      "  ID=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' \"$HEADERS\" | cut -d' ' -f2 | tr -d '\\r')",
      '  printf \'%s\' "$EVENT" > "$OUT_DIR/$ID.json"',
      '  curl -sS -o /dev/null -X POST -d "{\\"event\\":$EVENT,\\"requestId\\":\\"$ID\\",\\"handler\\":\\"$_HANDLER\\"}" "$API/invocation/$ID/response"',
      'done',
      '',
    ].join('\n');
    await deployInvokeDelete({
      name: 'cli-shell',
      runtime: 'provided.al2023',
      handler: 'function.handler',
      zip: await zipEntries([{ name: 'bootstrap', data: bootstrap, mode: 0o755 }]),
      expectSync: (answer, out) => {
        expect(answer).toEqual({
          event: { marker: 'sync' },
          requestId: expect.any(String),
          handler: 'function.handler',
        });
        expect(readdirSync(out)).toContain(`${String(answer.requestId)}.json`);
      },
    });
  });

  test('a python3.12 function: create, invoke, invoke --invocation-type Event, delete', async () => {
    const handler = [
      'import json, os, sys',
      '',
      'def handler(event, context):',
      "    with open(os.path.join(os.environ['OUT_DIR'], context.aws_request_id + '.json'), 'w') as f:",
      '        json.dump(event, f)',
      "    return {'event': event, 'requestId': context.aws_request_id, 'python': sys.version_info[0]}",
      '',
    ].join('\n');
    await deployInvokeDelete({
      name: 'cli-python',
      runtime: 'python3.12',
      handler: 'app.handler',
      zip: await zipEntries([{ name: 'app.py', data: handler }]),
      expectSync: (answer, out) => {
        expect(answer).toEqual({ event: { marker: 'sync' }, requestId: expect.any(String), python: 3 });
        expect(readdirSync(out)).toContain(`${String(answer.requestId)}.json`);
      },
    });
  });
});
