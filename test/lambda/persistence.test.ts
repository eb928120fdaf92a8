// Functions survive a restart: everything deployed lives in the data directory, and a new service on the same
// directory serves the same functions, versions, aliases, tags and packages.
import { rmSync } from 'node:fs';
import {
  CreateAliasCommand,
  GetAliasCommand,
  GetFunctionCommand,
  InvokeCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  TagResourceCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import type { Harness } from './helpers';
import { decodePayload, deploy, startHarness, tempDataDir, waitUpdated, zipOf } from './helpers';

const dataDir = tempDataDir('persist');
const running: Harness[] = [];
const pkg = (marker: string) => zipOf([{ name: 'index.js', data: `exports.handler = async () => '${marker}';` }]);

afterAll(async () => {
  await Promise.all(running.map((h) => h.stop()));
  rmSync(dataDir, { recursive: true, force: true });
});

test('a function, its versions, aliases, tags and code are all there after a restart, and invoke', async () => {
  const first = await startHarness({ dataDir });
  running.push(first);
  await deploy(first.client, { name: 'durable', handler: 'index.handler', zip: await pkg('one') });
  const arn = 'arn:aws:lambda:us-east-1:000000000000:function:durable';
  await first.client.send(new TagResourceCommand({ Resource: arn, Tags: { kept: 'yes' } }));
  await first.client.send(new PublishVersionCommand({ FunctionName: 'durable' }));
  await first.client.send(new CreateAliasCommand({ FunctionName: 'durable', Name: 'prod', FunctionVersion: '1' }));
  await first.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'durable', ZipFile: await pkg('two') }));
  await waitUpdated(first.client, 'durable');
  const before = await first.client.send(new GetFunctionCommand({ FunctionName: 'durable', Qualifier: '1' }));
  await first.stop();
  running.splice(0);

  const second = await startHarness({ dataDir });
  running.push(second);
  const fn = await second.client.send(new GetFunctionCommand({ FunctionName: 'durable' }));
  expect(fn.Configuration).toMatchObject({ State: 'Active', LastUpdateStatus: 'Successful' });
  expect(fn.Tags).toEqual({ kept: 'yes' });
  const versions = await second.client.send(new ListVersionsByFunctionCommand({ FunctionName: 'durable' }));
  expect(versions.Versions?.map((v) => v.Version)).toEqual(['$LATEST', '1']);
  expect(versions.Versions?.[1]?.CodeSha256).toBe(before.Configuration?.CodeSha256);
  const alias = await second.client.send(new GetAliasCommand({ FunctionName: 'durable', Name: 'prod' }));
  expect(alias.FunctionVersion).toBe('1');

  const viaAlias = await second.client.send(new InvokeCommand({ FunctionName: 'durable:prod' }));
  expect(viaAlias.ExecutedVersion).toBe('1');
  expect(decodePayload(viaAlias.Payload)).toBe('one');
  const latest = await second.client.send(new InvokeCommand({ FunctionName: 'durable' }));
  expect(decodePayload(latest.Payload)).toBe('two');

  // The URL signing secret is in the data directory too: a location from before the restart still downloads.
  const oldLocation = new URL(before.Code?.Location ?? '');
  const download = await fetch(`${second.service.url}${oldLocation.pathname}${oldLocation.search}`);
  expect(download.status).toBe(200);
  expect(Buffer.from(await download.arrayBuffer()).equals(await pkg('one'))).toBe(true);
});
