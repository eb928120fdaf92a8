// Module resolve hooks (module.register) that confine an ES module handler's package imports to its own task root,
// as on AWS where /var/task has no parent with node_modules: a package Spillway has but the function lacks is
// "Cannot find package", and the handler fails with Runtime.ImportModuleError. Relative and absolute imports,
// node: builtins and the package's own `#imports` resolve as Node resolves them.
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface HookData {
  taskRoot: string;
  /** Further roots packages may come from (AWS's /opt layer folders). */
  roots: string[];
}

interface ResolveContext {
  parentURL?: string;
  conditions: string[];
}

interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}

let roots: string[] = [];

export function initialize(data: HookData): void {
  roots = [data.taskRoot, ...data.roots].map((r) => path.resolve(r));
}

function isPackageSpecifier(specifier: string): boolean {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('#')) return false;
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(specifier)) return false;
  return !isBuiltin(specifier);
}

function inside(file: string): boolean {
  return roots.some((root) => file === root || file.startsWith(root + path.sep));
}

export async function resolve(
  specifier: string,
  context: ResolveContext,
  nextResolve: (specifier: string, context: ResolveContext) => Promise<ResolveResult>,
): Promise<ResolveResult> {
  const result = await nextResolve(specifier, context);
  if (!isPackageSpecifier(specifier) || !result.url.startsWith('file:')) return result;
  if (inside(fileURLToPath(result.url))) return result;
  const parent = context.parentURL?.startsWith('file:') ? fileURLToPath(context.parentURL) : context.parentURL;
  const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
  const error = new Error(`Cannot find package '${name}' imported from ${parent ?? 'the handler'}`);
  (error as NodeJS.ErrnoException).code = 'ERR_MODULE_NOT_FOUND';
  throw error;
}
