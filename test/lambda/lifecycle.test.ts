// Idle environments are reclaimed after idleReclaimMs, as Lambda reclaims them, and the next call starts cold.
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { Harness } from './helpers';
import { decodeLog, fetchStatus, fixture, functionStatus, startHarness, waitFor } from './helpers';

let h: Harness;

beforeAll(async () => {
  // Long enough that the warm call right after the first lands before the reclaim even on a busy machine; the
  // reclaim itself is waited for, not timed.
  h = await startHarness({ idleReclaimMs: 5_000, functions: [fixture('echo', 'echo')] });
});

afterAll(async () => {
  await h.stop();
});

test('an environment idle longer than idleReclaimMs is reclaimed and the next call is cold again', async () => {
  const first = await h.client.send(new InvokeCommand({ FunctionName: 'echo', LogType: 'Tail' }));
  expect(decodeLog(first.LogResult)).toContain('Init Duration');
  const warm = await h.client.send(new InvokeCommand({ FunctionName: 'echo', LogType: 'Tail' }));
  expect(decodeLog(warm.LogResult)).not.toContain('Init Duration');

  await waitFor(async () => {
    const status = functionStatus(await fetchStatus(h.service), 'echo');
    return status.environments.total === 0 ? status : undefined;
  }, 60_000);

  const cold = await h.client.send(new InvokeCommand({ FunctionName: 'echo', LogType: 'Tail' }));
  expect(decodeLog(cold.LogResult)).toContain('Init Duration');
  const status = functionStatus(await fetchStatus(h.service), 'echo');
  expect(status).toMatchObject({ coldStarts: 2, warmStarts: 1, invocations: 3 });
  expect(status.environments).toEqual({ total: 1, idle: 1, busy: 0 });
});
