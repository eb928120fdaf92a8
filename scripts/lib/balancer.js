// @ts-check
// A small round-robin HTTP load balancer in front of several API instances, for `npm start -- --apis N` and the
// tests: the dashboard's address (8080) reaches any instance. docker/compose.yaml does the same with nginx.
//
// - Each request goes to the next instance in turn, on a connection of its own (no pooling), so an instance that
//   drains (stops listening on SIGTERM) is never handed a request on a kept-alive socket.
// - A request whose connection to an instance fails before anything was sent (refused, reset on connect) goes to the
//   next instance, and that instance is skipped for `retryAfterMs`. Once a request was sent, a failure is answered
//   502: the instance may have acted on it (POST /api/tasks with an idempotency key is safe to repeat).
// - Responses stream through as they come, so Server-Sent Events arrive unbuffered, and a client that goes away
//   closes its upstream request.
//
// As a process: BALANCER_HOST, BALANCER_PORT and BALANCER_BACKENDS (comma-separated host:port); as a module:
// startBalancer(). Errors of its own have the API's error body: 502 SPILLWAY_API_INSTANCE_FAILED, 503
// SPILLWAY_NO_API_INSTANCE.
'use strict';
const http = require('node:http');

/** Headers of one hop that are never forwarded (RFC 9110 §7.6.1), plus those the upstream request sets itself. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * @typedef {object} Backend
 * @property {string} host
 * @property {number} port
 * @property {number} downUntil   epoch ms until which it is skipped after a failed connect
 * @property {number} served      responses it gave
 * @property {number} active      requests it holds right now
 * @property {number} failures    connects that failed
 *
 * @typedef {object} Forwarded   one answered request, for onResponse
 * @property {string} backend     host:port of the instance that answered
 * @property {string} method
 * @property {string} url
 * @property {number} statusCode
 *
 * @typedef {object} Balancer
 * @property {string} url
 * @property {number} port
 * @property {Backend[]} backends
 * @property {() => Array<Omit<Backend, 'downUntil'> & { address: string, up: boolean }>} stats
 * @property {() => Promise<void>} close
 */

/**
 * @param {string} spec host:port
 * @returns {Backend}
 */
function parseBackend(spec) {
  const match = /^(.+):(\d+)$/.exec(spec.trim());
  if (!match?.[1]) throw new Error(`a backend is host:port, got "${spec}"`);
  return { host: match[1], port: Number(match[2]), downUntil: 0, served: 0, active: 0, failures: 0 };
}

/**
 * @param {http.IncomingMessage} req
 * @returns {http.OutgoingHttpHeaders}
 */
