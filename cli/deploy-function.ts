// Creates or updates a packaged function on a Lambda endpoint (the local service, LocalStack or AWS: only the
// client's configuration differs), waits until Lambda says it is usable, keeps Spillway's tags in line with the
// manifest, and publishes a version and points an alias at it when asked. An unchanged package is not re-uploaded.
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  PublishVersionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type FunctionConfiguration,
  type LambdaClient,
  type Runtime,
} from '@aws-sdk/client-lambda';
import { manifestTags } from '../domain/function-manifest';
import type { PackagedFunction } from './package-function';

/** Thrown when Lambda refuses the deployment or the function does not become usable. */
export class DeployError extends Error {
  override readonly name = 'DeployError';
}

export interface DeployOptions {
  role: string;
  publish?: boolean;
  alias?: string;
  /** Variables added to the function's environment (the callback secret on AWS). */
  extraEnvironment?: Record<string, string>;
  log?: (message: string) => void;
  /** How long to wait for State Active / LastUpdateStatus Successful. Default 120 s. */
  waitMs?: number;
}

export interface DeployResult {
  name: string;
  arn: string;
  action: 'created' | 'updated' | 'unchanged';
  codeSha256: string;
  version: string;
  alias?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function notFound(err: unknown): boolean {
  return (err as { name?: string }).name === 'ResourceNotFoundException';
}

/** Lambda's configuration fields the manifest decides, in the shape UpdateFunctionConfiguration takes. */
function desiredConfiguration(pkg: PackagedFunction, role: string, extra: Record<string, string>) {
  const lambda = pkg.manifest.lambda ?? {};
  return {
    Role: role,
    // The SDK's list of runtime names lags behind Lambda's; the endpoint is the judge of what it runs.
    Runtime: pkg.runtime as Runtime,
    Handler: pkg.handler,
    MemorySize: lambda.memoryMB ?? 128,
    Timeout: lambda.timeoutSeconds ?? 3,
    Description: pkg.manifest.description ?? '',
    Environment: { Variables: { ...(lambda.environment ?? {}), ...extra } },
  };
}

function sameConfiguration(current: FunctionConfiguration, desired: ReturnType<typeof desiredConfiguration>): boolean {
  const env = current.Environment?.Variables ?? {};
  const want = desired.Environment.Variables;
  return (
    current.Runtime === desired.Runtime &&
    current.Handler === desired.Handler &&
    current.MemorySize === desired.MemorySize &&
    current.Timeout === desired.Timeout &&
    (current.Description ?? '') === desired.Description &&
    current.Role === desired.Role &&
    Object.keys(env).length === Object.keys(want).length &&
    Object.entries(want).every(([k, v]) => env[k] === v)
  );
}

async function waitUsable(lambda: LambdaClient, name: string, waitMs: number, log: (m: string) => void) {
  const deadline = Date.now() + waitMs;
  let said = '';
  for (;;) {
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    const state = `${config.State ?? 'Active'}/${config.LastUpdateStatus ?? 'Successful'}`;
    if (config.State === 'Failed' || config.LastUpdateStatus === 'Failed') {
      throw new DeployError(
        `Lambda could not make ${name} usable: ${config.StateReason ?? config.LastUpdateStatusReason ?? state}`,
      );
    }
    if ((config.State ?? 'Active') === 'Active' && (config.LastUpdateStatus ?? 'Successful') === 'Successful')
      return config;
    if (state !== said) log(`waiting for ${name}: ${state}`);
    said = state;
    if (Date.now() > deadline) throw new DeployError(`${name} was still ${state} after ${waitMs / 1000} s`);
    await sleep(250);
  }
}

async function syncTags(
  lambda: LambdaClient,
  arn: string,
  current: Record<string, string>,
  want: Record<string, string>,
) {
  const stale = Object.keys(current).filter((k) => k.startsWith('spillway:') && !(k in want));
  if (stale.length) await lambda.send(new UntagResourceCommand({ Resource: arn, TagKeys: stale }));
  const changed = Object.entries(want).some(([k, v]) => current[k] !== v);
  if (changed) await lambda.send(new TagResourceCommand({ Resource: arn, Tags: want }));
}

export async function deployFunction(
  lambda: LambdaClient,
  pkg: PackagedFunction,
  options: DeployOptions,
): Promise<DeployResult> {
  const log = options.log ?? (() => undefined);
  const waitMs = options.waitMs ?? 120_000;
  const desired = desiredConfiguration(pkg, options.role, options.extraEnvironment ?? {});
  const architectures = [pkg.manifest.lambda?.architecture ?? 'x86_64'];
  const tags = manifestTags(pkg.manifest);
  let action: DeployResult['action'];
  let existing;
  try {
    existing = await lambda.send(new GetFunctionCommand({ FunctionName: pkg.name }));
  } catch (err) {
    if (!notFound(err)) throw err;
  }
  if (!existing?.Configuration) {
    log(`creating ${pkg.name} (${pkg.runtime}, ${desired.MemorySize} MB, ${desired.Timeout} s)`);
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: pkg.name,
        ...desired,
        Architectures: architectures,
        Code: { ZipFile: pkg.zip },
        Tags: tags,
        PackageType: 'Zip',
      }),
    );
    action = 'created';
  } else {
    const current = existing.Configuration;
    const codeChanged = current.CodeSha256 !== pkg.codeSha256 || current.Architectures?.[0] !== architectures[0];
    const configChanged = !sameConfiguration(current, desired);
    if (codeChanged) {
      log(`updating the code of ${pkg.name} (${current.CodeSha256?.slice(0, 12)}… → ${pkg.codeSha256.slice(0, 12)}…)`);
      await lambda.send(
        new UpdateFunctionCodeCommand({ FunctionName: pkg.name, ZipFile: pkg.zip, Architectures: architectures }),
      );
      await waitUsable(lambda, pkg.name, waitMs, log);
    }
    if (configChanged) {
      log(`updating the configuration of ${pkg.name}`);
      await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: pkg.name, ...desired }));
    }
    await syncTags(lambda, current.FunctionArn ?? '', existing.Tags ?? {}, tags);
    action = codeChanged || configChanged ? 'updated' : 'unchanged';
  }
  const config = await waitUsable(lambda, pkg.name, waitMs, log);
  const arn = config.FunctionArn ?? '';
  let version = '$LATEST';
  if (options.publish || options.alias) {
    const published = await lambda.send(
      new PublishVersionCommand({ FunctionName: pkg.name, CodeSha256: pkg.codeSha256 }),
    );
    version = published.Version ?? '$LATEST';
    log(`published version ${version}`);
  }
  if (options.alias) {
    let aliasExists = true;
    try {
      await lambda.send(new GetAliasCommand({ FunctionName: pkg.name, Name: options.alias }));
    } catch (err) {
      if (!notFound(err)) throw err;
      aliasExists = false;
    }
    const input = { FunctionName: pkg.name, Name: options.alias, FunctionVersion: version };
    if (aliasExists) await lambda.send(new UpdateAliasCommand(input));
    else await lambda.send(new CreateAliasCommand(input));
    log(`alias ${options.alias} → version ${version}`);
  }
  return {
    name: pkg.name,
    arn,
    action,
    codeSha256: config.CodeSha256 ?? pkg.codeSha256,
    version,
    alias: options.alias,
  };
}
