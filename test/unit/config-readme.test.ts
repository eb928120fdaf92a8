// Every environment variable a Spillway process reads is in the README's configuration table. The variables the
// configuration modules read are recorded as they read them (an env that notes each name asked for); the few read
// elsewhere are found in the source. A variable added without a row here fails this test.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../domain/config';
import { lambdaServiceOptionsFromEnv } from '../../lambda/config';

const ROOT = path.resolve(__dirname, '..', '..');
/** The folders of code that runs in a Spillway process (the bench, scripts and tests have their own switches). */
const PROCESS_CODE = [
  'activities',
  'api',
  'cli',
  'clients',
  'domain',
  'lambda',
  'live',
  'pipelines',
  'runtimes',
  'sdk',
  'telemetry',
  'worker',
  'workflows',
];

function recordingEnv(base: Record<string, string>) {
  const read = new Set<string>();
  const env = new Proxy(base, {
    get(target, name) {
      if (typeof name === 'string' && /^[A-Z][A-Z0-9_]+$/.test(name)) read.add(name);
      return target[name as string];
    },
    has(target, name) {
      if (typeof name === 'string') read.add(name);
      return name in target;
    },
  });
  return { env: env as NodeJS.ProcessEnv, read };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(full);
    return /\.(ts|js)$/.test(name) && !name.endsWith('.d.ts') ? [full] : [];
  });
}

/**
 * Variables that are not Spillway's settings: those the Lambda runtime sets for a function (the runtime code reads
 * them inside the function's environment) and the operating system's own.
 */
const NOT_SETTINGS =
  /^(AWS_LAMBDA_.+|AWS_EXECUTION_ENV|LAMBDA_TASK_ROOT|LAMBDA_RUNTIME_DIR|_HANDLER|PATH|NODE_PATH|NODE_ENV|HOME|TZ)$/;

/** Names read as `process.env.NAME`, `env.NAME` or `env['NAME']` in the process code. */
function namesInSource(): Set<string> {
  const names = new Set<string>();
  const pattern = /\benv(?:\.([A-Z][A-Z0-9_]{2,})\b|\[\s*'([A-Z][A-Z0-9_]{2,})'\s*\])/g;
  for (const dir of PROCESS_CODE) {
    const full = path.join(ROOT, dir);
    if (!statSync(full, { throwIfNoEntry: false })?.isDirectory()) continue;
    for (const file of sourceFiles(full)) {
      for (const m of readFileSync(file, 'utf8').matchAll(pattern)) {
        const name = m[1] ?? m[2] ?? '';
        if (!NOT_SETTINGS.test(name)) names.add(name);
      }
    }
  }
  return names;
}

function readmeConfigurationSection(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Configuration\n');
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 5);
  return readme.slice(start, end < 0 ? undefined : end);
}

test('every variable the configuration modules read has a row in the README', () => {
  const spillway = recordingEnv({ SPILLWAY_CALLBACK_SECRET: 'a-secret-of-at-least-some-length' });
  loadConfig(spillway.env);
  const lambda = recordingEnv({});
  lambdaServiceOptionsFromEnv(lambda.env);
  const read = [...new Set([...spillway.read, ...lambda.read])].sort();
  // The recording saw what it should: the core variables are among them.
  expect(read).toEqual(
    expect.arrayContaining(['TEMPORAL_ADDRESS', 'REDIS_URL', 'SCHEDULER_AUTO_POLICY', 'LAMBDA_PORT']),
  );
  const section = readmeConfigurationSection();
  expect(read.filter((name) => !section.includes(`\`${name}\``))).toEqual([]);
});

test('every variable read elsewhere in the process code has a row in the README', () => {
  const names = [...namesInSource()].sort();
  expect(names).toEqual(expect.arrayContaining(['LOG_LEVEL', 'OTEL_EXPORTER_OTLP_ENDPOINT']));
  const section = readmeConfigurationSection();
  expect(names.filter((name) => !section.includes(`\`${name}\``))).toEqual([]);
});
