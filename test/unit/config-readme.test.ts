// The README's configuration table against the code: every environment variable a Spillway process or launcher reads
// has a row, and every default a row states is the one the code applies. The configuration modules report their
// variables as they read them (an env that notes each name asked for) and their defaults as they apply them
// (configDefaults); the few variables read elsewhere, and the launchers' (scripts/), are found in the source, with
// the defaults written beside them (`env.NAME || 'default'`). A variable added without a row, or a default changed
// on one side only, fails this test.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { configDefaults, loadConfig, type ConfigDefault } from '../../domain/config';
import { lambdaServiceOptionsFromEnv } from '../../lambda/config';

const ROOT = path.resolve(__dirname, '..', '..');
/** The folders of code that runs in a Spillway process (the bench and the tests have their own switches). */
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
/** The launchers: `npm start`/`npm stop`, the balancer, the builds of the binaries in ~/.cache/spillway. */
const LAUNCHERS = ['scripts'];
/** The configuration module's secret has no default and must be set for loadConfig to run. */
const REQUIRED = { SPILLWAY_CALLBACK_SECRET: 'a-secret-of-at-least-some-length' };

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
    return /\.(ts|js|mjs)$/.test(name) && !name.endsWith('.d.ts') ? [full] : [];
  });
}

function filesOf(dirs: string[]): string[] {
  return dirs.flatMap((dir) => {
    const full = path.join(ROOT, dir);
    return statSync(full, { throwIfNoEntry: false })?.isDirectory() ? sourceFiles(full) : [];
  });
}

/**
 * Variables that are not Spillway's settings: those the Lambda runtime sets for a function (the runtime code reads
 * them inside the function's environment), the operating system's and Go's own.
 */
const NOT_SETTINGS =
  /^(AWS_LAMBDA_.+|AWS_EXECUTION_ENV|LAMBDA_TASK_ROOT|LAMBDA_RUNTIME_DIR|_HANDLER|PATH|NODE_PATH|NODE_ENV|HOME|TZ|XDG_CACHE_HOME|GOTOOLCHAIN)$/;

/** Names read as `process.env.NAME`, `env.NAME` or `env['NAME']` in these files. */
function namesInSource(files: string[]): Set<string> {
  const names = new Set<string>();
  const pattern = /\benv(?:\.([A-Z][A-Z0-9_]{2,})\b|\[\s*'([A-Z][A-Z0-9_]{2,})'\s*\])/g;
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(pattern)) {
      const name = m[1] ?? m[2] ?? '';
      if (!NOT_SETTINGS.test(name)) names.add(name);
    }
  }
  return names;
}

/** Defaults written beside a read: `env.NAME || 'text'`, `env.NAME ?? 8080`, `Number(env.NAME || 20_000)`. */
function defaultsInSource(files: string[]): Array<{ name: string; value: string; where: string }> {
  const pattern = /\benv\.([A-Z][A-Z0-9_]{2,})\s*(?:\|\||\?\?)\s*(?:'([^'`$]*)'|([0-9][0-9_]*(?:\.[0-9]+)?)\b)/g;
  return files.flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(pattern)]
      .map((m) => ({
        name: m[1] ?? '',
        value: m[2] ?? (m[3] ?? '').replace(/_/g, ''),
        where: path.relative(ROOT, file),
      }))
      // `env.NAME ?? ''` is unset by another name.
      .filter((found) => found.value !== ''),
  );
}

function readmeConfigurationSection(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Configuration\n');
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 5);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** Splits a cell at its top-level ", " (not inside parentheses or `code`). */
function topLevelParts(cell: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let code = false;
  let current = '';
  for (let i = 0; i < cell.length; i++) {
    const c = cell[i] as string;
    if (c === '`') code = !code;
    else if (!code && c === '(') depth++;
    else if (!code && c === ')') depth--;
    if (!code && depth === 0 && c === ',' && cell[i + 1] === ' ') {
      parts.push(current.trim());
      current = '';
      i++;
      continue;
    }
    current += c;
  }
  parts.push(current.trim());
  return parts;
}

/**
 * What the README says of each variable's default: the rows' second cell, split so that the n-th of several
 * variables in a row gets the n-th default ("`A`, `B` | 5, 10 (…)"); a row with fewer parts than variables says
 * one thing of them all.
 */
function documentedDefaults(section: string): Map<string, string> {
  const documented = new Map<string, string>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').slice(1, -1);
    if (cells.length < 2 || /^\s*-+\s*$/.test(cells[0] ?? '')) continue;
    const names = [...(cells[0] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1] as string);
    const parts = topLevelParts((cells[1] ?? '').trim());
    names.forEach((name, i) =>
      documented.set(name, parts.length >= names.length ? (parts[i] ?? '') : parts.join(', ')),
    );
  }
  return documented;
}

