// A redrive re-submits the task it re-runs: bodyFrom must give back every field of the original request that still
// means something, so that submitting it again yields the same task (its region rules above all), and redriveId
// must name one redrive per task.
import { loadConfig } from '../../domain/config';
import type { TaskInput } from '../../domain/task-model';
import { startOptions } from '../../api/services/flow-options';
import { bodyFrom, rateBody, redriveId } from '../../api/services/redrive-service';
import type { CreateTaskBody } from '../../api/schemas/task-schemas';

const config = loadConfig({});
const NOW = Date.parse('2025-01-01T00:00:00Z');

/** The task input the API would start for a body (the parts bodyFrom reads), as task-service builds it. */
function inputOf(body: CreateTaskBody): TaskInput {
  const { flow, retry } = startOptions(body, config, NOW);
  return {
    version: 1,
    id: 'task-1',
    name: body.name,
    type: body.type ?? 'noop',
    executionMode: body.executionMode,
    functionName: 'noop',
    payload: body.payload ?? {},
    retry,
    timeoutSeconds: body.timeoutSeconds ?? 30,
    submittedAt: new Date(NOW).toISOString(),
    ...(body.region !== undefined ? { region: body.region } : {}),
    ...(body.allowedRegions !== undefined ? { allowedRegions: body.allowedRegions } : {}),
    ...(body.dataRegion !== undefined ? { dataRegion: body.dataRegion } : {}),
    ...(body.deadlineMs !== undefined ? { deadlineMs: body.deadlineMs } : {}),
    ...flow,
  };
}

describe('bodyFrom keeps the original request', () => {
  const full: CreateTaskBody = {
    name: 'resident',
    type: 'noop',
    executionMode: 'AUTO',
    payload: { a: 1 },
    timeoutSeconds: 30,
    priority: 2,
    fairness: { key: 'tenant-a', weight: 2 },
    concurrency: { key: 'customer-42', limit: 3 },
    rateLimit: { key: 'partner', perMinute: 90 },
    region: 'eu-west-1',
    allowedRegions: ['eu-west-1', 'eu-central-1'],
    dataRegion: 'eu-west-1',
    deadlineMs: 1500,
    retry: { delays: ['20s', '5m'] },
  };

  test('its residency and latency fields, which a redrive must not lose', () => {
    expect(bodyFrom(inputOf(full))).toEqual(
      expect.objectContaining({
        region: 'eu-west-1',
        allowedRegions: ['eu-west-1', 'eu-central-1'],
        dataRegion: 'eu-west-1',
        deadlineMs: 1500,
      }),
    );
  });

  test('submitted again, it normalises to the same flow options and retry settings', () => {
    const input = inputOf(full);
    const again = inputOf(bodyFrom(input));
    const facts = (i: TaskInput) => ({
      priority: i.priority,
      fairness: i.fairness,
      concurrency: i.concurrency,
      rateLimit: i.rateLimit,
      retry: i.retry,
      executionMode: i.executionMode,
    });
    expect(facts(again)).toEqual(facts(input));
  });

  test('another execution mode replaces the original one only', () => {
    expect(bodyFrom(inputOf(full), 'LOCAL')).toEqual(
      expect.objectContaining({ executionMode: 'LOCAL', region: 'eu-west-1' }),
    );
  });

  test('the moment-bound options stay with the first submission', () => {
    const input = inputOf({
      ...full,
      delaySeconds: 60,
      expiresAt: new Date(NOW + 120_000).toISOString(),
      debounce: { key: 'k', periodSeconds: 5 },
      idempotencyKey: 'once',
    });
    const body = bodyFrom({ ...input, idempotencyKey: 'once' });
    expect([body.startAt, body.delaySeconds, body.expiresAt, body.debounce, body.idempotencyKey]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('rateBody gives a rate back as it was asked for', () => {
  test.each([
    [{ perSecond: 10 }, { perSecond: 10 }],
    [{ perMinute: 90 }, { perMinute: 90 }],
    // A per-minute rate stays per minute: read back per second it was once 60 times too fast.
    [{ perMinute: 1 }, { perMinute: 1 }],
    [{ perMinute: 0.5 }, { perMinute: 0.5 }],
    [{ perSecond: 0.5 }, { perSecond: 0.5 }],
  ])('%j', (asked, given) => {
    const { flow } = startOptions(
      { name: 'r', type: 'noop', executionMode: 'LOCAL', rateLimit: { key: 'k', ...asked } },
      config,
      NOW,
    );
    const back = rateBody(flow.rateLimit as NonNullable<typeof flow.rateLimit>);
    expect(back).toEqual({ key: 'k', ...given });
    // And it normalises to the same limit and period again.
    const again = startOptions({ name: 'r', type: 'noop', executionMode: 'LOCAL', rateLimit: back }, config, NOW);
    expect(again.flow.rateLimit).toEqual(flow.rateLimit);
  });

  test('a third per second keeps its 3-second period exactly', () => {
    const { flow } = startOptions(
      { name: 'r', type: 'noop', executionMode: 'LOCAL', rateLimit: { key: 'k', perSecond: 1 / 3 } },
      config,
      NOW,
    );
    const back = rateBody(flow.rateLimit as NonNullable<typeof flow.rateLimit>);
    const again = startOptions({ name: 'r', type: 'noop', executionMode: 'LOCAL', rateLimit: back }, config, NOW);
    expect([flow.rateLimit?.periodMs, again.flow.rateLimit?.periodMs]).toEqual([3000, 3000]);
  });
});

describe('redriveId names one redrive per task', () => {
  test.each([
    ['task-0b1c', 'task-0b1c.r1'],
    ['task-0b1c.r1', 'task-0b1c.r2'],
    ['task-0b1c.r9', 'task-0b1c.r10'],
  ])('%s → %s', (id, next) => {
    expect(redriveId(id)).toBe(next);
  });

  test('an id too long to extend is replaced by a digest of its root, still counted', () => {
    const long = `t${'x'.repeat(126)}`;
    const first = redriveId(long);
    expect(first).toMatch(/^task-r-[0-9a-f]{40}\.r1$/);
    expect(redriveId(first)).toBe(first.replace(/\.r1$/, '.r2'));
  });
});
