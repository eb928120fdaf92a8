#!/usr/bin/env node
// `spillway`: deploy a function folder and look after deployed functions, on whichever Lambda endpoint the
// configuration names (LAMBDA_ENDPOINT, AWS_REGION and the AWS credentials; --endpoint and --region override them);
// operator controls and task commands through the API (SPILLWAY_API_URL, with the typed client of client/); and
// `simulate`, which replays recorded tasks from Temporal visibility (TEMPORAL_ADDRESS).
import { parseArgs } from 'node:util';
import { DeleteFunctionCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { Client } from '@temporalio/client';
import { createSpillwayClient, type ErrorBody, type SpillwayClient } from '../client';
import { createFunctionDirectory } from '../clients/function-directory';
import { createFunctionPackages } from '../clients/function-packages';
import { createLambdaClient, isLoopbackEndpoint } from '../clients/lambda-client';
import { connectClient } from '../clients/temporal-connection';
import { loadConfig, type SpillwayConfig } from '../domain/config';
import type { DeployedFunction } from '../domain/deployed-function';
import { deployFunction } from './deploy-function';
import { LOCAL_ROLE_ARN } from './deploy-folders';
import { loadPriceTable } from '../domain/price-table';
import { EXECUTION_MODES, type ExecutionMode } from '../domain/task-model';
import { formatBytes, packageFunction } from './package-function';
import { parseSimulateArgs, runSimulate, SIMULATE_USAGE, SimulateUsageError } from './simulate';

const USAGE = `usage: spillway <command> [options]

  deploy <folder>...           bundle, zip and create or update each function
      --name <name>            function name (default: the manifest's, else the folder's)
      --publish                publish a version after the update
      --alias <alias>          publish and point this alias at the new version
      --role <arn>             execution role (default SPILLWAY_LAMBDA_ROLE_ARN; a local one on this machine)
      --runtime <runtime>      default: the manifest's, else nodejs22.x
      --dry-run                package only, print what would be deployed
  functions list               every deployed function, its version, task types and code
  functions show <name[:q]>    one function with its versions, aliases, tags and payload schema
  functions rm <name>          delete a function (--qualifier <version> deletes one version)

  control status               operator controls in force and their audit (through the API: SPILLWAY_API_URL)
  control pause --type T | --tenant K --reason R [--by WHO]      pause every task of a type or tenant
  control resume --type T | --tenant K --reason R [--by WHO]
  control drain-lambda --reason R    AUTO and LAMBDA tasks run LOCAL    control force-lambda --reason R
  control clear-override --reason R
  tasks pause <id> --reason R | tasks resume <id> --reason R | tasks redrive <id> [--mode LOCAL|LAMBDA|AUTO]

${SIMULATE_USAGE}
  common: --endpoint <url> --region <region> --json
`;

function isExecutionMode(value: string): value is ExecutionMode {
  return (EXECUTION_MODES as readonly string[]).includes(value);
}

/** A mistake in how the command was called: usage goes to stderr and the exit code is 2. */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

function lambdaSettings(config: SpillwayConfig, flags: { endpoint?: string; region?: string }) {
  return {
    ...config.lambda,
    endpoint: flags.endpoint ?? config.lambda.endpoint,
    region: flags.region ?? config.lambda.region,
  };
}

function print(json: boolean, value: unknown, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function summary(fn: DeployedFunction) {
  return {
    name: fn.name,
    version: fn.version,
    runtime: fn.runtime,
    handler: fn.handler,
    taskTypes: fn.spillway.taskTypes,
    event: fn.spillway.event,
    codeSha256: fn.codeSha256,
    codeSize: fn.codeSize,
    memoryMB: fn.memoryMB,
    timeoutSeconds: fn.timeoutSeconds,
    lastModified: fn.lastModified,
  };
}

async function deploy(lambda: LambdaClient, settings: ReturnType<typeof lambdaSettings>, args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      publish: { type: 'boolean' },
      alias: { type: 'string' },
      role: { type: 'string' },
      runtime: { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
      endpoint: { type: 'string' },
      region: { type: 'string' },
    },
  });
  if (positionals.length === 0) throw new UsageError('deploy takes a function folder');
  if (positionals.length > 1 && values.name) throw new UsageError('--name needs exactly one folder');
  for (const folder of positionals) await deployOne(lambda, settings, folder, values);
}

interface DeployFlags {
  name?: string;
  publish?: boolean;
  alias?: string;
  role?: string;
  runtime?: string;
  'dry-run'?: boolean;
  json?: boolean;
}

