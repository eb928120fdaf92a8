// The configuration of scale-out: shutdown grace periods and Worker Versioning, parsed once with the defaults the
// README gives, and the build id a build derives from its code.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../domain/config';
import { buildIdOf } from '../../worker/bundle-workflows';

test('defaults: 20 s worker drain, 10 s API drain, no Worker Versioning, SDK metrics on 127.0.0.1:9464', () => {
  const config = loadConfig({});
  expect(config.worker).toEqual({ shutdownGraceMs: 20_000, deployment: undefined, metricsAddress: '127.0.0.1:9464' });
  expect(config.api.shutdownGraceMs).toBe(10_000);
});

test('SPILLWAY_WORKER_DEPLOYMENT turns versioning on: auto-upgrade and promotion by default', () => {
  expect(loadConfig({ SPILLWAY_WORKER_DEPLOYMENT: 'spillway' }).worker.deployment).toEqual({
    name: 'spillway',
    buildId: undefined,
    behavior: 'AUTO_UPGRADE',
    promote: true,
  });
  expect(
    loadConfig({
      SPILLWAY_WORKER_DEPLOYMENT: 'spillway',
      SPILLWAY_BUILD_ID: 'v2.1.0',
      SPILLWAY_WORKER_VERSIONING_BEHAVIOR: 'pinned',
      SPILLWAY_WORKER_PROMOTE: 'false',
      SPILLWAY_WORKER_SHUTDOWN_GRACE_MS: '0',
    }).worker,
  ).toEqual({
    shutdownGraceMs: 0,
    deployment: { name: 'spillway', buildId: 'v2.1.0', behavior: 'PINNED', promote: false },
    metricsAddress: '127.0.0.1:9464',
  });
});

test.each([
  [{ SPILLWAY_BUILD_ID: 'b1' }, /SPILLWAY_BUILD_ID needs SPILLWAY_WORKER_DEPLOYMENT/],
  [{ SPILLWAY_WORKER_DEPLOYMENT: 'a.b' }, /must not contain '\.'/],
  [{ SPILLWAY_WORKER_DEPLOYMENT: 'has space' }, /letters, digits/],
  [{ SPILLWAY_WORKER_DEPLOYMENT: 'd', SPILLWAY_WORKER_VERSIONING_BEHAVIOR: 'sticky' }, /auto-upgrade or pinned/],
  [{ SPILLWAY_WORKER_SHUTDOWN_GRACE_MS: '-1' }, /SPILLWAY_WORKER_SHUTDOWN_GRACE_MS must be a whole number/],
  [{ SPILLWAY_API_SHUTDOWN_GRACE_MS: 'soon' }, /SPILLWAY_API_SHUTDOWN_GRACE_MS must be a whole number/],
])('%j is refused at start-up', (env, message) => {
  expect(() => loadConfig(env)).toThrow(ConfigError);
  expect(() => loadConfig(env)).toThrow(message);
});

describe('the build id', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'spillway-build-id-'));
    for (const folder of ['workflows', 'activities', 'domain']) {
      cpSync(path.resolve(__dirname, '..', '..', folder), path.join(dir, folder), { recursive: true });
    }
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'spillway', version: '9.9.9' }));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('is the same for the same code, and changes with any file a worker runs', () => {
    const first = buildIdOf(dir);
    expect(first).toMatch(/^spillway-9\.9\.9-[0-9a-f]{12}$/);
    expect(buildIdOf(dir)).toBe(first);
    writeFileSync(path.join(dir, 'activities', 'extra.ts'), 'export const x = 1;\n');
    expect(buildIdOf(dir)).not.toBe(first);
  });

  test('ignores code no worker runs', () => {
    const first = buildIdOf(dir);
    writeFileSync(path.join(dir, 'README.md'), 'docs\n');
    cpSync(path.join(dir, 'domain'), path.join(dir, 'bench'), { recursive: true });
    expect(buildIdOf(dir)).toBe(first);
  });
});
