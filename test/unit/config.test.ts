import { ConfigError, loadConfig } from '../../domain/config';

test('defaults match the documented ones', () => {
  const config = loadConfig({});
  expect(config.scheduler.localWorkerPoolSize).toBe(10);
  expect(config.scheduler.lambdaTaskThreshold).toBe(5);
  expect(config.scheduler.defaultRetry).toEqual({
    maximumAttempts: 5,
    initialIntervalMs: 1000,
    backoffCoefficient: 2,
    maximumIntervalMs: 60000,
  });
  expect(config.temporal).toEqual(
    expect.objectContaining({ address: '127.0.0.1:7233', namespace: 'default', external: false }),
  );
  expect(config.redis.url).toBe('redis://127.0.0.1:6379');
  expect(Object.isFrozen(config.scheduler)).toBe(true);
});

test('TEMPORAL_ADDRESS selects an existing cluster', () => {
  const config = loadConfig({
    TEMPORAL_ADDRESS: 'temporal.internal:7233',
    TEMPORAL_NAMESPACE: 'prod',
    TEMPORAL_TLS: 'true',
  });
  expect(config.temporal).toEqual(
    expect.objectContaining({ address: 'temporal.internal:7233', namespace: 'prod', external: true }),
  );
  expect(config.temporal.tls).toEqual({});
});

test('TEMPORAL_API_KEY (Temporal Cloud) turns TLS on explicitly, with the key', () => {
  const config = loadConfig({ TEMPORAL_ADDRESS: 'us-east-1.aws.api.temporal.io:7233', TEMPORAL_API_KEY: 'key-123' });
  expect(config.temporal).toEqual(expect.objectContaining({ apiKey: 'key-123', tls: {} }));
  // Without a key, a cert or TEMPORAL_TLS, the connection is plaintext (the laptop's dev server).
  expect(loadConfig({ TEMPORAL_ADDRESS: 'temporal.internal:7233' }).temporal.tls).toBeUndefined();
});

test.each([
  ['SCHEDULER_LOCAL_WORKER_POOL_SIZE', '0', /SCHEDULER_LOCAL_WORKER_POOL_SIZE must be a whole number from 1/],
  ['SCHEDULER_LOCAL_WORKER_POOL_SIZE', 'ten', /got "ten"/],
  ['REDIS_URL', 'http://x', /REDIS_URL must use redis: or rediss:/],
  ['SCHEDULER_ENABLE_WARM_POOL', 'maybe', /must be true or false/],
  ['SPILLWAY_CALLBACK_SECRET', 'short', /at least 16 characters/],
])('%s=%s is refused at start-up', (key, value, message) => {
  expect(() => loadConfig({ [key]: value })).toThrow(ConfigError);
  expect(() => loadConfig({ [key]: value })).toThrow(message);
});