async function deployOne(
  lambda: LambdaClient,
  settings: ReturnType<typeof lambdaSettings>,
  folder: string,
  values: DeployFlags,
) {
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const pkg = await packageFunction(folder, { name: values.name, runtime: values.runtime, log });
  if (values['dry-run']) {
    const plan = {
      name: pkg.name,
      runtime: pkg.runtime,
      handler: pkg.handler,
      codeSha256: pkg.codeSha256,
      zipBytes: pkg.zip.length,
    };
    print(
      Boolean(values.json),
      plan,
      `would deploy ${pkg.name}: ${formatBytes(pkg.zip.length)}, CodeSha256 ${pkg.codeSha256}`,
    );
    return;
  }
  const role = values.role ?? settings.roleArn ?? (isLoopbackEndpoint(settings.endpoint) ? LOCAL_ROLE_ARN : undefined);
  if (!role) throw new UsageError('a role is needed off this machine: --role <arn> or SPILLWAY_LAMBDA_ROLE_ARN');
  // On a real Lambda the function signs its callbacks with the secret the API checks; the local service passes its
  // own to every environment.
  const extraEnvironment: Record<string, string> =
    pkg.manifest.event === 'task' && !isLoopbackEndpoint(settings.endpoint) && process.env.SPILLWAY_CALLBACK_SECRET
      ? { SPILLWAY_CALLBACK_SECRET: process.env.SPILLWAY_CALLBACK_SECRET }
      : {};
  log(`deploying to ${settings.endpoint} (${settings.region})`);
  const result = await deployFunction(lambda, pkg, {
    role,
    publish: values.publish,
    alias: values.alias,
    extraEnvironment,
    log,
  });
  print(
    Boolean(values.json),
    result,
    `${result.action} ${result.name} (version ${result.version}${result.alias ? `, alias ${result.alias}` : ''}) ` +
      `CodeSha256 ${result.codeSha256}\n  task types: ${(pkg.manifest.taskTypes ?? [pkg.name]).join(', ')}`,
  );
}

async function functions(lambda: LambdaClient, config: SpillwayConfig, args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      qualifier: { type: 'string' },
      endpoint: { type: 'string' },
      region: { type: 'string' },
    },
  });
  const [sub, name] = positionals;
  const directory = createFunctionDirectory({
    lambda,
    packages: createFunctionPackages({ lambda, cacheDir: config.functions.packageCacheDir }),
    log: (m) => process.stderr.write(`${m}\n`),
  });
  const json = Boolean(values.json);
  switch (sub) {
    case 'list': {
      const all = await directory.list();
      const rows = [['NAME', 'VERSION', 'RUNTIME', 'TASK TYPES', 'EVENT', 'CODE', 'MODIFIED']];
      for (const fn of all) {
        rows.push([
          fn.name,
          fn.version,
          fn.runtime,
          fn.spillway.taskTypes.join(','),
          fn.spillway.event,
          `${fn.codeSha256.slice(0, 12)}… ${formatBytes(fn.codeSize)}`,
          fn.lastModified,
        ]);
      }
      print(json, all.map(summary), all.length ? table(rows) : 'no functions are deployed');
      return;
    }
    case 'show': {
      if (!name) throw new UsageError('functions show takes a function name');
      const detail = await directory.detail(name);
      if (!detail) throw new Error(`no function named "${name}" is deployed`);
      const text = [
        `${detail.name} (${detail.arn})`,
        `  version ${detail.version}, ${detail.runtime}, handler ${detail.handler}, ${detail.memoryMB} MB, ${detail.timeoutSeconds} s`,
        `  code ${detail.codeSha256} (${formatBytes(detail.codeSize)}), modified ${detail.lastModified}`,
        `  task types ${detail.spillway.taskTypes.join(', ')}; event ${detail.spillway.event}; facts from ${detail.spillway.source}`,
        `  versions ${detail.versions.map((v) => v.version).join(', ') || 'none'}`,
        `  aliases ${detail.aliases.map((a) => `${a.name} → ${a.functionVersion}`).join(', ') || 'none'}`,
        detail.spillway.payloadSchema
          ? `  payload schema ${JSON.stringify(detail.spillway.payloadSchema)}`
          : '  any payload',
      ].join('\n');
      print(json, detail, text);
      return;
    }
    case 'rm': {
      if (!name) throw new UsageError('functions rm takes a function name');
      await lambda.send(new DeleteFunctionCommand({ FunctionName: name, Qualifier: values.qualifier }));
      print(
        json,
        { deleted: name, qualifier: values.qualifier ?? null },
        `deleted ${name}${values.qualifier ? `:${values.qualifier}` : ''}`,
      );
      return;
    }
    default:
      throw new UsageError(`unknown functions command "${sub ?? ''}"`);
  }
}

/** The API, for the commands that act through it (controls, tasks): the client generated from its OpenAPI document. */
function apiClient(): SpillwayClient['http'] {
  return createSpillwayClient({
    baseUrl: process.env.SPILLWAY_API_URL ?? 'http://localhost:8080',
    apiKey: process.env.SPILLWAY_API_KEY,
  }).http;
}

