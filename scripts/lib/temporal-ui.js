// @ts-check
// Temporal's Web UI for a server that is not the dev server (`npm start -- --profile server`): the dev server
// carries the UI inside the CLI, the production server does not. This is the same UI server the temporal CLI v1.5.1
// embeds (github.com/temporalio/ui-server/v2 v2.42.1, whose module holds the built UI), so its Go dependencies are
// mostly in the module cache already after the CLI build and it builds in well under a minute.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { cacheDir: cliCacheDir } = require('./temporal-cli');

const TEMPORAL_UI_VERSION = 'v2.42.1';
const MODULE = 'github.com/temporalio/ui-server/v2/cmd/server';

function cacheDir() {
  return path.join(path.dirname(cliCacheDir()), `temporal-ui-${TEMPORAL_UI_VERSION.replace(/^v/, '')}`);
}

function findGo() {
  if (existsSync('/usr/local/go/bin/go')) return '/usr/local/go/bin/go';
  return 'go';
}

/** The UI server binary, built once into the cache with `go install`. */
function ensureTemporalUi({ log = console.log } = {}) {
  const dir = cacheDir();
  const binary = path.join(dir, 'temporal-ui-server');
  if (existsSync(binary)) return binary;
  log(`building Temporal's Web UI server ${TEMPORAL_UI_VERSION} once into ${dir} ...`);
  // A private GOBIN, then a rename: an interrupted build never leaves a half-written binary in the cache.
  const gobin = `${dir}.build-${process.pid}`;
  rmSync(gobin, { recursive: true, force: true });
  mkdirSync(gobin, { recursive: true });
  try {
    execFileSync(findGo(), ['install', `${MODULE}@${TEMPORAL_UI_VERSION}`], {
      env: { ...process.env, GOBIN: gobin, GOFLAGS: '-mod=mod' },
      stdio: ['ignore', 'inherit', 'inherit'],
      cwd: os.tmpdir(),
    });
    mkdirSync(dir, { recursive: true });
    renameSync(path.join(gobin, 'server'), binary);
  } finally {
    rmSync(gobin, { recursive: true, force: true });
  }
  return binary;
}

/**
 * Writes the UI server's configuration (one base.yaml: the frontend's gRPC address, the port, the namespace) into
 * `dir/config` and returns the arguments that start it with it.
 * @param {{ dir: string, grpcAddress: string, port: number, namespace?: string }} options
 * @returns {string[]}
 */
function temporalUiArgs({ dir, grpcAddress, port, namespace = 'default' }) {
  const configDir = path.join(dir, 'config');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(
    path.join(configDir, 'base.yaml'),
    [
      `temporalGrpcAddress: ${grpcAddress}`,
      `port: ${port}`,
      'enableUi: true',
      `defaultNamespace: ${namespace}`,
      'notifyOnNewVersion: false',
      // Served on localhost over plain HTTP, as the dev server's UI is.
      'cors:',
      '  cookieInsecure: true',
      '',
    ].join('\n'),
  );
  return ['--root', dir, '--config', 'config', '--env', 'base', 'start'];
}

module.exports = { TEMPORAL_UI_VERSION, ensureTemporalUi, temporalUiArgs };

if (require.main === module) {
  // `node scripts/lib/temporal-ui.js` builds the UI server once (CI does, before the tests) and prints its path.
  try {
    console.log(ensureTemporalUi());
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
