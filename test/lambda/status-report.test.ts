// The local Lambda service's GET /_spillway/status answers exactly the shape declared in domain/lambda-status.ts,
// which placement, the benchmarks and the fault suite read: a field added or renamed on either side fails here.
import { Value } from '@sinclair/typebox/value';
import { ServiceStatusSchema } from '../../domain/lambda-status';
import { readStack } from '../support/test-stack';

test('GET /_spillway/status matches ServiceStatusSchema, with every deployed example listed', async () => {
  const endpoint = readStack().lambdaEndpoint;
  expect(endpoint).toEqual(expect.stringMatching(/^http:/));
  const res = await fetch(`${endpoint}/_spillway/status`);
  expect(res.status).toBe(200);
  const status: unknown = await res.json();
  expect([...Value.Errors(ServiceStatusSchema, status)].map((e) => `${e.path}: ${e.message}`)).toEqual([]);
  const names = (status as { functions: Array<{ name: string }> }).functions.map((f) => f.name);
  expect(names).toEqual(expect.arrayContaining(['noop', 'flaky', 'image-processor']));
});
