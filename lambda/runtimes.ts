// The one place that says which Lambda runtimes the service runs and how each one is started. Every runtime speaks
// the Lambda Runtime API (lambda/runtime-api-server.ts): the Node.js and Python runtimes through runtime clients of
// our own (runtimes/node, runtimes/python), the OS-only runtimes through the package's own `bootstrap` executable.
// Node.js runtimes run on the machine's Node and Python runtimes on the machine's python3, whatever version the
// function asked for; AWS_EXECUTION_ENV still names the runtime the function asked for, as on AWS.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { InvalidParameterValueError } from './errors';

/** How an environment of the runtime is started: a runtime client of ours, or the package's own bootstrap. */
export type LauncherKind = 'node' | 'python' | 'provided';

export interface RuntimeSpec {
  /** The Runtime value of the Lambda API. */
  name: string;
  launcher: LauncherKind;
  /** Node runtimes: the Node major version AWS ships, for its /opt/nodejs/nodeNN/node_modules layer path. */
  nodeMajor?: number;
  /** Python runtimes: the version AWS ships (`3.12`), for its /opt/python/lib/python3.12/site-packages layer path. */
  pythonVersion?: string;
}

const NODE_RUNTIMES: ReadonlyArray<readonly [string, number]> = [
  ['nodejs20.x', 20],
  ['nodejs22.x', 22],
  ['nodejs24.x', 24],
];
const PYTHON_RUNTIMES: readonly string[] = ['3.11', '3.12', '3.13', '3.14'];
const PROVIDED_RUNTIMES: readonly string[] = ['provided.al2023', 'provided.al2'];

const RUNTIMES: ReadonlyMap<string, RuntimeSpec> = new Map<string, RuntimeSpec>([
  ...NODE_RUNTIMES.map(([name, nodeMajor]): [string, RuntimeSpec] => [name, { name, launcher: 'node', nodeMajor }]),
  ...PYTHON_RUNTIMES.map((v): [string, RuntimeSpec] => [
    `python${v}`,
    { name: `python${v}`, launcher: 'python', pythonVersion: v },
  ]),
  ...PROVIDED_RUNTIMES.map((name): [string, RuntimeSpec] => [name, { name, launcher: 'provided' }]),
]);

/** Runtimes AWS has retired for creating and updating functions; AWS words their refusal differently. */
const DEPRECATED = new Set([
  'nodejs',
  'nodejs4.3',
  'nodejs4.3-edge',
  'nodejs6.10',
  'nodejs8.10',
  'nodejs10.x',
  'nodejs12.x',
  'nodejs14.x',
  'nodejs16.x',
  'nodejs18.x',
  'python2.7',
  'python3.6',
  'python3.7',
  'python3.8',
  'dotnetcore1.0',
  'dotnetcore2.0',
  'dotnetcore2.1',
  'dotnetcore3.1',
  'ruby2.5',
  'ruby2.7',
  'go1.x',
  'java8',
  'provided',
]);

export const SUPPORTED_RUNTIMES: readonly string[] = [...RUNTIMES.keys()];
export const DEFAULT_RUNTIME = 'nodejs20.x';

/** Returns the runtime, or throws InvalidParameterValueException with AWS's wording. */
export function runtimeSpec(name: unknown): RuntimeSpec {
  const found = typeof name === 'string' ? RUNTIMES.get(name) : undefined;
  if (found) return found;
  if (typeof name === 'string' && DEPRECATED.has(name)) {
    throw new InvalidParameterValueError(
      `The runtime parameter of ${name} is no longer supported for creating or updating AWS Lambda functions. ` +
        `We recommend you use a supported runtime while creating or updating functions.`,
    );
  }
  throw new InvalidParameterValueError(
    `Value '${String(name)}' at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: ` +
      `[${SUPPORTED_RUNTIMES.join(', ')}]`,
  );
}

