// The control plane through @aws-sdk/client-lambda: create, read, update, publish, alias, tag and delete, with
// AWS's status codes and error types for bad input.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  GetAccountSettingsCommand,
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvalidParameterValueException,
  InvokeCommand,
  ListAliasesCommand,
  ListFunctionsCommand,
  ListTagsCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  ResourceConflictException,
  ResourceNotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { createHash } from 'node:crypto';
import type { Harness } from './helpers';
import { decodePayload, deploy, ROLE, startHarness, waitActive, waitUpdated, zipOf, zipWithRawName } from './helpers';

let h: Harness;

const ARN = (name: string, q?: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}${q ? `:${q}` : ''}`;

/** A package whose handler answers with a marker, so a test can tell which code ran. */
function markerPackage(marker: string): Promise<Buffer> {
  return zipOf([
    {
      name: 'index.js',
      data: `exports.handler = async (event) => ({ marker: ${JSON.stringify(marker)}, version: process.env.AWS_LAMBDA_FUNCTION_VERSION, setting: process.env.SETTING ?? null, event });`,
    },
  ]);
}

async function create(
  name: string,
  marker: string,
  extra: Partial<ConstructorParameters<typeof CreateFunctionCommand>[0]> = {},
) {
  return h.client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs22.x',
      Role: ROLE,
      Handler: 'index.handler',
      Code: { ZipFile: await markerPackage(marker) },
      ...extra,
    }),
  );
}

async function invoke(name: string, qualifier?: string) {
  const out = await h.client.send(new InvokeCommand({ FunctionName: name, Qualifier: qualifier, Payload: '{}' }));
  return { out, body: decodePayload(out.Payload) as { marker: string; version: string; setting: string | null } };
}

function rejection(promise: Promise<unknown>): Promise<Error & { $metadata: { httpStatusCode?: number } }> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err as Error & { $metadata: { httpStatusCode?: number } },
  );
}

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.stop();
});

describe('CreateFunction', () => {
  test('creates a function that becomes Active and reports the real CodeSha256 and CodeSize', async () => {
    const zip = await markerPackage('v1');
    const created = await h.client.send(
      new CreateFunctionCommand({
        FunctionName: 'created',
        Runtime: 'nodejs22.x',
        Role: ROLE,
        Handler: 'index.handler',
        Code: { ZipFile: zip },
        MemorySize: 256,
        Timeout: 30,
        Description: 'made by a test',
        Environment: { Variables: { SETTING: 'one' } },
        Architectures: ['arm64'],
        Tags: { team: 'spillway' },
      }),
    );
    expect(created.$metadata.httpStatusCode).toBe(201);
    expect(created).toMatchObject({
      FunctionName: 'created',
      FunctionArn: ARN('created'),
      Runtime: 'nodejs22.x',
      Role: ROLE,
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 30,
      Description: 'made by a test',
      Version: '$LATEST',
      Environment: { Variables: { SETTING: 'one' } },
      Architectures: ['arm64'],
      PackageType: 'Zip',
      CodeSize: zip.length,
      CodeSha256: createHash('sha256').update(zip).digest('base64'),
      State: 'Pending',
      StateReason: 'The function is being created.',
      StateReasonCode: 'Creating',
    });
    await waitActive(h.client, 'created');
    const config = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'created' }));
    expect(config).toMatchObject({ State: 'Active', LastUpdateStatus: 'Successful' });
    expect(config.StateReason).toBeUndefined();
    const { out, body } = await invoke('created');
    expect(out.ExecutedVersion).toBe('$LATEST');
    expect(body).toEqual({ marker: 'v1', version: '$LATEST', setting: 'one', event: {} });
  });

  test('GetFunction hands out a pre-signed URL from which the exact zip downloads', async () => {
    const fn = await h.client.send(new GetFunctionCommand({ FunctionName: 'created' }));
    expect(fn.Code?.RepositoryType).toBe('S3');
    expect(fn.Tags).toEqual({ team: 'spillway' });
    const location = fn.Code?.Location ?? '';
    expect(location).toMatch(
      /\/_spillway\/code\/created\/%24LATEST\/[0-9a-f]{64}\.zip\?X-Spillway-Expires=\d+&X-Spillway-Signature=[0-9a-f]{64}$/,
    );
    const download = await fetch(location);
    expect(download.status).toBe(200);
    const zip = Buffer.from(await download.arrayBuffer());
    expect(createHash('sha256').update(zip).digest('base64')).toBe(fn.Configuration?.CodeSha256);

    // One hex digit of the signature changed (to a different one: a fixed replacement matched 1 run in 16).
    const tampered = await fetch(
      location.replace(/Signature=(.)/, (_m, c: string) => `Signature=${c === '0' ? '1' : '0'}`),
    );
    expect(tampered.status).toBe(403);
    expect(tampered.headers.get('x-amzn-errortype')).toBe('AccessDenied');
  });

  test('an existing name is ResourceConflictException 409', async () => {
    const err = await rejection(create('created', 'again'));
    expect(err).toBeInstanceOf(ResourceConflictException);
    expect(err.$metadata.httpStatusCode).toBe(409);
    expect(err.message).toBe('Function already exist: created');
  });

  test.each([
    ['no role', { Role: undefined }, "Value null at 'role' failed to satisfy constraint: Member must not be null"],
    [
      'a role that is not an ARN',
      { Role: 'lambda-role' },
      "Value 'lambda-role' at 'role' failed to satisfy constraint",
    ],
    [
      'an unsupported runtime',
      { Runtime: 'java21' },
      "Value 'java21' at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [nodejs20.x, nodejs22.x, nodejs24.x, python3.11, python3.12, python3.13, python3.14, provided.al2023, provided.al2]",
    ],
    ['a retired runtime', { Runtime: 'nodejs16.x' }, 'The runtime parameter of nodejs16.x is no longer supported'],
    ['memory under 128 MB', { MemorySize: 64 }, 'Member must have value greater than or equal to 128'],
    ['memory over 10240 MB', { MemorySize: 10241 }, 'Member must have value less than or equal to 10240'],
    ['a timeout over 900 s', { Timeout: 901 }, 'Member must have value less than or equal to 900'],
    [
      'a reserved variable',
      { Environment: { Variables: { AWS_REGION: 'x' } } },
      'Reserved keys used in this request: AWS_REGION',
    ],
    ['no handler', { Handler: undefined }, 'Runtime and Handler are mandatory parameters'],
  ])('%s is InvalidParameterValueException', async (_label, override, message) => {
    const err = await rejection(create('invalid-settings', 'x', override as never));
    expect(err).toBeInstanceOf(InvalidParameterValueException);
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.message).toContain(message);
  });

  test('a body that is not a zip is InvalidParameterValueException with AWS message', async () => {
    const err = await rejection(
      h.client.send(
        new CreateFunctionCommand({
          FunctionName: 'not-a-zip',
          Runtime: 'nodejs20.x',
          Role: ROLE,
          Handler: 'index.handler',
          Code: { ZipFile: Buffer.from('definitely not a zip archive') },
        }),
      ),
    );
    expect(err).toBeInstanceOf(InvalidParameterValueException);
    expect(err.message).toBe('Could not unzip uploaded file. Please check your file, then try to upload again.');
  });
});

describe('packages AWS would refuse', () => {
  const packageFiles = () =>
    ['code', 'task-roots'].flatMap((d) =>
      existsSync(path.join(h.dataDir, d)) ? readdirSync(path.join(h.dataDir, d)) : [],
    );

  test('a request over 50 MB zipped is RequestEntityTooLargeException 413', async () => {
    const err = await rejection(
      h.client.send(
        new CreateFunctionCommand({
          FunctionName: 'too-big',
          Runtime: 'nodejs20.x',
          Role: ROLE,
          Handler: 'index.handler',
          Code: { ZipFile: Buffer.alloc(53 * 1024 * 1024, 7) },
        }),
      ),
    );
    expect(err.name).toBe('RequestEntityTooLargeException');
    expect(err.$metadata.httpStatusCode).toBe(413);
    expect(err.message).toBe('Request must be smaller than 69905067 bytes for the CreateFunction operation');
  });

  test('a package over 250 MB unzipped is InvalidParameterValueException, and nothing is kept', async () => {
    const before = packageFiles();
    // Zeros deflate a thousandfold: a small upload that unpacks past the limit.
    const zip = await zipOf([
      { name: 'index.js', data: 'exports.handler = async () => 1;' },
      { name: 'big.bin', data: Buffer.alloc(262_144_001) },
    ]);
    expect(zip.length).toBeLessThan(2 * 1024 * 1024);
    const err = await rejection(
      h.client.send(
        new CreateFunctionCommand({
          FunctionName: 'too-big-unzipped',
          Runtime: 'nodejs20.x',
          Role: ROLE,
          Handler: 'index.handler',
          Code: { ZipFile: zip },
        }),
      ),
    );
    expect(err).toBeInstanceOf(InvalidParameterValueException);
    expect(err.message).toBe('Unzipped size must be smaller than 262144000 bytes');
    expect(packageFiles()).toEqual(before);
  });

  test.each([
    ['a ../ entry', 'ZZ/zip-slip-parent.js', '../zip-slip-parent.js', 'escapes the task root with ..'],
    ['an absolute entry', 'Xtmp/zip-slip-absolute.js', '/tmp/zip-slip-absolute.js', 'has an absolute path'],
  ])('%s is refused and nothing of the package is written', async (_label, placeholder, actual, reason) => {
    const before = packageFiles();
    const zip = await zipWithRawName(placeholder, actual, 'pwned');
    const err = await rejection(
      h.client.send(
        new CreateFunctionCommand({
          FunctionName: 'zip-slip',
          Runtime: 'nodejs20.x',
          Role: ROLE,
          Handler: 'index.handler',
          Code: { ZipFile: zip },
        }),
      ),
    );
    expect(err).toBeInstanceOf(InvalidParameterValueException);
    expect(err.message).toBe(
      `Could not unzip uploaded file: the entry '${actual}' ${reason}; nothing of the package was written.`,
    );
    expect(packageFiles()).toEqual(before);
    expect(existsSync('/tmp/zip-slip-absolute.js')).toBe(false);
    expect(existsSync(path.join(h.dataDir, '..', 'zip-slip-parent.js'))).toBe(false);
    const missing = await rejection(h.client.send(new GetFunctionCommand({ FunctionName: 'zip-slip' })));
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
  });

  test('a symlink pointing outside the package is refused; one inside it is kept', async () => {
    const outside = await zipOf([
      { name: 'index.js', data: 'exports.handler = async () => 1;' },
      { name: 'escape', data: '../../../../etc', symlink: true },
    ]);
    const err = await rejection(
      h.client.send(
        new CreateFunctionCommand({
          FunctionName: 'symlink-out',
          Runtime: 'nodejs20.x',
          Role: ROLE,
          Handler: 'index.handler',
          Code: { ZipFile: outside },
        }),
      ),
    );
    expect(err).toBeInstanceOf(InvalidParameterValueException);
    expect(err.message).toContain("the entry 'escape' is a symlink to '../../../../etc', outside the task root");

    const inside = await zipOf([
      { name: 'lib/real.js', data: 'exports.handler = async () => "through a link";' },
      { name: 'index.js', data: 'lib/real.js', symlink: true },
    ]);
    await deploy(h.client, { name: 'symlink-in', handler: 'index.handler', zip: inside });
    expect((await invoke('symlink-in')).body).toBe('through a link');
  });
});

describe('updates', () => {
  beforeAll(async () => {
    await create('updated', 'v1', { Environment: { Variables: { SETTING: 'first' } } });
    await waitActive(h.client, 'updated');
  });

  test('UpdateFunctionCode moves LastUpdateStatus InProgress → Successful and the new code runs', async () => {
    const zip = await markerPackage('v2');
    const out = await h.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'updated', ZipFile: zip }));
    expect(out).toMatchObject({
      CodeSha256: createHash('sha256').update(zip).digest('base64'),
      CodeSize: zip.length,
      LastUpdateStatus: 'InProgress',
      LastUpdateStatusReason: 'The function is being created.',
      LastUpdateStatusReasonCode: 'Creating',
      State: 'Active',
    });
    await waitUpdated(h.client, 'updated');
    expect((await invoke('updated')).body.marker).toBe('v2');
  });

  test('UpdateFunctionConfiguration changes the settings the next invocation sees', async () => {
    const out = await h.client.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'updated',
        MemorySize: 512,
        Environment: { Variables: { SETTING: 'second' } },
        Description: 'second settings',
      }),
    );
    expect(out).toMatchObject({ MemorySize: 512, Description: 'second settings', LastUpdateStatus: 'InProgress' });
    await waitUpdated(h.client, 'updated');
    expect((await invoke('updated')).body.setting).toBe('second');
    const config = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'updated' }));
    expect(config).toMatchObject({ MemorySize: 512, Handler: 'index.handler', Runtime: 'nodejs22.x' });
  });

  test('a stale RevisionId is PreconditionFailedException', async () => {
    const err = await rejection(
      h.client.send(
        new UpdateFunctionConfigurationCommand({ FunctionName: 'updated', Timeout: 5, RevisionId: 'stale' }),
      ),
    );
    expect(err.name).toBe('PreconditionFailedException');
    expect(err.$metadata.httpStatusCode).toBe(412);
  });

  test('UpdateFunctionConfiguration of Handler, Runtime, Timeout and Architectures is what the next invocation runs', async () => {
    // A second handler in a package of the same code: the Handler change is visible in what the function answers.
    const zip = await zipOf([
      {
        name: 'index.js',
        data:
          'exports.handler = async () => ({ marker: "first handler" });\n' +
          'exports.other = async (event, context) => ({ marker: "other handler", remainingMs: context.getRemainingTimeInMillis(), runtime: process.env.AWS_EXECUTION_ENV });',
      },
    ]);
    await create('reconfigured', 'unused', { Code: { ZipFile: zip } });
    await waitActive(h.client, 'reconfigured');
    expect((await invoke('reconfigured')).body).toEqual({ marker: 'first handler' });
    const out = await h.client.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'reconfigured',
        Handler: 'index.other',
        Runtime: 'nodejs24.x',
        Timeout: 42,
      }),
    );
    expect(out).toMatchObject({
      Handler: 'index.other',
      Runtime: 'nodejs24.x',
      Timeout: 42,
      LastUpdateStatus: 'InProgress',
    });
    await waitUpdated(h.client, 'reconfigured');
    // The SDK's UpdateFunctionConfiguration has no Architectures (AWS changes it with the code); the service takes
    // it in the body too, for the issue's list of settings, and answers like the rest.
    const raw = await fetch(`${h.service.url}/2015-03-31/functions/reconfigured/configuration`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Architectures: ['arm64'] }),
    });
    expect(raw.status).toBe(200);
    expect(((await raw.json()) as { Architectures: string[] }).Architectures).toEqual(['arm64']);
    await waitUpdated(h.client, 'reconfigured');
    const config = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'reconfigured' }));
    expect(config).toMatchObject({
      Handler: 'index.other',
      Runtime: 'nodejs24.x',
      Timeout: 42,
      Architectures: ['arm64'],
      LastUpdateStatus: 'Successful',
    });
    const ran = (await invoke('reconfigured')).body as unknown as {
      marker: string;
      remainingMs: number;
      runtime: string;
    };
    expect(ran.marker).toBe('other handler');
    expect(ran.runtime).toBe('AWS_Lambda_nodejs24.x');
    // The new timeout is the budget the handler sees (it can only have used a part of it).
    expect(ran.remainingMs).toBeGreaterThan(3_000);
    expect(ran.remainingMs).toBeLessThanOrEqual(42_000);
  });

  test('UpdateFunctionCode takes Architectures with the package, as AWS does', async () => {
    await h.client.send(
      new UpdateFunctionCodeCommand({
        FunctionName: 'reconfigured',
        ZipFile: await markerPackage('x86 again'),
        Architectures: ['x86_64'],
      }),
    );
    await waitUpdated(h.client, 'reconfigured');
    const config = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'reconfigured' }));
    expect(config.Architectures).toEqual(['x86_64']);
    // Without Architectures the function keeps the one it has.
    await h.client.send(
      new UpdateFunctionCodeCommand({ FunctionName: 'reconfigured', ZipFile: await markerPackage('same arch') }),
    );
    await waitUpdated(h.client, 'reconfigured');
    const kept = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'reconfigured' }));
    expect(kept.Architectures).toEqual(['x86_64']);
    const bad = await rejection(
      h.client.send(
        new UpdateFunctionCodeCommand({
          FunctionName: 'reconfigured',
          ZipFile: await markerPackage('bad arch'),
          Architectures: ['sparc' as 'arm64'],
        }),
      ),
    );
    expect(bad).toBeInstanceOf(InvalidParameterValueException);
    expect(bad.message).toContain('Member must satisfy enum value set: [x86_64, arm64]');
  });

  describe('UpdateFunctionCode refuses what CreateFunction refuses, and changes nothing', () => {
    const unchanged = async () => {
      const config = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'updated' }));
      return { CodeSha256: config.CodeSha256, LastUpdateStatus: config.LastUpdateStatus };
    };

    test('a body that is not a zip is InvalidParameterValueException', async () => {
      const before = await unchanged();
      const err = await rejection(
        h.client.send(
          new UpdateFunctionCodeCommand({ FunctionName: 'updated', ZipFile: Buffer.from('not a zip at all') }),
        ),
      );
      expect(err).toBeInstanceOf(InvalidParameterValueException);
      expect(err.$metadata.httpStatusCode).toBe(400);
      expect(err.message).toBe('Could not unzip uploaded file. Please check your file, then try to upload again.');
      expect(await unchanged()).toEqual(before);
    });

    test('a request over 50 MB zipped is RequestEntityTooLargeException 413', async () => {
      const before = await unchanged();
      const err = await rejection(
        h.client.send(
          new UpdateFunctionCodeCommand({ FunctionName: 'updated', ZipFile: Buffer.alloc(53 * 1024 * 1024, 7) }),
        ),
      );
      expect(err.name).toBe('RequestEntityTooLargeException');
      expect(err.$metadata.httpStatusCode).toBe(413);
      expect(err.message).toBe('Request must be smaller than 69905067 bytes for the UpdateFunctionCode operation');
      expect(await unchanged()).toEqual(before);
    });

    test('a package over 250 MB unzipped is InvalidParameterValueException', async () => {
      const before = await unchanged();
      const zip = await zipOf([
        { name: 'index.js', data: 'exports.handler = async () => 1;' },
        { name: 'big.bin', data: Buffer.alloc(262_144_001) },
      ]);
      const err = await rejection(
        h.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'updated', ZipFile: zip })),
      );
      expect(err).toBeInstanceOf(InvalidParameterValueException);
      expect(err.message).toBe('Unzipped size must be smaller than 262144000 bytes');
      expect(await unchanged()).toEqual(before);
    });

    test('a zip-slip entry is refused and nothing of it is written', async () => {
      const before = await unchanged();
      const zip = await zipWithRawName('ZZ/update-slip.js', '../update-slip.js', 'pwned');
      const err = await rejection(
        h.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'updated', ZipFile: zip })),
      );
      expect(err).toBeInstanceOf(InvalidParameterValueException);
      expect(err.message).toBe(
        "Could not unzip uploaded file: the entry '../update-slip.js' escapes the task root with ..; nothing of the package was written.",
      );
      expect(existsSync(path.join(h.dataDir, '..', 'update-slip.js'))).toBe(false);
      expect(await unchanged()).toEqual(before);
      expect((await invoke('updated')).body.marker).toBe('v2');
    });

    test('an unknown function is ResourceNotFoundException', async () => {
      const err = await rejection(
        h.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'nope', ZipFile: await markerPackage('x') })),
      );
      expect(err).toBeInstanceOf(ResourceNotFoundException);
      expect(err.$metadata.httpStatusCode).toBe(404);
      expect(err.message).toBe(`Function not found: ${ARN('nope')}`);
    });
  });

  test('updating an unknown function is ResourceNotFoundException', async () => {
    const err = await rejection(
      h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'nope', Timeout: 5 })),
    );
    expect(err).toBeInstanceOf(ResourceNotFoundException);
    expect(err.message).toBe(`Function not found: ${ARN('nope')}`);
  });
});

describe('versions and aliases', () => {
  beforeAll(async () => {
    await create('versioned', 'one');
    await waitActive(h.client, 'versioned');
  });

  test('PublishVersion numbers versions and returns the last one again when $LATEST did not change', async () => {
    const v1 = await h.client.send(new PublishVersionCommand({ FunctionName: 'versioned', Description: 'first' }));
    expect(v1.$metadata.httpStatusCode).toBe(201);
    expect(v1).toMatchObject({
      Version: '1',
      FunctionArn: ARN('versioned', '1'),
      Description: 'first',
      State: 'Active',
    });
    const again = await h.client.send(new PublishVersionCommand({ FunctionName: 'versioned' }));
    expect(again.Version).toBe('1');

    await h.client.send(
      new UpdateFunctionCodeCommand({ FunctionName: 'versioned', ZipFile: await markerPackage('two') }),
    );
    await waitUpdated(h.client, 'versioned');

    const wrongSha = await rejection(
      h.client.send(new PublishVersionCommand({ FunctionName: 'versioned', CodeSha256: v1.CodeSha256 })),
    );
    expect(wrongSha).toBeInstanceOf(InvalidParameterValueException);
    expect(wrongSha.message).toContain(`CodeSHA256 (${v1.CodeSha256 ?? ''}) is different from current CodeSHA256`);
    const latest = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'versioned' }));
    const v2 = await h.client.send(
      new PublishVersionCommand({ FunctionName: 'versioned', CodeSha256: latest.CodeSha256 }),
    );
    expect(v2.Version).toBe('2');

    const versions = await h.client.send(new ListVersionsByFunctionCommand({ FunctionName: 'versioned' }));
    expect(versions.Versions?.map((v) => [v.Version, v.FunctionArn])).toEqual([
      ['$LATEST', ARN('versioned', '$LATEST')],
      ['1', ARN('versioned', '1')],
      ['2', ARN('versioned', '2')],
    ]);
  });

  test('qualifiers select the version that runs, and X-Amz-Executed-Version names it', async () => {
    expect((await invoke('versioned', '1')).body).toMatchObject({ marker: 'one', version: '1' });
    const byName = await invoke('versioned:2');
    expect(byName.out.ExecutedVersion).toBe('2');
    expect(byName.body).toMatchObject({ marker: 'two', version: '2' });
    expect((await invoke(ARN('versioned', '1'))).out.ExecutedVersion).toBe('1');
    expect((await invoke('000000000000:function:versioned:2')).out.ExecutedVersion).toBe('2');
    const config = await h.client.send(
      new GetFunctionConfigurationCommand({ FunctionName: 'versioned', Qualifier: '1' }),
    );
    expect(config).toMatchObject({ Version: '1', FunctionArn: ARN('versioned', '1') });

    const byArn = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: ARN('versioned', '2') }));
    expect(byArn).toMatchObject({ Version: '2', FunctionArn: ARN('versioned', '2') });
    const fnByArn = await h.client.send(new GetFunctionCommand({ FunctionName: ARN('versioned', '1') }));
    expect(fnByArn.Configuration).toMatchObject({ Version: '1', CodeSha256: config.CodeSha256 });
    for (const call of [
      () => h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'versioned', Qualifier: '9' })),
      () => h.client.send(new GetFunctionCommand({ FunctionName: 'versioned', Qualifier: '9' })),
      () => h.client.send(new GetFunctionConfigurationCommand({ FunctionName: ARN('versioned', '9') })),
    ]) {
      const err = await rejection(call());
      expect(err).toBeInstanceOf(ResourceNotFoundException);
      expect(err.$metadata.httpStatusCode).toBe(404);
      expect(err.message).toBe(`Function not found: ${ARN('versioned', '9')}`);
    }
    const noAlias = await rejection(
      h.client.send(new GetFunctionCommand({ FunctionName: 'versioned', Qualifier: 'no-such-alias' })),
    );
    expect(noAlias).toBeInstanceOf(ResourceNotFoundException);
    expect(noAlias.message).toBe(`Function not found: ${ARN('versioned', 'no-such-alias')}`);
    // The configuration of a version is fixed: updates apply to the function, never to a qualified ARN.
    const qualifiedUpdate = await rejection(
      h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: ARN('versioned', '1'), Timeout: 9 })),
    );
    expect(qualifiedUpdate).toBeInstanceOf(InvalidParameterValueException);
    expect(qualifiedUpdate.$metadata.httpStatusCode).toBe(400);
    expect(
      (await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'versioned', Qualifier: '1' }))).Timeout,
    ).toBe(3);

    const unknown = await rejection(invoke('versioned', '9'));
    expect(unknown).toBeInstanceOf(ResourceNotFoundException);
    expect(unknown.message).toBe(`Function not found: ${ARN('versioned', '9')}`);
    const mismatch = await rejection(invoke('versioned:1', '2'));
    expect(mismatch).toBeInstanceOf(InvalidParameterValueException);
  });

  test('aliases point at versions, route by weight and guard the versions they name', async () => {
    const prod = await h.client.send(
      new CreateAliasCommand({ FunctionName: 'versioned', Name: 'prod', FunctionVersion: '1', Description: 'live' }),
    );
    expect(prod.$metadata.httpStatusCode).toBe(201);
    expect(prod).toMatchObject({
      AliasArn: ARN('versioned', 'prod'),
      Name: 'prod',
      FunctionVersion: '1',
      Description: 'live',
    });
    expect(prod.RevisionId).toEqual(expect.any(String));

    const duplicate = await rejection(
      h.client.send(new CreateAliasCommand({ FunctionName: 'versioned', Name: 'prod', FunctionVersion: '1' })),
    );
    expect(duplicate).toBeInstanceOf(ResourceConflictException);
    const missing = await rejection(
      h.client.send(new CreateAliasCommand({ FunctionName: 'versioned', Name: 'next', FunctionVersion: '7' })),
    );
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect(missing.message).toBe(`Function not found: ${ARN('versioned', '7')}`);

    const toMissing = await rejection(
      h.client.send(new UpdateAliasCommand({ FunctionName: 'versioned', Name: 'prod', FunctionVersion: '7' })),
    );
    expect(toMissing).toBeInstanceOf(ResourceNotFoundException);
    expect(toMissing.message).toBe(`Function not found: ${ARN('versioned', '7')}`);
    expect(
      (await h.client.send(new GetAliasCommand({ FunctionName: 'versioned', Name: 'prod' }))).FunctionVersion,
    ).toBe('1');
    const updateUnknown = await rejection(
      h.client.send(new UpdateAliasCommand({ FunctionName: 'versioned', Name: 'staging', FunctionVersion: '1' })),
    );
    expect(updateUnknown).toBeInstanceOf(ResourceNotFoundException);
    expect(updateUnknown.message).toBe(`Cannot find alias arn: ${ARN('versioned', 'staging')}`);
    const deleteUnknown = await rejection(
      h.client.send(new DeleteAliasCommand({ FunctionName: 'versioned', Name: 'staging' })),
    );
    expect(deleteUnknown).toBeInstanceOf(ResourceNotFoundException);
    expect(deleteUnknown.message).toBe(`Cannot find alias arn: ${ARN('versioned', 'staging')}`);

    const viaAlias = await invoke('versioned:prod');
    expect(viaAlias.out.ExecutedVersion).toBe('1');
    expect(viaAlias.body.marker).toBe('one');
    expect((await invoke('versioned', 'prod')).out.ExecutedVersion).toBe('1');

    const routed = await h.client.send(
      new UpdateAliasCommand({
        FunctionName: 'versioned',
        Name: 'prod',
        RoutingConfig: { AdditionalVersionWeights: { '2': 1 } },
      }),
    );
    expect(routed.RoutingConfig).toEqual({ AdditionalVersionWeights: { '2': 1 } });
    expect((await invoke('versioned:prod')).out.ExecutedVersion).toBe('2');
    const got = await h.client.send(new GetAliasCommand({ FunctionName: 'versioned', Name: 'prod' }));
    expect(got).toMatchObject({ FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 1 } } });

    const referenced = await rejection(
      h.client.send(new DeleteFunctionCommand({ FunctionName: 'versioned', Qualifier: '2' })),
    );
    expect(referenced).toBeInstanceOf(ResourceConflictException);
    expect(referenced.message).toBe('Unable to delete version because the following aliases reference it: [prod]');

    await h.client.send(
      new CreateAliasCommand({ FunctionName: 'versioned', Name: 'edge', FunctionVersion: '$LATEST' }),
    );
    const listed = await h.client.send(new ListAliasesCommand({ FunctionName: 'versioned' }));
    expect(listed.Aliases?.map((a) => a.Name)).toEqual(['prod', 'edge']);
    const forLatest = await h.client.send(
      new ListAliasesCommand({ FunctionName: 'versioned', FunctionVersion: '$LATEST' }),
    );
    expect(forLatest.Aliases?.map((a) => a.Name)).toEqual(['edge']);

    await h.client.send(new DeleteAliasCommand({ FunctionName: 'versioned', Name: 'prod' }));
    const gone = await rejection(h.client.send(new GetAliasCommand({ FunctionName: 'versioned', Name: 'prod' })));
    expect(gone).toBeInstanceOf(ResourceNotFoundException);
    expect(gone.message).toBe(`Cannot find alias arn: ${ARN('versioned', 'prod')}`);

    const deleted = await h.client.send(new DeleteFunctionCommand({ FunctionName: 'versioned', Qualifier: '2' }));
    expect(deleted.$metadata.httpStatusCode).toBe(204);
    const afterDelete = await rejection(invoke('versioned', '2'));
    expect(afterDelete).toBeInstanceOf(ResourceNotFoundException);
    const latestOnly = await rejection(
      h.client.send(new DeleteFunctionCommand({ FunctionName: 'versioned', Qualifier: '$LATEST' })),
    );
    expect(latestOnly).toBeInstanceOf(InvalidParameterValueException);
  });
});

describe('tags, listing and account settings', () => {
  test('TagResource, UntagResource and ListTags work on the function ARN, not on a version', async () => {
    await h.client.send(new TagResourceCommand({ Resource: ARN('created'), Tags: { stage: 'test', owner: 'me' } }));
    expect((await h.client.send(new ListTagsCommand({ Resource: ARN('created') }))).Tags).toEqual({
      team: 'spillway',
      stage: 'test',
      owner: 'me',
    });
    await h.client.send(new UntagResourceCommand({ Resource: ARN('created'), TagKeys: ['owner', 'team'] }));
    expect((await h.client.send(new ListTagsCommand({ Resource: ARN('created') }))).Tags).toEqual({ stage: 'test' });
    const qualified = await rejection(h.client.send(new ListTagsCommand({ Resource: ARN('created', '1') })));
    expect(qualified).toBeInstanceOf(InvalidParameterValueException);
    const unknown = await rejection(h.client.send(new ListTagsCommand({ Resource: ARN('nope') })));
    expect(unknown).toBeInstanceOf(ResourceNotFoundException);
  });

  test('ListFunctions pages with Marker and MaxItems, and FunctionVersion=ALL lists versions', async () => {
    const all = await h.client.send(new ListFunctionsCommand({}));
    const names = all.Functions?.map((f) => f.FunctionName) ?? [];
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['created', 'updated', 'versioned']));
    const seen: string[] = [];
    let marker: string | undefined;
    for (let page = 0; page < 20; page++) {
      const out = await h.client.send(new ListFunctionsCommand({ MaxItems: 2, Marker: marker }));
      expect(out.Functions?.length).toBeLessThanOrEqual(2);
      seen.push(...(out.Functions ?? []).map((f) => f.FunctionName ?? ''));
      marker = out.NextMarker;
      if (!marker) break;
    }
    expect(seen).toEqual(names);
    const withVersions = await h.client.send(new ListFunctionsCommand({ FunctionVersion: 'ALL' }));
    expect(withVersions.Functions?.filter((f) => f.FunctionName === 'versioned').map((f) => f.Version)).toEqual([
      '$LATEST',
      '1',
    ]);
    const latest = all.Functions?.find((f) => f.FunctionName === 'created');
    expect(latest?.CodeSha256).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(latest?.CodeSize).toBeGreaterThan(0);
  });

  test('GetAccountSettings counts functions and the code of every version', async () => {
    const settings = await h.client.send(new GetAccountSettingsCommand({}));
    const list = await h.client.send(new ListFunctionsCommand({ FunctionVersion: 'ALL' }));
    expect(settings.AccountUsage).toEqual({
      FunctionCount: new Set(list.Functions?.map((f) => f.FunctionName)).size,
      TotalCodeSize: (list.Functions ?? []).reduce((n, f) => n + (f.CodeSize ?? 0), 0),
    });
  });

  test('DeleteFunction removes the function and its package', async () => {
    const fn = await h.client.send(new GetFunctionCommand({ FunctionName: 'symlink-in' }));
    const key = Buffer.from(fn.Configuration?.CodeSha256 ?? '', 'base64').toString('hex');
    expect(existsSync(path.join(h.dataDir, 'code', `${key}.zip`))).toBe(true);
    const out = await h.client.send(new DeleteFunctionCommand({ FunctionName: 'symlink-in' }));
    expect(out.$metadata.httpStatusCode).toBe(204);
    const err = await rejection(h.client.send(new GetFunctionCommand({ FunctionName: 'symlink-in' })));
    expect(err).toBeInstanceOf(ResourceNotFoundException);
    expect(existsSync(path.join(h.dataDir, 'code', `${key}.zip`))).toBe(false);
    expect(existsSync(path.join(h.dataDir, 'task-roots', key))).toBe(false);
  });
});
