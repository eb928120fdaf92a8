// Access control for the API: optional bearer keys (constant-time compare), per-client rate limits kept in Redis so
// every API instance shares them, and security headers. Health and the signed Lambda callbacks stay open: probes
// and functions cannot hold a key, and callbacks carry their own HMAC signature.
import { createHash, timingSafeEqual } from 'node:crypto';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { SpillwayConfig } from '../../domain/config';
import { errorBody, Errors } from '../errors';

const OPEN_PATHS = ['/health', '/actuator/health', '/api/callbacks/lambda'];

/** Dashboard files and sample images are public: the page must load before it can ask for a key. */
export function needsKey(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  if (OPEN_PATHS.includes(path)) return false;
  return path.startsWith('/api/') || path === '/metrics' || path.startsWith('/docs');
}

function digest(value: string): Buffer {
  // Hashing first gives equal lengths, so the compare takes the same time whatever the key's length.
  return createHash('sha256').update(value).digest();
}

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length).trim();
  // EventSource cannot set headers, so the live feed may carry the key in the query.
  const query = request.query as { access_token?: unknown } | undefined;
  if (request.url.startsWith('/api/events') && typeof query?.access_token === 'string') return query.access_token;
  return undefined;
}

export interface SecurityOptions {
  config: SpillwayConfig;
  redis?: Redis;
}

async function security(app: FastifyInstance, { config, redis }: SecurityOptions) {
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: null,
      },
    },
    // The dashboard links to the Temporal Web UI on another port.
    crossOriginEmbedderPolicy: false,
  });

  const keys = config.api.keys.map(digest);
  if (keys.length > 0) {
    app.addHook('onRequest', async (request, reply) => {
      if (!needsKey(request.url)) return;
      const key = presentedKey(request);
      const presented = key ? digest(key) : undefined;
      const ok = presented !== undefined && keys.some((k) => timingSafeEqual(k, presented));
      if (!ok) {
        const error = Errors.unauthorized(
          key ? 'the API key is not valid' : 'this route needs an API key (Authorization: Bearer <key>)',
        );
        return reply.code(401).header('www-authenticate', 'Bearer realm="spillway"').send(errorBody(error));
      }
    });
  }

  await app.register(rateLimit, {
    global: true,
    max: config.api.rateLimit.max,
    timeWindow: config.api.rateLimit.windowMs,
    redis,
    nameSpace: `${config.redis.prefix}ratelimit:`,
    // A Redis outage must not take the API down with it; limits resume when Redis returns.
    skipOnError: true,
    // Callbacks are signed, and a limited one would be a lost result: they are never rate-limited.
    allowList: (request) => !needsKey(request.url),
    keyGenerator: (request) => {
      const key = presentedKey(request);
      return key ? `key:${digest(key).toString('hex').slice(0, 16)}` : `ip:${request.ip}`;
    },
    errorResponseBuilder: (_request, context) => ({
      ...errorBody(Errors.rateLimited(`rate limit of ${context.max} requests per ${context.after} exceeded`)),
    }),
  });
}

export const securityPlugin = fp(security, { name: 'spillway-security', fastify: '5.x' });
