// Reading docker/ the way Docker would, for tests on a machine without a Docker engine: the compose file with its
// anchors merged and its ${VAR:-default} interpolated, the entry point's roles, and what environment variables the
// code behind each entry point reads (following its imports from the source, not from a list kept by hand).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export const ROOT = path.resolve(__dirname, '..', '..');
export const DOCKER_DIR = path.join(ROOT, 'docker');
export const COMPOSE_FILE = path.join(DOCKER_DIR, 'compose.yaml');
export const DOCKERFILE = path.join(DOCKER_DIR, 'Dockerfile');
export const ENTRYPOINT = path.join(DOCKER_DIR, 'entrypoint.sh');

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number | null>;
  volumes?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string; required?: boolean }>;
  healthcheck?: { test: string[] };
}

export interface ComposeFile {
  name: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** The compose file as Compose sees it before interpolation: YAML merge keys (<<) applied. */
export function readCompose(): ComposeFile {
  return parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as ComposeFile;
}

/**
 * Compose's interpolation of one value: ${VAR:-default} and ${VAR-default} take the default, ${VAR:?message} and
 * ${VAR?message} take `required` (the value a user must supply), ${VAR} and $VAR are empty, $$ is a dollar.
 */
export function interpolate(value: string, required: string): string {
  return value
    .split('$$')
    .map((part) =>
      part
        .replace(/\$\{(\w+)(?:(:?[-?])([^}]*))?\}/g, (_, _name: string, op: string | undefined, arg: string) =>
          op === undefined ? '' : op.endsWith('-') ? arg : required,
        )
        .replace(/\$(\w+)/g, ''),
    )
    .join('$');
}

/** A service's environment after interpolation, as the container gets it. */
export function serviceEnvironment(
  service: ComposeService,
  required = 'a-required-value-set-by-the-user',
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v ?? ''), required)]),
  );
}

/** The services that run the Spillway image (the one built from docker/Dockerfile). */
export function spillwayServices(compose: ComposeFile): [string, ComposeService][] {
  return Object.entries(compose.services).filter(([, s]) => s.build?.dockerfile === 'docker/Dockerfile');
}

/** The roles docker/entrypoint.sh runs as a Spillway process: the `a | b | c)` arm of its case statement. */
export function entrypointProcessRoles(): string[] {
  const text = readFileSync(ENTRYPOINT, 'utf8');
  const arm = /^\s*([a-z]+(?:\s*\|\s*[a-z]+)+)\)\s*$/m.exec(text);
  if (!arm?.[1]) throw new Error(`no "api | worker | ...)" case arm in ${ENTRYPOINT}`);
  return arm[1].split('|').map((r) => r.trim());
}

/** Every role the entry point knows: its case arms, without the catch-all. */
export function entrypointRoles(): string[] {
  const text = readFileSync(ENTRYPOINT, 'utf8');
  return [...text.matchAll(/^\s{2}([a-z-]+(?:\s*\|\s*[a-z-]+)*)\)\s*$/gm)].flatMap((m) =>
    (m[1] ?? '').split('|').map((r) => r.trim()),
  );
}

/** package.json's script for a role, e.g. worker → dist/worker/main.js. */
export function distScriptOf(role: string): string {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const script = pkg.scripts[role];
  const target = script && /^node\s+(\S+\.js)$/.exec(script)?.[1];
  if (!target) throw new Error(`package.json has no "node <file>" script named ${role} (got ${script})`);
  return target;
}

/** dist/x/y.js → x/y.ts, with tsconfig.build.json's rootDir and outDir. */
export function sourceOf(distFile: string): string {
  const build = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
    compilerOptions?: { outDir?: string; rootDir?: string };
  };
  const base = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as {
    compilerOptions: { outDir: string; rootDir: string };
  };
  const outDir = build.compilerOptions?.outDir ?? base.compilerOptions.outDir;
  const rootDir = build.compilerOptions?.rootDir ?? base.compilerOptions.rootDir;
  const relative = path.relative(outDir, distFile);
  if (relative.startsWith('..')) throw new Error(`${distFile} is not under the build's outDir ${outDir}`);
  return path.join(rootDir, relative).replace(/\.js$/, '.ts');
}

function resolveImport(fromFile: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(fromFile), specifier);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
    if (candidate.endsWith('.ts') && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The TypeScript files an entry point loads: itself and everything it imports relatively, transitively. */
export function importGraph(entry: string): string[] {
  const seen = new Set<string>();
  const queue = [path.resolve(ROOT, entry)];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\(\s*|require\(\s*)'(\.{1,2}\/[^']+)'/g)) {
      const resolved = resolveImport(file, m[1] ?? '');
      if (resolved) queue.push(resolved);
    }
  }
  return [...seen].sort();
}

/**
 * Environment variables a file reads: process.env.X, env.X, env['X'] and the config readers' (env, 'X', ...).
 * A file that reads process.env[name] with a computed name lists those names as string constants, so there its
 * upper-case string literals count too (lambda/lambda-service.ts passes SPILLWAY_CALLBACK_SECRET on that way).
 */
export function environmentReads(file: string): Set<string> {
  const text = readFileSync(file, 'utf8');
  const patterns = [
    /process\.env\.([A-Z][A-Z0-9_]*)/g,
    /\benv\.([A-Z][A-Z0-9_]*)/g,
    /\benv\[\s*'([A-Z][A-Z0-9_]*)'\s*\]/g,
    /\(\s*env\s*,\s*'([A-Z][A-Z0-9_]*)'/g,
  ];
  if (/process\.env\[\s*[a-z]/.test(text)) patterns.push(/'([A-Z][A-Z0-9_]{2,})'/g);
  const names = new Set<string>();
  for (const pattern of patterns) for (const m of text.matchAll(pattern)) if (m[1]) names.add(m[1]);
  return names;
}

/** Every environment variable the process behind a role reads. */
export function environmentReadBy(role: string): Set<string> {
  const names = new Set<string>();
  for (const file of importGraph(sourceOf(distScriptOf(role)))) for (const n of environmentReads(file)) names.add(n);
  return names;
}
