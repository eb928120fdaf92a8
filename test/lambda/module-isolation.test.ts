// A package runs from its own task root and resolves modules only from itself (and AWS's /opt layer folders),
// never from Spillway's node_modules, although the data directory lives inside the repository.
import path from 'node:path';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { Harness } from './helpers';
import { decodePayload, deploy, startHarness, zipOf } from './helpers';

let h: Harness;

beforeAll(async () => {
  // Inside the repository, like the default data directory, so the parent walk would reach /repo/node_modules.
  h = await startHarness({ dataDir: path.join(__dirname, '..', '..', 'data', `lambda-isolation-test-${process.pid}`) });
});

afterAll(async () => {
  await h.stop();
  const { rmSync } = await import('node:fs');
  rmSync(h.dataDir, { recursive: true, force: true });
});

test('a module Spillway has but the package lacks is Runtime.ImportModuleError', async () => {
  const zip = await zipOf([
    { name: 'index.js', data: "const yauzl = require('yauzl');\nexports.handler = async () => typeof yauzl;" },
  ]);
  await deploy(h.client, { name: 'borrows-yauzl', handler: 'index.handler', zip });
  const out = await h.client.send(new InvokeCommand({ FunctionName: 'borrows-yauzl' }));
  expect(out.FunctionError).toBe('Unhandled');
  const body = decodePayload(out.Payload) as { errorType: string; errorMessage: string };
  expect(body.errorType).toBe('Runtime.ImportModuleError');
  expect(body.errorMessage).toMatch(/^Error: Cannot find module 'yauzl'\nRequire stack:\n- .*index\.js/);
});

test('a handler in a subfolder runs in its task root with its own node_modules and the runtime it asked for', async () => {
  const zip = await zipOf([
    { name: 'node_modules/left-pad/index.js', data: "module.exports = (s, n) => String(s).padStart(n, '0');" },
    {
      name: 'src/app.js',
      data: `const pad = require('left-pad');
exports.handler = async () => ({
  padded: pad(7, 3),
  cwd: process.cwd(),
  taskRoot: process.env.LAMBDA_TASK_ROOT,
  executionEnv: process.env.AWS_EXECUTION_ENV,
  paths: module.paths,
});`,
    },
  ]);
  await deploy(h.client, { name: 'own-modules', handler: 'src/app.handler', runtime: 'nodejs24.x', zip });
  const out = await h.client.send(new InvokeCommand({ FunctionName: 'own-modules' }));
  expect(out.FunctionError).toBeUndefined();
  const body = decodePayload(out.Payload) as {
    padded: string;
    cwd: string;
    taskRoot: string;
    executionEnv: string;
    paths: string[];
  };
  expect(body.padded).toBe('007');
  expect(body.executionEnv).toBe('AWS_Lambda_nodejs24.x');
  expect(body.cwd).toBe(body.taskRoot);
  expect(body.taskRoot.startsWith(path.join(h.dataDir, 'task-roots') + path.sep)).toBe(true);
  expect(body.paths).toEqual([
    path.join(body.taskRoot, 'src', 'node_modules'),
    path.join(body.taskRoot, 'node_modules'),
  ]);
});

test('an ES module handler (index.mjs) loads, as AWS tries .js, .mjs and .cjs', async () => {
  const zip = await zipOf([{ name: 'index.mjs', data: 'export const handler = async () => ({ esm: true });' }]);
  await deploy(h.client, { name: 'esm-handler', handler: 'index.handler', zip });
  const out = await h.client.send(new InvokeCommand({ FunctionName: 'esm-handler' }));
  expect(out.FunctionError).toBeUndefined();
  expect(decodePayload(out.Payload)).toEqual({ esm: true });
});

test('an ES module handler cannot import a package Spillway has but the package lacks', async () => {
  const zip = await zipOf([
    { name: 'index.mjs', data: "import yauzl from 'yauzl';\nexport const handler = async () => typeof yauzl;" },
  ]);
  await deploy(h.client, { name: 'esm-borrows-yauzl', handler: 'index.handler', zip });
  const out = await h.client.send(new InvokeCommand({ FunctionName: 'esm-borrows-yauzl' }));
  expect(out.FunctionError).toBe('Unhandled');
  const body = decodePayload(out.Payload) as { errorType: string; errorMessage: string };
  expect(body.errorType).toBe('Runtime.ImportModuleError');
  expect(body.errorMessage).toMatch(/^Error: Cannot find package 'yauzl' imported from .*index\.mjs$/);
});

test('an ES module handler imports the packages it ships, and node: builtins', async () => {
  const zip = await zipOf([
    { name: 'node_modules/shout/package.json', data: '{"name":"shout","type":"module","exports":"./main.js"}' },
    { name: 'node_modules/shout/main.js', data: 'export default (s) => s.toUpperCase();' },
    {
      name: 'index.mjs',
      data: "import shout from 'shout';\nimport { basename } from 'node:path';\nexport const handler = async () => shout(basename('/a/ok'));",
    },
  ]);
  await deploy(h.client, { name: 'esm-own-package', handler: 'index.handler', zip });
  const out = await h.client.send(new InvokeCommand({ FunctionName: 'esm-own-package' }));
  expect(out.FunctionError).toBeUndefined();
  expect(decodePayload(out.Payload)).toBe('OK');
});
