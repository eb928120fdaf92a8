// docker/Dockerfile without a Docker engine: it passes dockerfile-utils' validator (the checks the Docker builder
// makes, from the VS Code Docker language service; hadolint is in no registry this machine reaches), and everything
// its ENTRYPOINT, CMD and runtime COPY lines name is committed or produced by the build the image runs.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { validate, ValidationSeverity, type ValidatorSettings } from 'dockerfile-utils';
import { SEARCH_ATTRIBUTE_REGISTRATIONS } from '../../domain/search-attributes';
import { DOCKERFILE, ENTRYPOINT, ROOT, distScriptOf, entrypointProcessRoles, sourceOf } from './docker-files';

const text = readFileSync(DOCKERFILE, 'utf8');

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
const instructions = text
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => {
    const [keyword = '', ...rest] = l.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
  });

/** Instructions of the last stage: what the image runs. */
const runtime = instructions.slice(instructions.map((i) => i.keyword).lastIndexOf('FROM'));

/**
 * What the build stage's RUN lines make: npm ci makes node_modules, `npm run build` the TypeScript outDir, and a
 * `vite build --config FILE` script the outDir of that Vite config, beside it.
 */
function buildStageOutputs(): string[] {
  const build = instructions.slice(0, instructions.length - runtime.length);
  const runs = build
    .filter((i) => i.keyword === 'RUN')
    .map((i) => i.args)
    .join(' && ');
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const tsconfig = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as {
    compilerOptions: { outDir: string };
  };
  const outputs: string[] = [];
  if (/\bnpm ci\b/.test(runs)) outputs.push('node_modules');
  for (const [, name] of runs.matchAll(/npm run ([\w:-]+)/g)) {
    const script = pkg.scripts[name ?? ''] ?? '';
    if (/^tsc -p tsconfig\.build\.json/.test(script)) outputs.push(tsconfig.compilerOptions.outDir);
    const vite = /vite build --config (\S+)/.exec(script)?.[1];
    if (vite) {
      const outDir = /outDir:\s*'([^']+)'/.exec(readFileSync(path.join(ROOT, vite), 'utf8'))?.[1];
      if (outDir) outputs.push(path.join(path.dirname(vite), outDir));
    }
  }
  return outputs;
}

function exec(command: string, args: string[]) {
  return new Promise<{ code: number; stdout: string }>((resolve) => {
    execFile(command, args, { cwd: ROOT, timeout: 15_000 }, (err, stdout) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout }),
    );
  });
}

