// One way to open Redis for every process. Commands fail fast when Redis is away instead of queueing forever,
// because every Redis use in Spillway is a projection that must not hold up the task it describes.
import { Redis } from 'ioredis';

export function connectRedis(url: string, name: string, options: { blocking?: boolean } = {}): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A blocking reader (XREAD BLOCK) waits on purpose; every other command must answer fast or fail.
    commandTimeout: options.blocking ? undefined : 2_000,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  // Without a listener ioredis reports every failed reconnect as an unhandled error event.
  redis.on('error', () => undefined);
  redis.connect().catch(() => undefined);
  return redis;
}