function forwardedHeaders(req) {
  /** @type {http.OutgoingHttpHeaders} */
  const headers = {};
  const extra = new Set(
    String(req.headers.connection || '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  for (const [name, value] of Object.entries(req.headers)) {
    if (!HOP_BY_HOP.has(name) && !extra.has(name)) headers[name] = value;
  }
  const client = req.socket.remoteAddress || '';
  headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${req.headers['x-forwarded-for']}, ${client}` : client;
  headers['x-forwarded-proto'] = req.headers['x-forwarded-proto'] || 'http';
  if (req.headers.host) headers['x-forwarded-host'] = req.headers['x-forwarded-host'] || req.headers.host;
  headers.connection = 'close';
  return headers;
}

/**
 * @param {http.IncomingMessage} upstream
 * @returns {http.OutgoingHttpHeaders}
 */
function responseHeaders(upstream) {
  /** @type {http.OutgoingHttpHeaders} */
  const headers = {};
  for (const [name, value] of Object.entries(upstream.headers)) {
    if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
  }
  return headers;
}

/**
 * @param {http.ServerResponse} res
 * @param {502 | 503} statusCode
 * @param {string} code
 * @param {string} message
 */
function sendError(res, statusCode, code, message) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({
    statusCode,
    code,
    error: statusCode === 502 ? 'Bad Gateway' : 'Service Unavailable',
    message,
  });
  res.writeHead(statusCode, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * `onResponse` hears of every answer an instance gave (an access log; tests use it to see which instance served what).
 * @param {{ host?: string, port?: number, backends: string[], retryAfterMs?: number, log?: (m: string) => void,
 *   onResponse?: (forwarded: Forwarded) => void }} options
 * @returns {Promise<Balancer>}
 */
async function startBalancer({
  host = '127.0.0.1',
  port = 0,
  backends,
  retryAfterMs = 1000,
  log = () => undefined,
  onResponse = () => undefined,
}) {
  if (!backends || backends.length === 0) throw new Error('the balancer needs at least one backend');
  const pool = backends.map(parseBackend);
  let next = 0;

  /**
   * The next backend in turn that is not known to be down and was not tried for this request yet.
   * @param {Set<Backend>} tried
   * @returns {Backend | undefined}
   */
  const pick = (tried) => {
    const now = Date.now();
    for (let i = 0; i < pool.length; i++) {
      const backend = pool[(next + i) % pool.length];
      if (!backend || tried.has(backend) || backend.downUntil > now) continue;
      next = (next + i + 1) % pool.length;
      return backend;
    }
    // Every untried one is marked down: try those anyway rather than refuse (it may be back).
    return pool.find((b) => !tried.has(b));
  };

  /**
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   * @param {Set<Backend>} tried
   */
  const forward = (req, res, tried) => {
    const backend = pick(tried);
    if (!backend) {
      sendError(res, 503, 'SPILLWAY_NO_API_INSTANCE', `no API instance answers (${pool.length} configured)`);
      return;
    }
    tried.add(backend);
    let sent = false;
    const upstream = http.request({
      host: backend.host,
      port: backend.port,
      method: req.method,
      path: req.url,
      headers: forwardedHeaders(req),
      agent: false,
    });
    const start = () => {
      if (sent) return;
      sent = true;
      backend.active++;
      req.pipe(upstream);
    };
    upstream.once('socket', (socket) => {
      socket.setNoDelay(true);
      if (socket.connecting) socket.once('connect', start);
      else start();
    });
    upstream.once('response', (answer) => {
      backend.served++;
      onResponse({
        backend: `${backend.host}:${backend.port}`,
        method: req.method || 'GET',
        url: req.url || '/',
        statusCode: answer.statusCode || 502,
      });
      res.writeHead(answer.statusCode || 502, answer.statusMessage, responseHeaders(answer));
      // Headers now, so an event stream's client sees it open before the first event.
      res.flushHeaders();
      answer.pipe(res);
      answer.once('error', () => res.destroy());
    });
    upstream.once('close', () => {
      if (sent) backend.active--;
    });
    upstream.on('error', (/** @type {NodeJS.ErrnoException} */ err) => {
      if (!sent) {
        // Nothing left this process: the request is intact, another instance may take it.
        backend.failures++;
        backend.downUntil = Date.now() + retryAfterMs;
        log(`API instance ${backend.host}:${backend.port} refused a connection (${err.code || err.message})`);
        forward(req, res, tried);
        return;
      }
      sendError(
        res,
        502,
        'SPILLWAY_API_INSTANCE_FAILED',
        `the API instance failed while answering (${err.code || err.message}); a request with an idempotency key is safe to repeat`,
      );
    });
    // The client went away (a closed event stream, an aborted request): so does the upstream request.
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
  };

  const server = http.createServer((req, res) => forward(req, res, new Set()));
  server.on('connection', (socket) => socket.setNoDelay(true));
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      resolve(undefined);
    });
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`,
    port: boundPort,
    backends: pool,
    stats: () =>
      pool.map(({ host: h, port: p, served, active, failures, downUntil }) => ({
        address: `${h}:${p}`,
        host: h,
        port: p,
        served,
        active,
        failures,
        up: downUntil <= Date.now(),
      })),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeAllConnections();
      }),
  };
}

module.exports = { startBalancer };

if (require.main === module) {
  const env = process.env;
  startBalancer({
    host: env.BALANCER_HOST || '127.0.0.1',
    port: Number(env.BALANCER_PORT || 8080),
    backends: String(env.BALANCER_BACKENDS || '')
      .split(',')
      .filter(Boolean),
    log: (m) => console.log(m),
  }).then(
    (balancer) => {
      console.log(
        `balancer listening on ${balancer.url}, round robin over ${balancer.backends.map((b) => `${b.host}:${b.port}`).join(', ')}`,
      );
      const stop = () => void balancer.close().then(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    },
    (err) => {
      console.error(`the balancer could not start: ${err.message}`);
      process.exit(1);
    },
  );
}
