// The committed client is the one the API's route schemas generate today, and its OpenAPI document passes
// Redocly's recommended rules (client/redocly.yaml; the known exceptions, each with its reason, are in
// client/.redocly.lint-ignore.yaml).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const CLIENT = path.join(ROOT, 'client');

jest.setTimeout(120_000);

test('client/openapi.json and client/schema.ts are current (else run npm run generate:client)', () => {
  // The generator runs compiled, in a node of its own: openapi-typescript is an ES module jest cannot load.
  const run = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'client', 'generate.js'), '--check'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expect({ status: run.status, out: run.stdout.trim(), err: run.stderr.trim() }).toEqual({
    status: 0,
    out: 'client is current',
    err: '',
  });
});

test('every operation has an operationId, and those that need a key say so', () => {
  const doc = JSON.parse(readFileSync(path.join(CLIENT, 'openapi.json'), 'utf8')) as {
    paths: Record<string, Record<string, { operationId?: string; security?: unknown[] }>>;
  };
  const operations = Object.entries(doc.paths).flatMap(([url, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ url, method, ...op })),
  );
  expect(operations.filter((op) => !op.operationId)).toEqual([]);
  expect(new Set(operations.map((op) => op.operationId)).size).toBe(operations.length);
  const open = operations.filter((op) => op.security?.length === 0).map((op) => `${op.method} ${op.url}`);
  expect(open.sort()).toEqual(['get /actuator/health', 'get /health', 'post /api/callbacks/lambda']);
  const createTask = operations.find((op) => op.operationId === 'createTask');
  expect(createTask?.security).toEqual([{ bearerAuth: [] }]);
});

test('the OpenAPI document passes redocly lint with the recommended rules', () => {
  const redocly = path.join(ROOT, 'node_modules', '.bin', 'redocly');
  const run = spawnSync(redocly, ['lint', '--config', 'client/redocly.yaml', 'client/openapi.json', '--format=json'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  });
  const report = JSON.parse(run.stdout) as { totals: Record<string, number>; problems: { ruleId: string }[] };
  expect(report.problems).toEqual([]);
  expect(report.totals).toEqual(expect.objectContaining({ errors: 0, warnings: 0 }));
  expect(run.status).toBe(0);
});
