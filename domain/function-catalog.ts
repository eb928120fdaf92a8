// The one declaration of every task function: which task type it serves, where its handler lives in functions/,
// and the Lambda settings it deploys with. The worker, the local Lambda service and the API all read this.

export type Architecture = 'x86_64' | 'arm64';

export interface FunctionSpec {
  /** Lambda function name; also the folder under functions/. */
  name: string;
  /** The task type this function serves by default. */
  taskType: string;
  /** `<module>.<export>` relative to functions/, as Lambda's Handler setting. */
  handler: string;
  description: string;
  memoryMB: number;
  timeoutSeconds: number;
  architecture: Architecture;
  /** Reserved concurrency; undefined means the service-wide limit applies. */
  reservedConcurrency?: number;
  environment: Readonly<Record<string, string>>;
  /** A typical run time, used by AUTO placement and cost estimates before the first measurement. */
  expectedDurationMs: number;
  /** Environments the warm pool keeps ready when its mode is fixed. */
  warmPoolSize: number;
}

const FUNCTIONS: readonly FunctionSpec[] = [
  {
    name: 'image-processor',
    taskType: 'image-processing',
    handler: 'image-processor/index.handler',
    description: 'Decodes an image from an http(s) or data: URL, resizes it and encodes it again.',
    memoryMB: 1024,
    timeoutSeconds: 60,
    architecture: 'x86_64',
    environment: {},
    expectedDurationMs: 400,
    warmPoolSize: 2,
  },
  {
    name: 'report-generator',
    taskType: 'report-generation',
    handler: 'report-generator/index.handler',
    description: 'Builds a report (CSV, markdown and summary figures) from generated or supplied rows.',
    memoryMB: 512,
    timeoutSeconds: 120,
    architecture: 'x86_64',
    environment: {},
    expectedDurationMs: 300,
    warmPoolSize: 1,
  },
  {
    name: 'data-aggregator',
    taskType: 'data-aggregation',
    handler: 'data-aggregator/index.handler',
    description: 'Groups records by key and computes count, sum, min, max, mean and percentiles per group.',
    memoryMB: 512,
    timeoutSeconds: 120,
    architecture: 'x86_64',
    environment: {},
    expectedDurationMs: 200,
    warmPoolSize: 1,
  },
  {
    name: 'noop',
    taskType: 'noop',
    handler: 'noop/index.handler',
    description: 'Returns at once; the unit of overhead in benchmarks.',
    memoryMB: 128,
    timeoutSeconds: 10,
    architecture: 'x86_64',
    environment: {},
    expectedDurationMs: 1,
    warmPoolSize: 1,
  },
  {
    name: 'flaky',
    taskType: 'flaky',
    handler: 'flaky/index.handler',
    description: 'Fails, sleeps, hangs or crashes on request; drives retry demos and fault-injection tests.',
    memoryMB: 128,
    timeoutSeconds: 10,
    architecture: 'x86_64',
    environment: {},
    expectedDurationMs: 50,
    warmPoolSize: 0,
  },
];

const BY_NAME = new Map(FUNCTIONS.map((f) => [f.name, Object.freeze(f)]));
const BY_TASK_TYPE = new Map(FUNCTIONS.map((f) => [f.taskType, Object.freeze(f)]));

export function listFunctions(): readonly FunctionSpec[] {
  return FUNCTIONS;
}

export function findFunction(name: string): FunctionSpec | undefined {
  return BY_NAME.get(name);
}

export function functionForTaskType(taskType: string): FunctionSpec | undefined {
  return BY_TASK_TYPE.get(taskType);
}

export function listTaskTypes(): string[] {
  return [...BY_TASK_TYPE.keys()];
}
