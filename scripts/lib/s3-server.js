// @ts-check
// Finds SeaweedFS's `weed` (a real S3-compatible server), or builds the pinned version once into a cache outside the
// repo, and runs it: master, volume, filer and S3 gateway in one process on free loopback ports, with one access key.
// Large task payloads and results go through it (clients/object-store.ts) the way they go through S3 on AWS.
//
// Why SeaweedFS: it is served by the Go module proxy, so every machine that builds the temporal CLI can build it too;
// it speaks S3 with SigV4 (pre-signed URLs included) and checks credentials. Its go.mod has a `replace` directive, so
// `go install …@version` refuses it: the module is downloaded with `go mod download` and built as the main module.
'use strict';
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} = require('node:fs');
const { randomBytes } = require('node:crypto');
const os = require('node:os');
const path = require('node:path');
const { freePort } = require('./net');

const SEAWEEDFS_MODULE = 'github.com/seaweedfs/seaweedfs';
/** A pseudo-version the module proxy serves (a snapshot of master, November 2026: `weed version` says 4.53). */
const SEAWEEDFS_VERSION = 'v0.0.0-20261109003541-7506e5f91cd6';

function cacheDir() {
  const base =
    process.env.SPILLWAY_CACHE_DIR ||
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'spillway');
  return path.join(base, `seaweedfs-${SEAWEEDFS_VERSION.split('-').pop()}`);
}

/**
 * @param {string} name
 * @returns {string | undefined}
 */
