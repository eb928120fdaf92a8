// The one place that says which Lambda runtimes the service runs and how. Every Node.js runtime runs on the
// machine's own Node; AWS_EXECUTION_ENV still names the runtime the function asked for, as on AWS. A runtime that
// speaks the Lambda Runtime API (provided.al2023, python3.x) is added here with its own launcher kind.
import { InvalidParameterValueError } from './errors';

export type LauncherKind = 'node-ipc';

export interface RuntimeSpec {
  /** The Runtime value of the Lambda API. */
  name: string;
  launcher: LauncherKind;
  /** The Node major version AWS ships with this runtime, for its /opt/nodejs/nodeNN/node_modules layer path. */
  nodeMajor: number;
}

const RUNTIMES: ReadonlyMap<string, RuntimeSpec> = new Map(
  (
    [
      ['nodejs20.x', 20],
      ['nodejs22.x', 22],
      ['nodejs24.x', 24],
    ] as const
  ).map(([name, nodeMajor]) => [name, { name, launcher: 'node-ipc', nodeMajor }]),
);

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
  'python2.7',
  'python3.6',
  'python3.7',
  'dotnetcore1.0',
  'dotnetcore2.0',
  'dotnetcore2.1',
  'dotnetcore3.1',
  'ruby2.5',
  'ruby2.7',
  'go1.x',
  'java8',
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

/** AWS_EXECUTION_ENV inside an environment of this runtime. */
export function executionEnv(runtime: RuntimeSpec): string {
  return `AWS_Lambda_${runtime.name}`;
}

/** Where AWS's Node.js runtimes look for modules from layers, after the package's own node_modules. */
export function layerModulePaths(runtime: RuntimeSpec): string[] {
  return [`/opt/nodejs/node${runtime.nodeMajor}/node_modules`, '/opt/nodejs/node_modules'];
}
