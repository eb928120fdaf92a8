// Debian's AWS CLI v2 (/usr/bin/aws, not the `aws` first on PATH) against the Step Functions endpoint: the cycle a
// user runs from the README. Skipped, with the reason printed, where the CLI is missing.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { eventually, uniqueId } from '../support/test-stack';
import { ROLE, startSfnStack, type SfnStack } from './sfn-api';

const AWS = '/usr/bin/aws';
const run = promisify(execFile);
const available = existsSync(AWS);
if (!available) console.log(`skipping the AWS CLI pipeline test: ${AWS} is missing (apt-get install -y awscli)`);
const maybe = available ? describe : describe.skip;
/** Debian's CLI (2.9) predates RedriveExecution (2023); its model gets the operation added, as `add-model` allows. */
const CLI_MODEL = '/usr/lib/python3/dist-packages/awscli/botocore/data/stepfunctions/2016-11-23/service-2.json';

type Model = {
  operations: Record<string, unknown>;
  shapes: Record<string, { members?: Record<string, unknown> } & Record<string, unknown>>;
};

/** The CLI's Step Functions model with RedriveExecution and DescribeExecution's redrive fields, as AWS has them. */
function withRedrive(model: Model): Model {
  if (model.operations.RedriveExecution) return model;
  model.operations.RedriveExecution = {
    name: 'RedriveExecution',
    http: { method: 'POST', requestUri: '/' },
    input: { shape: 'RedriveExecutionInput' },
    output: { shape: 'RedriveExecutionOutput' },
    errors: [{ shape: 'ExecutionDoesNotExist' }, { shape: 'InvalidArn' }, { shape: 'ValidationException' }],
    idempotent: true,
  };
  model.shapes.RedriveExecutionInput = {
    type: 'structure',
    required: ['executionArn'],
    members: { executionArn: { shape: 'Arn' }, clientToken: { shape: 'Arn', idempotencyToken: true } },
  };
  model.shapes.RedriveExecutionOutput = {
    type: 'structure',
    required: ['redriveDate'],
    members: { redriveDate: { shape: 'Timestamp' } },
  };
  model.shapes.RedriveCount = { type: 'integer', box: true };
  Object.assign(model.shapes.DescribeExecutionOutput!.members!, {
    redriveCount: { shape: 'RedriveCount' },
    redriveDate: { shape: 'Timestamp' },
    redriveStatus: { shape: 'Name' },
    redriveStatusReason: { shape: 'Name' },
  });
  return model;
}

maybe('aws stepfunctions (CLI v2) against the Step Functions endpoint', () => {
  let stack: SfnStack;
  let dir: string;

  const aws = async (...args: string[]): Promise<Record<string, unknown>> => {
    const { stdout } = await run(
      AWS,
      ['stepfunctions', ...args, '--endpoint-url', stack.endpoint, '--output', 'json'],
      {
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
      },
    );
    return stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {};
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'spillway-sfn-cli-'));
    stack = await startSfnStack();
    if (existsSync(CLI_MODEL)) {
      const patched = path.join(dir, 'stepfunctions.json');
      writeFileSync(patched, JSON.stringify(withRedrive(JSON.parse(readFileSync(CLI_MODEL, 'utf8')) as Model)));
      await run(
        AWS,
        ['configure', 'add-model', '--service-model', `file://${patched}`, '--service-name', 'stepfunctions'],
        {
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
        },
      );
    }
  });

  afterAll(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('create-state-machine, start-execution, describe-execution, get-execution-history, redrive-execution', async () => {
    // A Lambda invoke as the AWS documentation writes it, then a state that fails until the execution is redriven.
    const definition = {
      Comment: 'Invoke a function, then a step that fails on the first run',
      StartAt: 'Invoke',
      States: {
        Invoke: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'noop', 'Payload.$': '$' },
          ResultSelector: { 'ok.$': '$.Payload.ok', 'status.$': '$.StatusCode' },
          ResultPath: '$.invoke',
          Next: 'Fragile',
        },
        Fragile: {
          Type: 'Pass',
          Parameters: {
            'invoke.$': '$.invoke',
            'picked.$': 'States.ArrayGetItem(States.Array(1), States.MathAdd($$.Execution.RedriveCount, -1))',
          },
          End: true,
        },
      },
    };
    const file = path.join(dir, 'definition.json');
    writeFileSync(file, JSON.stringify(definition, null, 2));
    const name = uniqueId('cli').replace(/^test-/, '');
    const created = await aws(
      'create-state-machine',
      '--name',
      name,
      '--definition',
      `file://${file}`,
      '--role-arn',
      ROLE,
    );
    expect(created).toEqual({
      stateMachineArn: `arn:aws:states:us-east-1:123456789012:stateMachine:${name}`,
      creationDate: expect.any(String),
    });
    const started = await aws(
      'start-execution',
      '--state-machine-arn',
      String(created.stateMachineArn),
      '--name',
      'first',
      '--input',
      '{"region":"emea"}',
    );
    expect(started.executionArn).toBe(`arn:aws:states:us-east-1:123456789012:execution:${name}:first`);
    const arn = String(started.executionArn);
    const ended = (wanted: string) =>
      eventually(
        async () => {
          const d = await aws('describe-execution', '--execution-arn', arn);
          return d.status === wanted ? d : undefined;
        },
        60_000,
        500,
      );
    const failed = await ended('FAILED');
    expect(failed).toEqual(
      expect.objectContaining({
        status: 'FAILED',
        error: 'States.IntrinsicFailure',
        redriveStatus: 'REDRIVABLE',
        redriveCount: 0,
      }),
    );
    const history = await aws('get-execution-history', '--execution-arn', arn);
    const types = (history.events as Array<{ type: string }>).map((e) => e.type);
    expect(types).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'PassStateEntered',
      'ExecutionFailed',
    ]);
    const redriven = await aws('redrive-execution', '--execution-arn', arn);
    expect(redriven).toEqual({ redriveDate: expect.any(String) });
    const done = await ended('SUCCEEDED');
    expect(JSON.parse(String(done.output))).toEqual({ invoke: { ok: true, status: 200 }, picked: 1 });
    expect(done.redriveCount).toBe(1);
    const after = await aws('get-execution-history', '--execution-arn', arn, '--reverse-order', '--max-items', '1');
    expect((after.events as Array<{ type: string }>)[0]?.type).toBe('ExecutionSucceeded');
  });
});