function onPath(name) {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** The `weed` to use: SPILLWAY_WEED, then the cache. Undefined when none exists yet. */
function findWeed() {
  if (process.env.SPILLWAY_WEED) {
    if (!existsSync(process.env.SPILLWAY_WEED))
      throw new Error(`SPILLWAY_WEED points at ${process.env.SPILLWAY_WEED}, which does not exist`);
    return process.env.SPILLWAY_WEED;
  }
  const cached = path.join(cacheDir(), 'weed');
  return existsSync(cached) ? cached : undefined;
}

/** Returns a usable `weed`, building it with Go the first time (about 6 minutes on 2 cores, downloads included). */
function ensureWeed(log = console.log) {
  const found = findWeed();
  if (found) return found;
  const go = onPath('go') || (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new Error(
      'No SeaweedFS `weed` found (SPILLWAY_WEED or the cache) and no Go toolchain to build it.\n' +
        'Install Go, or set SPILLWAY_WEED, or point SPILLWAY_S3_ENDPOINT at an S3 service.',
    );
  }
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  log(`building SeaweedFS ${SEAWEEDFS_VERSION} once into ${dir} (about 6 minutes) ...`);
  const env = { ...process.env, GOFLAGS: '-mod=mod' };
  const info = JSON.parse(
    execFileSync(go, ['mod', 'download', '-json', `${SEAWEEDFS_MODULE}@${SEAWEEDFS_VERSION}`], {
      env,
      cwd: os.tmpdir(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  if (!info.Dir) throw new Error(`go mod download gave no source folder: ${info.Error ?? 'unknown error'}`);
  // The module cache is read-only; a build as the main module needs a writable copy.
  const src = mkdtempSync(path.join(os.tmpdir(), 'spillway-seaweedfs-'));
  try {
    cpSync(info.Dir, src, { recursive: true });
    makeWritable(src);
    execFileSync(go, ['build', '-o', path.join(dir, 'weed'), './weed'], {
      env,
      cwd: src,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  } finally {
    rmSync(src, { recursive: true, force: true });
  }
  return path.join(dir, 'weed');
}

/** @param {string} dir */
function makeWritable(dir) {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    const st = statSync(full);
    if (st.isDirectory()) makeWritable(full);
    else chmodSync(full, 0o644);
  }
}

/**
 * @param {string} endpoint
 * @param {import('node:child_process').ChildProcess} child
 * @param {number} timeoutMs
 */
async function waitForS3(endpoint, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('weed exited while starting');
    try {
      // Anonymous requests are refused once the gateway is up and has loaded its identities.
      const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 403 || res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the S3 gateway did not answer at ${endpoint} within ${timeoutMs / 1000} s`);
}

/**
 * @typedef {object} RunningS3Server
 * @property {string} endpoint  the S3 endpoint, http://127.0.0.1:<port>
 * @property {string} accessKeyId
 * @property {string} secretAccessKey
 * @property {import('node:child_process').ChildProcess} child
 * @property {() => Promise<void>} stop  SIGTERM, SIGKILL after 10 s
 */

/**
 * Starts `weed server -s3` with its data in dataDir, every port free and on 127.0.0.1.
 * @param {{ dataDir: string, accessKeyId: string, secretAccessKey: string, weed?: string, s3Port?: number,
 *   logFile?: string, log?: (m: string) => void, timeoutMs?: number }} options
 * @returns {Promise<RunningS3Server>}
 */
async function startS3Server(options) {
  const weed = options.weed ?? ensureWeed(options.log);
  mkdirSync(options.dataDir, { recursive: true });
  const config = path.join(options.dataDir, 's3-identities.json');
  writeFileSync(
    config,
    JSON.stringify({
      identities: [
        {
          name: 'spillway',
          credentials: [{ accessKey: options.accessKeyId, secretKey: options.secretAccessKey }],
          actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'],
        },
      ],
    }),
    { mode: 0o600 },
  );
  const port = async () => freePort();
  const s3Port = options.s3Port ?? (await port());
  const args = [
    'server',
    `-dir=${options.dataDir}`,
    '-ip=127.0.0.1',
    '-ip.bind=127.0.0.1',
    `-master.port=${await port()}`,
    `-master.port.grpc=${await port()}`,
    `-volume.port=${await port()}`,
    `-volume.port.grpc=${await port()}`,
    // Volumes are made per bucket; 0 lets the server size the count from the free disk, small keeps them light.
    '-volume.max=0',
    '-master.volumeSizeLimitMB=64',
    '-filer',
    `-filer.port=${await port()}`,
    `-filer.port.grpc=${await port()}`,
    '-s3',
    `-s3.port=${s3Port}`,
    `-s3.port.grpc=${await port()}`,
    '-s3.port.iceberg=0',
    '-s3.port.lance=0',
    `-s3.config=${config}`,
  ];
  const out = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
  const child = spawn(weed, args, { cwd: options.dataDir, stdio: ['ignore', out, out] });
  const endpoint = `http://127.0.0.1:${s3Port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const exited = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!exited) child.kill('SIGKILL');
  };
  try {
    await waitForS3(endpoint, child, options.timeoutMs ?? 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint, accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey, child, stop };
}

module.exports = { SEAWEEDFS_MODULE, SEAWEEDFS_VERSION, cacheDir, findWeed, ensureWeed, startS3Server };

if (require.main === module) {
  // `node scripts/lib/s3-server.js` builds (if needed) and prints the path; `… serve <dir>` runs a server until Ctrl+C.
  (async () => {
    const [command, dir] = process.argv.slice(2);
    if (command !== 'serve') {
      console.log(ensureWeed());
      return;
    }
    // A key of its own each time, printed: the processes' SPILLWAY_S3_* variables are for connecting to a store.
    const server = await startS3Server({
      dataDir: path.resolve(dir ?? 'data/s3'),
      accessKeyId: 'spillway-local',
      secretAccessKey: randomBytes(24).toString('hex'),
      s3Port: process.env.SPILLWAY_S3_PORT ? Number(process.env.SPILLWAY_S3_PORT) : undefined,
    });
    console.log(`S3 at ${server.endpoint}, access key ${server.accessKeyId}, secret ${server.secretAccessKey}`);
    const stop = () => void server.stop().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  })().catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}
