// @ts-check
// Finds or builds spillway-otelcol, the OpenTelemetry Collector with an OTLP receiver and an OTLP/HTTP exporter
// (telemetry/collector/: the collector's own modules, pinned by go.sum), which the trace test starts as a real
// OTLP receiver. Built once with Go into ~/.cache/spillway (about a minute with a warm module cache).
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { existsSync, mkdirSync, readFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const COLLECTOR_VERSION = '0.165.0';
const SOURCE = path.resolve(__dirname, '..', 'telemetry', 'collector');

/** The cache folder of this exact source: a change to main.go, go.mod or go.sum builds anew. */
function cacheDir() {
  const base =
    process.env.SPILLWAY_CACHE_DIR ||
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'spillway');
  const digest = createHash('sha256');
  for (const file of ['main.go', 'go.mod', 'go.sum']) digest.update(readFileSync(path.join(SOURCE, file)));
  return path.join(base, `otelcol-${COLLECTOR_VERSION}-${digest.digest('hex').slice(0, 12)}`);
}

function findGo() {
  const found = spawnSync('sh', ['-c', 'command -v go'], { encoding: 'utf8' });
  if (found.status === 0) return found.stdout.trim();
  return existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined;
}

/** SPILLWAY_OTELCOL, or the cached build; undefined when neither exists. */
function findCollector() {
  if (process.env.SPILLWAY_OTELCOL) {
    if (!existsSync(process.env.SPILLWAY_OTELCOL)) {
      throw new Error(`SPILLWAY_OTELCOL points at ${process.env.SPILLWAY_OTELCOL}, which does not exist`);
    }
    return process.env.SPILLWAY_OTELCOL;
  }
  const cached = path.join(cacheDir(), 'spillway-otelcol');
  return existsSync(cached) ? cached : undefined;
}

/** A usable collector binary, built with `go build` the first time. */
function ensureCollector(log = console.log) {
  const found = findCollector();
  if (found) return found;
  const go = findGo();
  if (!go) throw new Error('No spillway-otelcol (SPILLWAY_OTELCOL or the cache) and no Go toolchain to build it.');
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  const binary = path.join(dir, 'spillway-otelcol');
  log(`building the OpenTelemetry Collector ${COLLECTOR_VERSION} (OTLP in, OTLP/HTTP out) once into ${dir} ...`);
  execFileSync(go, ['build', '-trimpath', '-o', binary, '.'], {
    cwd: SOURCE,
    env: { ...process.env, CGO_ENABLED: '0' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return binary;
}

module.exports = { COLLECTOR_VERSION, findCollector, ensureCollector };

if (require.main === module) {
  try {
    console.log(ensureCollector((m) => console.error(m)));
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
