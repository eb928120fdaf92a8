// Packaging a function folder: what goes into the zip, that it is deterministic, and the clear errors.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readZipEntry } from '../../clients/function-packages';
import { packageFunction, PackagingError } from '../../cli/package-function';
import { inspectZip } from '../../lambda/zip-package';

const work = mkdtempSync(path.join(os.tmpdir(), 'spillway-package-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function folder(name: string, files: Record<string, string>): string {
  const dir = path.join(work, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

test('a TypeScript function is bundled into index.js beside its manifest, named after its folder', async () => {
  const dir = folder('hello-ts', {
    'index.ts':
      "import { greet } from './lib/greet';\nexport const handler = async (e: { n: string }) => greet(e.n);\n",
    'lib/greet.ts': 'export const greet = (n: string) => ({ hello: n });\n',
  });
  const pkg = await packageFunction(dir);
  expect(pkg).toEqual(
    expect.objectContaining({ name: 'hello-ts', runtime: 'nodejs22.x', handler: 'index.handler', hasManifest: false }),
  );
  const entries = (await inspectZip(pkg.zip)).entries.map((e) => e.name).sort();
  expect(entries).toEqual(['index.js', 'spillway.json']);
  const bundled = (await readZipEntry(pkg.zip, 'index.js'))?.toString('utf8') ?? '';
  expect(bundled).toContain('hello: n');
  expect(JSON.parse((await readZipEntry(pkg.zip, 'spillway.json'))?.toString('utf8') ?? '{}')).toEqual({
    name: 'hello-ts',
  });
});

test('the same sources give the same zip and CodeSha256', async () => {
  const dir = folder('stable', { 'index.js': 'exports.handler = async () => 1;\n' });
  const [a, b] = [await packageFunction(dir), await packageFunction(dir)];
  expect(a.codeSha256).toBe(b.codeSha256);
  expect(a.zip.equals(b.zip)).toBe(true);
  writeFileSync(path.join(dir, 'index.js'), 'exports.handler = async () => 2;\n');
  expect((await packageFunction(dir)).codeSha256).not.toBe(a.codeSha256);
});

test('an external package that is not installed is refused with the fix', async () => {
  const dir = folder('no-sharp', {
    'index.ts': "import sharp from 'sharp';\nexport const handler = async () => typeof sharp;\n",
  });
  await expect(packageFunction(dir)).rejects.toThrow(/"sharp" is not installed .*npm install sharp/);
});

test('sharp is kept as a package with its dependencies, not bundled', async () => {
  // Inside the repository, so sharp resolves from its node_modules as a user's folder resolves from its own.
  const inRepo = mkdtempSync(path.join(__dirname, '..', '..', '.test-stack', 'package-'));
  const dir = path.join(inRepo, 'images');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'index.ts'),
    "import sharp from 'sharp';\nexport const handler = async () => typeof sharp;\n",
  );
  const pkg = await packageFunction(dir).finally(() => rmSync(inRepo, { recursive: true, force: true }));
  expect(pkg.externalPackages).toEqual(expect.arrayContaining(['sharp', 'detect-libc', 'semver']));
  const names = (await inspectZip(pkg.zip)).entries.map((e) => e.name);
  expect(names).toEqual(
    expect.arrayContaining(['node_modules/sharp/package.json', 'node_modules/semver/package.json']),
  );
}, 60_000);

test('a non-Node runtime is zipped as it is, executable bits kept', async () => {
  const dir = folder('shell', {
    'spillway.json': JSON.stringify({ lambda: { runtime: 'provided.al2023', handler: 'function.handler' } }),
    bootstrap: '#!/bin/sh\necho hi\n',
  });
  const { chmodSync } = await import('node:fs');
  chmodSync(path.join(dir, 'bootstrap'), 0o755);
  const pkg = await packageFunction(dir);
  const entries = (await inspectZip(pkg.zip)).entries;
  expect(entries.map((e) => e.name).sort()).toEqual(['bootstrap', 'spillway.json']);
  expect(pkg.runtime).toBe('provided.al2023');
});

test.each([
  ['no handler module', { 'main.js': 'exports.x = 1;' }, /no module for handler "index.handler"/],
  ['a build error', { 'index.ts': 'export const handler = (;' }, /bundling .* failed/],
  [
    'a payload schema that does not compile',
    { 'index.js': 'exports.handler=()=>1', 'spillway.json': '{"payloadSchema":{"type":"nope"}}' },
    /payloadSchema .* is not a valid JSON Schema/,
  ],
  [
    'a bad manifest',
    { 'index.js': 'exports.handler=()=>1', 'spillway.json': '{"taskTypes": "x"}' },
    /is not a valid manifest/,
  ],
])('%s is a PackagingError or ManifestError with a clear message', async (label, files, message) => {
  const dir = folder(label.replace(/\W+/g, '-'), files as Record<string, string>);
  const error = await packageFunction(dir).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).name).toMatch(/PackagingError|ManifestError/);
  expect((error as Error).message).toMatch(message);
});

test('a folder that is not there is a PackagingError', async () => {
  await expect(packageFunction(path.join(work, 'nope'))).rejects.toBeInstanceOf(PackagingError);
});
