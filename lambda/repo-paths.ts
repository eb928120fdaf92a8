// Locates the compiled artefacts the service needs. The service may run from dist/lambda (production) or from the
// TypeScript source under ts-jest, but execution environments always need compiled JavaScript, so everything is
// resolved against <repo root>/dist rather than relative to this file.
import { existsSync } from 'node:fs';
import path from 'node:path';

let cachedRoot: string | undefined;

export function repoRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = __dirname;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return (cachedRoot = dir);
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
}

export function defaultFunctionsDir(): string {
  return path.join(repoRoot(), 'dist', 'functions');
}

/** Our Node.js runtime client, compiled from runtimes/node. */
export function nodeRuntimeClientPath(): string {
  return path.join(repoRoot(), 'dist', 'runtimes', 'node', 'bootstrap.js');
}

/** Our Python runtime client: plain Python, run from the source tree. */
export function pythonRuntimeClientPath(): string {
  return path.join(repoRoot(), 'runtimes', 'python', 'bootstrap.py');
}
