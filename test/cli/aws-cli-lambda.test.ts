// Debian's AWS CLI v2 (/usr/bin/aws) against the local Lambda service: the deploy-and-invoke cycle a user runs.
// The `aws` first on PATH may be an old v1 shim, so the test always calls /usr/bin/aws.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { LambdaService } from '../../lambda/lambda-service';
import { startLambdaService } from '../../lambda/lambda-service';
import { zipEntries } from '../../lambda/zip-package';

const AWS = '/usr/bin/aws';
const run = promisify(execFile);
const available = existsSync(AWS);
if (!available) console.log(`skipping the AWS CLI test: ${AWS} is missing (apt-get install -y awscli)`);
const maybe = available ? describe : describe.skip;

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
    rmSync(dir, { recursive: true, force: true });
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
});
