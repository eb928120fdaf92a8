// @ts-check
// Finds the `temporal` CLI, or builds the pinned release once into a cache outside the repo.
// v1.5.1 is the newest release whose go.mod has no `replace` directive, so `go install ...@version` can build it.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const { existsSync, mkdirSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const TEMPORAL_CLI_VERSION = 'v1.5.1';
const MODULE = 'github.com/temporalio/cli/cmd/temporal';

function cacheDir() {
  const base =
    process.env.SPILLWAY_CACHE_DIR ||
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'spillway');
  return path.join(base, `temporal-${TEMPORAL_CLI_VERSION.replace(/^v/, '')}`);
}

/**
 * @param {string} name
 * @returns {string | undefined}
 */
function onPath(name) {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** The CLI to use: TEMPORAL_CLI, then PATH, then the cache. Undefined when none exists yet. */
function findTemporalCli() {
  if (process.env.TEMPORAL_CLI) {
    if (!existsSync(process.env.TEMPORAL_CLI))
      throw new Error(`TEMPORAL_CLI points at ${process.env.TEMPORAL_CLI}, which does not exist`);
    return process.env.TEMPORAL_CLI;
  }
  const fromPath = onPath('temporal');
  if (fromPath) return fromPath;
  const cached = path.join(cacheDir(), 'temporal');
  return existsSync(cached) ? cached : undefined;
}

/** Returns a usable CLI path, building it with `go install` the first time. */
function ensureTemporalCli(log = console.log) {
  const found = findTemporalCli();
  if (found) return found;
  const go = onPath('go') || (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    throw new Error(
      'No temporal CLI found (TEMPORAL_CLI, PATH or the cache) and no Go toolchain to build it.\n' +
        `Install Go, or put a temporal CLI on PATH, or set TEMPORAL_ADDRESS to use an existing cluster.`,
    );
  }
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  log(`building the temporal CLI ${TEMPORAL_CLI_VERSION} once into ${dir} (a few minutes) ...`);
  execFileSync(go, ['install', `${MODULE}@${TEMPORAL_CLI_VERSION}`], {
    env: { ...process.env, GOBIN: dir, GOFLAGS: '-mod=mod' },
    stdio: ['ignore', 'inherit', 'inherit'],
    cwd: os.tmpdir(),
  });
  return path.join(dir, 'temporal');
}

module.exports = { TEMPORAL_CLI_VERSION, findTemporalCli, ensureTemporalCli, cacheDir };

if (require.main === module) {
  try {
    console.log(ensureTemporalCli());
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