/** The answer of a typed call, or an Error that says `status CODE message` as the API put it. */
async function answer<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) {
    const body = (typeof error === 'object' && error !== null ? error : {}) as Partial<ErrorBody>;
    const text = typeof error === 'string' ? error : '';
    throw new Error(`${response.status} ${body.code ?? ''} ${body.message ?? text}`.trim());
  }
  return (data ?? {}) as T;
}

async function control(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      type: { type: 'string' },
      tenant: { type: 'string' },
      reason: { type: 'string' },
      by: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const [sub] = positionals;
  const who = { reason: values.reason ?? '', ...(values.by ? { by: values.by } : {}) };
  const needReason = () => {
    if (!values.reason) throw new UsageError(`control ${sub} needs --reason (it is kept in the audit)`);
  };
  const api = apiClient();
  let result: unknown;
  switch (sub) {
    case 'status':
      result = await answer(api.GET('/api/controls'));
      break;
    case 'pause':
    case 'resume': {
      needReason();
      if ((values.type === undefined) === (values.tenant === undefined))
        throw new UsageError('give --type or --tenant');
      const body = { type: values.type, tenant: values.tenant, ...who };
      result = await answer(
        sub === 'pause' ? api.POST('/api/controls/pause', { body }) : api.POST('/api/controls/resume', { body }),
      );
      break;
    }
    case 'drain-lambda':
    case 'force-lambda':
    case 'clear-override':
      needReason();
      result = await answer(
        api.POST('/api/controls/placement', { body: { mode: sub === 'clear-override' ? 'none' : sub, ...who } }),
      );
      break;
    default:
      throw new UsageError(`unknown control command "${sub ?? ''}"`);
  }
  print(true, result, '');
}

async function tasksCommand(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { reason: { type: 'string' }, by: { type: 'string' }, mode: { type: 'string' } },
  });
  const [sub, id] = positionals;
  if (!id) throw new UsageError(`tasks ${sub ?? ''} takes a task id`);
  const api = apiClient();
  const params = { path: { id } };
  if (sub === 'pause' || sub === 'resume') {
    if (!values.reason) throw new UsageError(`tasks ${sub} needs --reason`);
    const body = { reason: values.reason, ...(values.by ? { by: values.by } : {}) };
    print(
      true,
      await answer(
        sub === 'pause'
          ? api.POST('/api/tasks/{id}/pause', { params, body })
          : api.POST('/api/tasks/{id}/resume', { params, body }),
      ),
      '',
    );
  } else if (sub === 'redrive') {
    const mode = values.mode;
    if (mode !== undefined && !isExecutionMode(mode)) throw new UsageError('--mode must be LOCAL, LAMBDA or AUTO');
    print(
      true,
      await answer(api.POST('/api/tasks/{id}/redrive', { params, body: mode ? { executionMode: mode } : {} })),
      '',
    );
  } else {
    throw new UsageError(`unknown tasks command "${sub ?? ''}"`);
  }
}

/** `spillway simulate`: reads recorded tasks from Temporal visibility (TEMPORAL_ADDRESS, as the worker does). */
async function simulate(args: string[]): Promise<number> {
  const config = loadConfig();
  // Parsed before connecting, so a usage mistake is told at once, not after a connection timeout.
  parseSimulateArgs(args, config);
  const connection = await connectClient(config.temporal);
  try {
    return await runSimulate(args, {
      client: new Client({ connection, namespace: config.temporal.namespace }),
      config,
      prices: loadPriceTable(),
      now: Date.now,
      write: (text) => process.stdout.write(text),
    });
  } finally {
    await connection.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  if (command === 'control') {
    await control(rest);
    return 0;
  }
  if (command === 'tasks') {
    await tasksCommand(rest);
    return 0;
  }
  if (command === 'simulate') return simulate(rest);
  const flags = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: false,
    options: { endpoint: { type: 'string' }, region: { type: 'string' } },
  }).values as { endpoint?: string; region?: string };
  const config = loadConfig();
  const settings = lambdaSettings(config, flags);
  // A tool, unlike an activity, may let the SDK retry a dropped connection.
  const lambda = createLambdaClient(settings, 3);
  try {
    if (command === 'deploy') await deploy(lambda, settings, rest);
    else if (command === 'functions') await functions(lambda, config, rest);
    else throw new UsageError(`unknown command "${command}"`);
    return 0;
  } finally {
    lambda.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const error = err as Error & { $metadata?: unknown };
    if (
      error instanceof UsageError ||
      error instanceof SimulateUsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`spillway: ${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    process.stderr.write(
      `spillway: ${error.name && error.name !== 'Error' ? `${error.name}: ` : ''}${error.message}\n`,
    );
    process.exit(1);
  },
);