describe('docker/Dockerfile', () => {
  test('passes the dockerfile-utils validator with every check an error', () => {
    const strict = Object.fromEntries(
      [
        'deprecatedMaintainer',
        'directiveCasing',
        'emptyContinuationLine',
        'instructionCasing',
        'instructionCmdMultiple',
        'instructionEntrypointMultiple',
        'instructionHealthcheckMultiple',
        'instructionJSONInSingleQuotes',
        'instructionWorkdirRelative',
      ].map((k) => [k, ValidationSeverity.ERROR]),
    ) as ValidatorSettings;
    expect(validate(text, strict).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  test('the validator has teeth: a broken Dockerfile is reported', () => {
    const broken = 'FROM node:20\nCOPY package.json\nHEALTHCHECK --interva=30s CMD true\nworkdir app\n';
    expect(validate(broken, { instructionCasing: ValidationSeverity.ERROR }).length).toBeGreaterThanOrEqual(3);
  });

  test('builds in one stage and runs a slim Node 20 stage as a non-root user', () => {
    const froms = instructions.filter((i) => i.keyword === 'FROM').map((i) => i.args);
    expect(froms).toEqual(['node:${NODE_VERSION}-bookworm AS build', 'node:${NODE_VERSION}-bookworm-slim AS runtime']);
    expect(instructions.find((i) => i.keyword === 'ARG')?.args).toBe('NODE_VERSION=20');
    expect(runtime.filter((i) => i.keyword === 'USER').map((i) => i.args)).toEqual(['node']);
    const build = instructions.slice(0, instructions.length - runtime.length).map((i) => i.args);
    expect(build.join('\n')).toMatch(/npm ci/);
    expect(build.join('\n')).toMatch(/npm run build/);
    expect(build.join('\n')).toMatch(/npm prune --omit=dev/);
  });

  test('its ENTRYPOINT is the committed, executable docker/entrypoint.sh, and CMD is one of its roles', () => {
    const workdir = runtime.find((i) => i.keyword === 'WORKDIR')?.args ?? '/';
    const entrypoint = JSON.parse(runtime.find((i) => i.keyword === 'ENTRYPOINT')?.args ?? '[]') as string[];
    const cmd = JSON.parse(runtime.find((i) => i.keyword === 'CMD')?.args ?? '[]') as string[];
    const inRepo = path.relative(workdir, entrypoint[0] ?? '');
    expect(path.join(ROOT, inRepo)).toBe(ENTRYPOINT);
    // The file is copied into the image at that path, and git keeps it executable.
    expect(runtime.some((i) => i.keyword === 'COPY' && i.args.endsWith(`/app/${inRepo} ./${inRepo}`))).toBe(true);
    expect(execFileSync('git', ['ls-files', '-s', inRepo], { cwd: ROOT, encoding: 'utf8' })).toMatch(/^100755 /);
    expect(entrypointProcessRoles()).toContain(cmd[0]);
  });

  test.each(entrypointProcessRoles())('role %s runs a package.json script whose file the build produces', (role) => {
    const script = distScriptOf(role);
    const source = sourceOf(script);
    const include = (JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] })
      .include;
    expect(existsSync(path.join(ROOT, source))).toBe(true);
    expect(include).toContain(source.split(path.sep)[0]);
    // npm test builds before it runs the tests, so the compiled file is there.
    expect(existsSync(path.join(ROOT, script))).toBe(true);
  });

  test('every runtime COPY from the build stage names something committed, or made by a build-stage command', () => {
    const made = buildStageOutputs();
    const copied = runtime
      .filter((i) => i.keyword === 'COPY' && i.args.startsWith('--from=build'))
      .map((i) => path.relative('/app', i.args.split(/\s+/)[1] ?? ''));
    expect(copied).toEqual(expect.arrayContaining(['dist', 'node_modules', 'examples', 'config', 'package.json']));
    for (const item of copied) {
      const committed = execFileSync('git', ['ls-files', item], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
      expect({ item, committedOrMade: committed || made.includes(item) }).toEqual({ item, committedOrMade: true });
    }
  });

  test('.dockerignore keeps local state and secrets out of the build context, but not the entry point', () => {
    const ignore = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8');
    for (const entry of ['.git', '**/node_modules', 'dist', 'data', 'docker/.env', 'docker/*.env']) {
      expect(ignore.split('\n')).toContain(entry);
    }
    expect(ignore).not.toMatch(/^docker\/?$/m);
  });
});

describe('docker/entrypoint.sh', () => {
  test('search-attributes writes the attributes of domain/search-attributes.ts, one "Name Type" a line', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spillway-entrypoint-'));
    try {
      const file = path.join(dir, 'search-attributes.txt');
      execFileSync(ENTRYPOINT, ['search-attributes', file], { cwd: os.tmpdir() });
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      expect(lines).toEqual(Object.entries(SEARCH_ATTRIBUTE_REGISTRATIONS).map(([name, type]) => `${name} ${type}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('probe exits 0 for a 2xx answer and 1 otherwise (the containers health check)', async () => {
    const server = createServer((req, res) => {
      res.statusCode = req.url === '/ok' ? 200 : 503;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      expect((await exec(ENTRYPOINT, ['probe', `http://127.0.0.1:${port}/ok`])).code).toBe(0);
      expect((await exec(ENTRYPOINT, ['probe', `http://127.0.0.1:${port}/down`])).code).toBe(1);
    } finally {
      server.close();
    }
  });

  test('any other command runs as given', async () => {
    await expect(exec(ENTRYPOINT, ['echo', 'as given'])).resolves.toEqual({ code: 0, stdout: 'as given\n' });
  });
});
