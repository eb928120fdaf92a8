// Lambda leases by target, against the real Redis of the test stack under a key prefix of its own: predictive AUTO
// reads how many invocations each target has placed and not finished, so a burst's spills onto one region do not
// count as waiting in another.
import { Redis } from 'ioredis';
import { createPlacementLeases } from '../../live/placement-leases';
import { testConfig } from '../support/test-stack';

let redis: Redis;
let prefix: string;
let clock = Date.UTC(2026, 11, 7, 12);

beforeEach(async () => {
  const config = testConfig();
  prefix = config.redis.prefix;
  redis = new Redis(config.redis.url, { connectionName: 'spillway-test-placement-leases', maxRetriesPerRequest: 1 });
});

afterEach(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

test('leases count by the target they were placed on, a lease held without one as the default`s, and a release forgets both', async () => {
  const leases = createPlacementLeases(redis, prefix, () => clock);
  await leases.holdLambda('resize', 'task-a', 60_000, 'near');
  await leases.holdLambda('resize', 'task-b', 60_000, 'near');
  await leases.holdLambda('resize', 'task-c', 60_000, 'far');
  await leases.holdLambda('resize', 'task-d', 60_000);
  // The invoke renews a lease without naming the target: the target it was placed on stays. It answers the load
  // the invocation meets: the function's leases, its own included, counted once.
  expect(await leases.holdLambda('resize', 'task-a', 120_000)).toBe(4);
  expect(await leases.holdLambda('thumbnail', 'task-e', 60_000, 'far')).toBe(1);
  expect(Object.fromEntries(await leases.lambdaInFlightByTarget('resize'))).toEqual({ near: 2, far: 1, '': 1 });
  expect(await leases.lambdaInFlight('resize')).toBe(4);

  await leases.releaseLambda('resize', 'task-c');
  expect(Object.fromEntries(await leases.lambdaInFlightByTarget('resize'))).toEqual({ near: 2, '': 1 });
  expect(await redis.hget(`${prefix}inflight:LAMBDA-target:resize`, 'task-c')).toBeNull();

  // A lapsed lease no longer counts, whatever its target.
  clock += 61_000;
  expect(Object.fromEntries(await leases.lambdaInFlightByTarget('resize'))).toEqual({ near: 1 });
  expect(Object.fromEntries(await leases.lambdaInFlightByTarget('nothing-placed'))).toEqual({});
});
