// Keeps the parity table of lambda/README.md true: every row names the tests that cover it and those tests exist
// (by title, see test/support/test-titles.ts),
// and the rows this file can check directly (the runtimes, the limits, the unreserved floor, what is refused) are
// checked here against the code and a running service.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CreateFunctionCommand, InvalidParameterValueException } from '@aws-sdk/client-lambda';
import { MAX_UPLOAD_REQUEST_BYTES } from '../../lambda/control-plane-routes';
import {
  MAX_EVENT_PAYLOAD_BYTES,
  MAX_RESPONSE_BYTES,
  MAX_STREAMED_RESPONSE_BYTES,
  MAX_SYNC_PAYLOAD_BYTES,
} from '../../lambda/runtime-api-limits';
import { SUPPORTED_RUNTIMES } from '../../lambda/runtimes';
import { MAX_UNZIPPED_BYTES } from '../../lambda/zip-package';
import type { Harness } from './helpers';
import { fetchStatus, ROLE, startHarness, zipOf } from './helpers';
import { testTitles } from '../support/test-titles';

const README = readFileSync(path.join(__dirname, '..', '..', 'lambda', 'README.md'), 'utf8');
const TEST_ROOT = path.join(__dirname, '..');

interface Row {
  behaviour: string;
  aws: string;
  spillway: string;
  note: string;
  tests: string;
}

/** The rows of the table under "## Behaviour and fidelity". */
function parityRows(): Row[] {
  const section = README.split('## Behaviour and fidelity')[1]?.split('\n## ')[0] ?? '';
  const lines = section.split('\n').filter((line) => line.startsWith('|'));
  return lines.slice(2).map((line) => {
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim().replace(/\\\|/g, '|'));
    const [behaviour = '', aws = '', spillway = '', note = '', tests = ''] = cells;
    return { behaviour, aws, spillway, note, tests };
  });
}

function row(behaviour: string): Row {
  const found = parityRows().find((r) => r.behaviour === behaviour);
  if (!found) throw new Error(`no parity row "${behaviour}"`);
  return found;
}

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.stop();
});

test('the title reader sees titles, describe paths and expanded test.each rows, and nothing else', () => {
  const titles = testTitles(path.join(TEST_ROOT, 'lambda', 'control-plane.test.ts'));
  expect(titles).toContain('CreateFunction an existing name is ResourceConflictException 409');
  expect(titles).toContain('CreateFunction no role is InvalidParameterValueException');
  expect(titles).toContain('packages AWS would refuse a ../ entry is refused and nothing of the package is written');
  // A message asserted inside a test is in the file but is no test's title.
  expect(readFileSync(path.join(TEST_ROOT, 'lambda', 'control-plane.test.ts'), 'utf8')).toContain(
    'Could not unzip uploaded file. Please check your file',
  );
  expect(titles.some((t) => t.includes('Could not unzip uploaded file'))).toBe(false);
});

test('every row of the parity table names tests that exist', () => {
  const rows = parityRows();
  expect(rows.length).toBeGreaterThan(30);
  const problems: string[] = [];
  for (const r of rows) {
    const refs = r.tests.split(/;\s*(?=`)/).filter(Boolean);
    if (refs.length === 0) problems.push(`${r.behaviour}: names no test`);
    for (const ref of refs) {
      const match = /^`([^`]+)` › (.+)$/.exec(ref);
      if (!match) {
        problems.push(`${r.behaviour}: "${ref}" is not \`file\` › title`);
        continue;
      }
      const [, file = '', fragment = ''] = match;
      const full = path.join(TEST_ROOT, file);
      if (!existsSync(full)) {
        problems.push(`${r.behaviour}: ${file} does not exist`);
        continue;
      }
      // A test's title, not any text of the file: a message or a table cell elsewhere in it proves nothing.
      if (!testTitles(full).some((t) => t.includes(fragment))) {
        problems.push(`${r.behaviour}: no test title in ${file} contains "${fragment}"`);
      }
    }
  }
  expect(problems).toEqual([]);
});

test('the Runtime row lists the supported runtimes, no more and no fewer', () => {
  const listed = [...row('Runtime').spillway.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  expect(listed).toEqual([...SUPPORTED_RUNTIMES]);
});

test('the limits in this document are the ones in the code', () => {
  expect(row('Response size').aws).toContain(`${MAX_RESPONSE_BYTES} bytes (6 MiB + 100)`);
  expect(MAX_RESPONSE_BYTES).toBe(6 * 1024 * 1024 + 100);
  expect(row('Response size').aws).toContain(`${MAX_STREAMED_RESPONSE_BYTES / 1024 / 1024} MB streamed`);
  expect(row('Invoke payload size').aws).toContain(`smaller than ${MAX_SYNC_PAYLOAD_BYTES} bytes`);
  expect(row('Invoke payload size').aws).toContain(`${MAX_EVENT_PAYLOAD_BYTES / 1024 / 1024} MB for \`Event\``);
  expect(row('Request size for CreateFunction / UpdateFunctionCode').aws).toContain(String(MAX_UPLOAD_REQUEST_BYTES));
  expect(row('Unzipped size').aws).toContain(String(MAX_UNZIPPED_BYTES));
  const responseRoute = README.split('\n').find((line) =>
    line.includes('`POST /2018-06-01/runtime/invocation/{id}/response`'),
  );
  expect(responseRoute).toContain(`buffered up to ${MAX_RESPONSE_BYTES} bytes`);
  expect(responseRoute).toContain(`up to ${MAX_STREAMED_RESPONSE_BYTES / 1024 / 1024} MB`);
});

test('the unreserved floor is the one the Concurrency row states for the default account', async () => {
  expect(row('Concurrency').spillway).toContain('(5 of the default 50)');
  const status = await fetchStatus(h.service);
  expect(status).toMatchObject({ accountConcurrencyLimit: 50, unreservedConcurrencyMinimum: 5 });
});

test('S3 and ImageUri are refused as the Package upload row says', async () => {
  expect(row('Package upload').note).toBe('S3 and `ImageUri` are `InvalidParameterValueException`');
  for (const Code of [
    { S3Bucket: 'bucket', S3Key: 'key.zip' },
    { ImageUri: '000000000000.dkr.ecr.us-east-1.amazonaws.com/f:1' },
  ]) {
    const err = await h.client
      .send(
        new CreateFunctionCommand({
          FunctionName: 'from-elsewhere',
          Runtime: 'nodejs20.x',
          Role: ROLE,
          Handler: 'index.handler',
          Code,
        }),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidParameterValueException);
  }
  // A zip is the one way in.
  const ok = await h.client.send(
    new CreateFunctionCommand({
      FunctionName: 'from-a-zip',
      Runtime: 'nodejs20.x',
      Role: ROLE,
      Handler: 'index.handler',
      Code: { ZipFile: await zipOf([{ name: 'index.js', data: 'exports.handler = async () => 1;' }]) },
    }),
  );
  expect(ok.FunctionName).toBe('from-a-zip');
});

test('unknown routes are 404 UnknownOperationException, as the last row says of what is not implemented', async () => {
  expect(
    row('Layers, VPC, provisioned concurrency, function URLs, code signing, SnapStart, X-Ray, extensions').spillway,
  ).toBe('not implemented');
  for (const route of ['/2018-10-31/layers', '/2021-10-31/functions/from-a-zip/url']) {
    const res = await fetch(`${h.service.url}${route}`);
    expect(res.status).toBe(404);
    expect(res.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
  }
});
