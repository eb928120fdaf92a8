// @ts-check
// Small network helpers for the launchers: free ports, waiting for a port, pinging Redis without a client library.
'use strict';
const net = require('node:net');

/**
 * Ports this process has handed out: the kernel may offer a just-closed port again, and two of our servers then race.
 * @type {Set<number>}
 */
const handedOut = new Set();

/**
 * @param {string} host
 * @returns {Promise<number>}
 */
function listenOnce(host) {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(address.port));
    });
  });
}

/**
 * A port free now that this process has not handed out before (one stack's processes each get their own).
 * @param {string} [host]
 * @returns {Promise<number>}
 */
async function freePort(host = '127.0.0.1') {
  for (let tries = 0; tries < 50; tries++) {
    const port = await listenOnce(host);
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port that this process has not handed out already');
}

/**
 * Resolves true when port can be bound on host right now.
 * @param {number} port
 * @param {string} host
 * @returns {Promise<boolean>}
 */
function canBind(port, host) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * The first of `count` consecutive ports that are free now and not handed out before: for `npm start -- --apis N`,
 * whose API instances take the ports after API_PORT.
 * @param {number} count
 * @param {string} [host]
 * @returns {Promise<number>}
 */
async function freeConsecutivePorts(count, host = '127.0.0.1') {
  for (let tries = 0; tries < 50; tries++) {
    const first = await freePort(host);
    const rest = Array.from({ length: count - 1 }, (_, i) => first + 1 + i);
    if (rest.some((port) => handedOut.has(port) || port > 65535)) continue;
    if ((await Promise.all(rest.map((port) => canBind(port, host)))).every(Boolean)) {
      for (const port of rest) handedOut.add(port);
      return first;
    }
  }
  throw new Error(`no ${count} consecutive free ports`);
}

/**
 * @param {number} port
 * @param {string} [host]
 * @param {number} [timeoutMs]
 * @returns {Promise<boolean>}
 */
function canConnect(port, host = '127.0.0.1', timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    /** @param {boolean} ok */
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * @param {number} port
 * @param {string} [host]
 * @param {number} [timeoutMs]
 * @param {() => boolean} [isAlive]  false stops the wait: the process that should listen exited
 */
async function waitForPort(port, host = '127.0.0.1', timeoutMs = 60_000, isAlive = () => true) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await canConnect(port, host)) return;
    if (!isAlive()) throw new Error(`the process that should listen on ${host}:${port} exited`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs / 1000} s`);
}

/**
 * Sends PING over RESP and resolves true on +PONG (or an auth error, which still proves a Redis is there).
 * @param {string} url
 * @param {number} [timeoutMs]
 * @returns {Promise<boolean>}
 */
function pingRedis(url, timeoutMs = 1000) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
    /** @param {boolean} ok */
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.once('data', (data) => done(/^(\+PONG|-NOAUTH|-ERR)/.test(data.toString())));
    socket.once('error', () => done(false));
  });
}

/**
 * @param {string} url
 * @param {number} [timeoutMs]
 * @param {() => boolean} [isAlive]  false stops the wait: the process behind url exited
 */
async function waitForHttp(url, timeoutMs = 60_000, isAlive = () => true) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (!isAlive()) throw new Error(`the process behind ${url} exited`);
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} was not healthy within ${timeoutMs / 1000} s (${last})`);
}

module.exports = { freePort, freeConsecutivePorts, canBind, canConnect, waitForPort, pingRedis, waitForHttp };
