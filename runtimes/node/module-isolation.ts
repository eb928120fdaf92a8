// Confines module lookup to the package, as on AWS where /var/task has no parent with node_modules. The task root
// usually lives under Spillway's data directory, inside the repository, and Node's walk up the parents would
// otherwise find Spillway's own node_modules and run code the package never shipped.
//
// CommonJS: only node_modules folders inside the task root and NODE_PATH (AWS's /opt/nodejs layer folders, or the
// function's own setting) stay in the lookup paths. Node has no public hook for CommonJS lookup paths, so this
// patches Module._nodeModulePaths, as tools like app-module-path do.
// ES modules: a resolve hook (module.register, esm-isolation-hooks.ts) refuses packages resolved outside the task
// root. Registering starts Node's loader thread, so it happens only for handlers that are ES modules.
import Module from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

function nodePath(): string[] {
  return (process.env.NODE_PATH ?? '').split(path.delimiter).filter(Boolean);
}

export function confineCommonJs(taskRoot: string): void {
  const loader = Module as unknown as { _nodeModulePaths(from: string): string[]; globalPaths: string[] };
  const original = loader._nodeModulePaths.bind(Module);
  const root = path.resolve(taskRoot);
  loader._nodeModulePaths = (from: string) =>
    original(from).filter((dir) => dir === path.join(root, 'node_modules') || dir.startsWith(root + path.sep));
  loader.globalPaths.splice(0, loader.globalPaths.length, ...nodePath());
}

let esmConfined = false;

export function confineEsm(taskRoot: string): void {
  if (esmConfined) return;
  esmConfined = true;
  const register = (Module as unknown as { register?: (specifier: string, options: unknown) => void }).register;
  if (!register) return;
  register(pathToFileURL(path.join(__dirname, 'esm-isolation-hooks.js')).href, {
    data: { taskRoot: path.resolve(taskRoot), roots: nodePath() },
  });
}