/**
 * Whether the README's words for a default state `value`: they begin with it (`code` marks dropped, `<NAME>` read as
 * NAME's default), or they name another variable whose default it is ("`AWS_REGION` (…)").
 */
function states(words: string, value: string, defaults: ReadonlyMap<string, ConfigDefault>): boolean {
  const text = words
    .replace(/`/g, '')
    .replace(/<([A-Z][A-Z0-9_]+)>/g, (all, name: string) => (defaults.has(name) ? String(defaults.get(name)) : all));
  if (text === value || (text.startsWith(value) && /^[\s(;]/.test(text.slice(value.length)))) return true;
  const named = /^([A-Z][A-Z0-9_]+)\b/.exec(text)?.[1];
  return named !== undefined && defaults.has(named) && String(defaults.get(named)) === value;
}

test('every variable the configuration modules read has a row in the README', () => {
  const spillway = recordingEnv(REQUIRED);
  loadConfig(spillway.env);
  const lambda = recordingEnv({});
  lambdaServiceOptionsFromEnv(lambda.env);
  const read = [...new Set([...spillway.read, ...lambda.read])].sort();
  // The recording saw what it should: the core variables are among them.
  expect(read).toEqual(
    expect.arrayContaining(['TEMPORAL_ADDRESS', 'REDIS_URL', 'SCHEDULER_AUTO_POLICY', 'LAMBDA_PORT', 'LOG_LEVEL']),
  );
  const section = readmeConfigurationSection();
  expect(read.filter((name) => !section.includes(`\`${name}\``))).toEqual([]);
});

test('every variable read elsewhere in the process code has a row in the README', () => {
  const names = [...namesInSource(filesOf(PROCESS_CODE))].sort();
  expect(names).toEqual(expect.arrayContaining(['OTEL_EXPORTER_OTLP_ENDPOINT', 'SPILLWAY_API_URL']));
  const section = readmeConfigurationSection();
  expect(names.filter((name) => !section.includes(`\`${name}\``))).toEqual([]);
});

test('every variable the launchers (scripts/) read has a row in the README', () => {
  const names = [...namesInSource(filesOf(LAUNCHERS))].sort();
  expect(names).toEqual(
    expect.arrayContaining(['SPILLWAY_CACHE_DIR', 'SPILLWAY_DATA_DIR', 'TEMPORAL_CLI', 'BALANCER_BACKENDS', 'PGHOST']),
  );
  const section = readmeConfigurationSection();
  expect(names.filter((name) => !section.includes(`\`${name}\``))).toEqual([]);
});

test("every default the configuration module applies is the README's", () => {
  const defaults = configDefaults(REQUIRED);
  // The recording saw what it should.
  expect(defaults.get('API_PORT')).toBe(8080);
  expect(defaults.get('SCHEDULER_ENABLE_WARM_POOL')).toBe(true);
  const documented = documentedDefaults(readmeConfigurationSection());
  const wrong = [...defaults]
    .filter(([name, value]) => !states(documented.get(name) ?? '(no row)', String(value), defaults))
    .map(([name, value]) => `${name}: code ${String(value)}, README "${documented.get(name) ?? '(no row)'}"`);
  expect(wrong).toEqual([]);
});

test("every default written beside a read in the launchers and the Lambda service is the README's", () => {
  const defaults = configDefaults(REQUIRED);
  const found = defaultsInSource([...filesOf(LAUNCHERS), path.join(ROOT, 'lambda', 'config.ts')]);
  expect(found.map((f) => f.name)).toEqual(expect.arrayContaining(['API_PORT', 'TEMPORAL_UI_PORT', 'LAMBDA_HOST']));
  const documented = documentedDefaults(readmeConfigurationSection());
  const wrong = found
    .filter(({ name }) => !NOT_SETTINGS.test(name))
    .filter(({ name, value }) => !states(documented.get(name) ?? '(no row)', value, defaults))
    .map(({ name, value, where }) => `${name}: ${where} ${value}, README "${documented.get(name) ?? '(no row)'}"`);
  expect(wrong).toEqual([]);
  // A variable both read: the launcher's default is the configuration module's.
  const disagreeing = found
    .filter(({ name, value }) => defaults.has(name) && String(defaults.get(name)) !== value)
    .map(({ name, value, where }) => `${name}: ${where} ${value}, domain/config.ts ${String(defaults.get(name))}`);
  expect(disagreeing).toEqual([]);
});