/** AWS_EXECUTION_ENV inside an environment of this runtime; AWS sets none for the OS-only runtimes. */
export function executionEnv(runtime: RuntimeSpec): string | undefined {
  return runtime.launcher === 'provided' ? undefined : `AWS_Lambda_${runtime.name}`;
}

/** Where AWS's Node.js runtimes look for modules from layers, after the package's own node_modules. */
export function layerModulePaths(runtime: RuntimeSpec): string[] {
  return [`/opt/nodejs/node${runtime.nodeMajor ?? 20}/node_modules`, '/opt/nodejs/node_modules'];
}

/** Where AWS's Python runtimes look for packages from layers, after the task root. */
export function layerPythonPaths(runtime: RuntimeSpec): string[] {
  return [`/opt/python/lib/python${runtime.pythonVersion ?? '3'}/site-packages`, '/opt/python'];
}

/** The process an environment runs: a command, its arguments and the variables only this runtime needs. */
export interface LaunchCommand {
  command: string;
  args: string[];
  /** Variables of this runtime (NODE_PATH, PYTHONPATH...), applied before the function's own. */
  runtimeEnvironment: Record<string, string>;
  /** Applies the memory limit as RLIMIT_DATA (through `ulimit -d` in /bin/sh) before the runtime starts. */
  dataLimitMB?: number;
}

/** Where the compiled runtime clients live; resolved by the host (lambda/repo-paths.ts). */
export interface RuntimeClientPaths {
  node: string;
  python: string;
}

/** A package without a bootstrap, or one that cannot be executed: AWS's Runtime.InvalidEntrypoint. */
export class InvalidEntrypointError extends Error {
  override readonly name = 'InvalidEntrypointError';
}

/** The executable a provided runtime starts: the package's bootstrap, else one from a layer, as on AWS. */
export function providedBootstrap(taskRoot: string): string {
  const candidates = [path.join(taskRoot, 'bootstrap'), '/opt/bootstrap'];
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    const stat = statSync(file);
    if (!stat.isFile()) continue;
    if ((stat.mode & 0o111) === 0) {
      throw new InvalidEntrypointError(`fork/exec ${file}: permission denied`);
    }
    return file;
  }
  throw new InvalidEntrypointError(`Couldn't find valid bootstrap(s): [${candidates.join(' ')}]`);
}

/**
 * How to start an environment of `runtime` for a package. Node gets its heap cap as --max-old-space-size (V8 reserves
 * far more address space than it uses, so an rlimit would break it); Python and the package bootstraps get the memory
 * size as RLIMIT_DATA, which the kernel enforces on heap and anonymous memory.
 */
export function launchCommand(
  runtime: RuntimeSpec,
  options: { taskRoot: string; memoryMB: number; clients: RuntimeClientPaths; nodeExecutable?: string },
): LaunchCommand {
  switch (runtime.launcher) {
    case 'node':
      return {
        command: options.nodeExecutable ?? process.execPath,
        args: [`--max-old-space-size=${Math.max(64, options.memoryMB)}`, options.clients.node],
        runtimeEnvironment: { NODE_PATH: layerModulePaths(runtime).join(':') },
      };
    case 'python':
      return {
        // -s: no user site-packages; -S: no system site-packages either, so a package imports only what it ships,
        // the standard library and its layers, as on AWS. -u: unbuffered, so output reaches the log in order.
        command: 'python3',
        args: ['-s', '-S', '-u', options.clients.python],
        runtimeEnvironment: { PYTHONPATH: layerPythonPaths(runtime).join(':') },
        dataLimitMB: options.memoryMB,
      };
    case 'provided': {
      const bootstrap = providedBootstrap(options.taskRoot);
      return {
        command: bootstrap,
        args: [],
        runtimeEnvironment: {
          LD_LIBRARY_PATH: [options.taskRoot, path.join(options.taskRoot, 'lib'), '/opt/lib'].join(':'),
        },
        dataLimitMB: options.memoryMB,
      };
    }
  }
}
