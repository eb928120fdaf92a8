// docker/compose.yaml without a Docker engine: it must be valid against the Compose Specification's JSON schema
// and pass dclint, mount only files that exist, run the Temporal version the laptop profile builds, and give our
// services only environment variables the code behind them reads, with values the config readers accept.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { DCLinter } from 'dclint';
import { parse } from 'yaml';
import { loadConfig } from '../../domain/config';
import { lambdaServiceOptionsFromEnv } from '../../lambda/config';
import {
  COMPOSE_FILE,
  DOCKER_DIR,
  ROOT,
  entrypointProcessRoles,
  entrypointRoles,
  environmentReadBy,
  readCompose,
  serviceEnvironment,
  spillwayServices,
} from './docker-files';

/* eslint-disable @typescript-eslint/no-require-imports */
const { TEMPORAL_SERVER_VERSION, CONFIG_DIR } = require('../../scripts/lib/temporal-server.js') as {
  TEMPORAL_SERVER_VERSION: string;
  CONFIG_DIR: string;
};
/* eslint-enable @typescript-eslint/no-require-imports */

const compose = readCompose();
const ours = spillwayServices(compose);

describe('docker/compose.yaml', () => {
  test('is valid against the Compose Specification JSON schema (the copy dclint ships)', () => {
    const schemaFile = path.join(
      path.dirname(require.resolve('dclint/package.json')),
      'schemas',
      'compose.schema.json',
    );
    const { $schema, ...schema } = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
    // Ajv's default class is draft-07, the dialect the schema names (with an https URL Ajv does not know by name).
    expect($schema).toMatch(/draft-07/);
    // As Compose itself and dclint validate: unknown formats and keywords (such as "deprecated") are not errors.
    const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
    const validate = ajv.compile(schema);
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  test('the schema check has teeth: an unknown service key and a bad depends_on condition fail', () => {
    const schemaFile = path.join(
      path.dirname(require.resolve('dclint/package.json')),
      'schemas',
      'compose.schema.json',
    );
    const { $schema: _unused, ...schema } = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
    const validate = new Ajv({ strict: false, allowUnionTypes: true }).compile(schema);
    expect(validate({ services: { a: { image: 'x', restart_policy: 'always' } } })).toBe(false);
    expect(validate({ services: { a: { image: 'x', depends_on: { b: { condition: 'service_ready' } } } } })).toBe(
      false,
    );
  });

  test('passes dclint with the settings in docker/.dclintrc.yaml, without a single message', () => {
    const settings = parse(readFileSync(path.join(DOCKER_DIR, '.dclintrc.yaml'), 'utf8')) as {
      rules: Record<string, 0 | 1 | 2>;
    };
    const linter = new DCLinter({ rules: settings.rules, quiet: false, debug: false, exclude: [] });
    const [result] = linter.lintFiles([COMPOSE_FILE], false);
    expect(result?.messages.map((m) => `${m.line}: ${m.rule}: ${m.message}`)).toEqual([]);
  });

  test('mounts only files and folders that exist', () => {
    const missing: string[] = [];
    for (const [name, service] of Object.entries(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (!source.startsWith('.')) continue; // named volumes and the Docker socket
        if (!existsSync(path.resolve(DOCKER_DIR, source))) missing.push(`${name}: ${source}`);
      }
    }
    expect(missing).toEqual([]);
  });

  test("runs the Temporal server version that the laptop profile builds, with the laptop profile's dynamic config", () => {
    const temporalImages = Object.values(compose.services)
      .map((s) => s.image ?? '')
      .filter((image) => /^temporalio\/(server|admin-tools):/.test(image));
    expect(temporalImages.length).toBeGreaterThanOrEqual(3);
    for (const image of temporalImages) {
      expect(image).toMatch(new RegExp(`:\\$\\{TEMPORAL_VERSION:-${TEMPORAL_SERVER_VERSION.replace(/^v/, '')}\\}$`));
    }
    const mounted = (compose.services.temporal?.volumes ?? []).map((v) => path.resolve(DOCKER_DIR, v.split(':')[0]!));
    expect(mounted).toContain(path.join(CONFIG_DIR, 'dynamicconfig.yaml'));
    const { DYNAMIC_CONFIG_FILE_PATH } = serviceEnvironment(compose.services.temporal!);
    expect(compose.services.temporal?.volumes?.some((v) => v.split(':')[1] === DYNAMIC_CONFIG_FILE_PATH)).toBe(true);
  });

  test('runs two workers, two APIs behind the proxy, and the Lambda service, each a role of the entry point', () => {
    const roles = Object.fromEntries(ours.map(([name, s]) => [name, s.command?.[0]]));
    expect(roles).toMatchObject({ 'worker-1': 'worker', 'worker-2': 'worker', 'api-1': 'api', 'api-2': 'api' });
    expect(roles.lambda).toBe('lambda');
    for (const role of Object.values(roles)) expect(entrypointRoles()).toContain(role);
    const nginx = readFileSync(path.join(DOCKER_DIR, 'nginx.conf'), 'utf8');
    const apis = ours.filter(([, s]) => s.command?.[0] === 'api').map(([name]) => name);
    for (const api of apis) expect(nginx).toMatch(new RegExp(`server ${api}:8080`));
    expect(Object.keys(compose.services.gateway?.depends_on ?? {}).sort()).toEqual(apis.sort());
  });

  test('a profile swaps the local Lambda service for LocalStack', () => {
    expect(compose.services.lambda?.profiles).toEqual(['local']);
    expect(compose.services.localstack?.profiles).toEqual(['localstack']);
    const env = (file: string) =>
      Object.fromEntries(
        readFileSync(path.join(DOCKER_DIR, file), 'utf8')
          .split('\n')
          .filter((l) => /^[A-Z_]+=/.test(l))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
    expect(env('.env')).toMatchObject({ COMPOSE_PROFILES: 'local' });
    expect(env('localstack.env')).toMatchObject({
      COMPOSE_PROFILES: 'localstack',
      LAMBDA_ENDPOINT: 'http://localstack:4566',
    });
    expect(env('aws.env.example')).toMatchObject({ COMPOSE_PROFILES: 'aws' });
    // The workers do not wait for a Lambda service that a profile left out.
    for (const [, s] of ours.filter(([, s]) => s.command?.[0] === 'worker')) {
      expect(s.depends_on?.lambda).toEqual({ condition: 'service_healthy', required: false });
    }
  });

  describe.each(ours.filter(([, s]) => entrypointProcessRoles().includes(s.command?.[0] ?? '')))(
    'service %s',
    (_name, service) => {
      const role = service.command![0]!;

      test('sets only environment variables that the code behind its entry point reads', () => {
        const read = environmentReadBy(role);
        const unread = Object.keys(service.environment ?? {}).filter((name) => !read.has(name));
        expect(unread).toEqual([]);
      });

      test('has an environment the config readers accept in production', () => {
        const env = { NODE_ENV: 'production', ...serviceEnvironment(service, 'a-secret-of-at-least-16-chars') };
        if (role === 'lambda') expect(() => lambdaServiceOptionsFromEnv(env)).not.toThrow();
        else {
          const config = loadConfig(env);
          expect(config.temporal).toMatchObject({ address: 'temporal:7233', external: true });
          expect(config.redis.url).toBe('redis://redis:6379');
        }
      });
    },
  );

  test('the derivation of variables a process reads finds what the config module is known to read', () => {
    // A guard on the test's own parser: if it stopped following imports, every check above would pass vacuously.
    const worker = environmentReadBy('worker');
    for (const name of ['TEMPORAL_ADDRESS', 'TEMPORAL_TLS_CERT', 'REDIS_URL', 'WORKER_METRICS_ADDRESS']) {
      expect(worker).toContain(name);
    }
    expect(environmentReadBy('api')).toContain('WORKER_METRICS_URL');
    expect(environmentReadBy('lambda')).toContain('LAMBDA_QUEUE_FILE');
    // The local Lambda service's own setting: nothing the worker imports reads it.
    expect(environmentReadBy('worker')).not.toContain('LAMBDA_QUEUE_FILE');
    expect(ROOT).toBe(path.resolve(DOCKER_DIR, '..'));
  });
});
