// The function settings of CreateFunction and UpdateFunctionConfiguration: checked against the constraints of the
// AWS API model (with AWS's messages), and rendered back as FunctionConfiguration.
import { InvalidParameterValueError } from './errors';
import type { Architecture, FunctionRecord, FunctionSettings, LatestRecord, VersionRecord } from './function-store';
import { LATEST, parseFunctionRef } from './qualifiers';
import { runtimeSpec } from './runtimes';

export const ROLE_PATTERN = /^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
const ENV_KEY_PATTERN = /^[a-zA-Z]([a-zA-Z0-9_])+$/;
const ENV_MAX_BYTES = 4096;
/** Variables the runtime sets itself; AWS refuses them in Environment. */
const RESERVED_ENV_KEYS = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);

export const DEFAULT_MEMORY_MB = 128;
export const DEFAULT_TIMEOUT_SECONDS = 3;

export type JsonObject = Record<string, unknown>;

function constraint(value: unknown, field: string, rule: string): InvalidParameterValueError {
  const shown =
    value === undefined || value === null ? 'null' : `'${typeof value === 'string' ? value : JSON.stringify(value)}'`;
  return new InvalidParameterValueError(
    `1 validation error detected: Value ${shown} at '${field}' failed to satisfy constraint: ${rule}`,
  );
}

function intField(body: JsonObject, key: string, field: string, min: number, max: number): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw constraint(value, field, 'Member must be an integer');
  if (value < min) throw constraint(value, field, `Member must have value greater than or equal to ${min}`);
  if (value > max) throw constraint(value, field, `Member must have value less than or equal to ${max}`);
  return value;
}

function stringField(body: JsonObject, key: string, field: string, maxLength: number): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw constraint(value, field, 'Member must be a string');
  if (value.length > maxLength) {
    throw constraint(value, field, `Member must have length less than or equal to ${maxLength}`);
  }
  return value;
}

function roleField(body: JsonObject, required: boolean): string | undefined {
  const role = body.Role;
  if (role === undefined || role === null) {
    if (required) throw constraint(role, 'role', 'Member must not be null');
    return undefined;
  }
  if (typeof role !== 'string' || !ROLE_PATTERN.test(role)) {
    throw constraint(role, 'role', `Member must satisfy regular expression pattern: ${ROLE_PATTERN.source}`);
  }
  return role;
}

function handlerField(body: JsonObject): string | undefined {
  const handler = stringField(body, 'Handler', 'handler', 128);
  if (handler !== undefined && !/^[^\s]+$/.test(handler)) {
    throw constraint(handler, 'handler', 'Member must satisfy regular expression pattern: [^\\s]+');
  }
  return handler;
}

function environmentField(body: JsonObject): Record<string, string> | undefined {
  const env = body.Environment;
  if (env === undefined || env === null) return undefined;
  if (typeof env !== 'object' || Array.isArray(env)) throw constraint(env, 'environment', 'Member must be an object');
  const variables = (env as JsonObject).Variables ?? {};
  if (typeof variables !== 'object' || variables === null || Array.isArray(variables)) {
    throw constraint(variables, 'environment.variables', 'Member must be a map');
  }
  const result: Record<string, string> = {};
  const reserved: string[] = [];
  for (const [key, value] of Object.entries(variables as JsonObject)) {
    if (!ENV_KEY_PATTERN.test(key)) {
      throw constraint(
        key,
        'environment.variables',
        'Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]',
      );
    }
    if (typeof value !== 'string') throw constraint(value, `environment.variables.${key}`, 'Member must be a string');
    if (RESERVED_ENV_KEYS.has(key)) reserved.push(key);
    result[key] = value;
  }
  if (reserved.length > 0) {
    throw new InvalidParameterValueError(
      'Lambda was unable to configure your environment variables because the environment variables you have ' +
        'provided contains reserved keys that are currently not supported for modification. Reserved keys used ' +
        `in this request: ${reserved.join(', ')}`,
    );
  }
  const measured = JSON.stringify(result);
  if (Buffer.byteLength(measured) > ENV_MAX_BYTES) {
    throw new InvalidParameterValueError(
      'Lambda was unable to configure your environment variables because the environment variables you have ' +
        `provided exceeded the 4KB limit. String measured: ${measured}`,
    );
  }
  return result;
}

export function architectureField(body: JsonObject): Architecture | undefined {
  const value = body.Architectures;
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length !== 1) {
    throw constraint(value, 'architectures', 'Member must have length less than or equal to 1');
  }
  const [arch] = value as unknown[];
  if (arch !== 'x86_64' && arch !== 'arm64') {
    throw constraint(arch, 'architectures', 'Member must satisfy enum value set: [x86_64, arm64]');
  }
  return arch;
}

function runtimeField(body: JsonObject): string | undefined {
  const runtime = body.Runtime;
  if (runtime === undefined || runtime === null) return undefined;
  return runtimeSpec(runtime).name;
}

function rejectUnsupportedPackaging(body: JsonObject): void {
  if (body.PackageType !== undefined && body.PackageType !== 'Zip') {
    throw new InvalidParameterValueError(
      `PackageType ${String(body.PackageType)} is not supported by this Lambda service; deploy a .zip package.`,
    );
  }
}

/** The base64 ZipFile of a Code object (CreateFunction) or of the UpdateFunctionCode body. */
export function zipFileField(code: unknown): Buffer {
  if (typeof code !== 'object' || code === null) throw constraint(code, 'code', 'Member must not be null');
  const { ZipFile, S3Bucket, S3Key, ImageUri } = code as JsonObject;
  if (ZipFile === undefined && (S3Bucket !== undefined || S3Key !== undefined || ImageUri !== undefined)) {
    throw new InvalidParameterValueError(
      'This Lambda service accepts deployment packages as ZipFile only; S3Bucket/S3Key and ImageUri are not supported.',
    );
  }
  if (typeof ZipFile !== 'string' || ZipFile === '') {
    throw new InvalidParameterValueError('Please provide a source for function code.');
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(ZipFile)) {
    throw new InvalidParameterValueError(
      'Could not unzip uploaded file. Please check your file, then try to upload again.',
    );
  }
  return Buffer.from(ZipFile, 'base64');
}

export interface CreateFunctionInput {
  name: string;
  settings: FunctionSettings;
  zip: Buffer;
  tags: Record<string, string>;
  publish: boolean;
}

export function tagsField(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw constraint(value, 'tags', 'Member must be a map');
  const tags: Record<string, string> = {};
  for (const [key, tag] of Object.entries(value as JsonObject)) {
    if (key.length < 1 || key.length > 128 || key.startsWith('aws:')) {
      throw new InvalidParameterValueError(`Tag key '${key}' is invalid: 1 to 128 characters, not starting with aws:`);
    }
    if (typeof tag !== 'string' || tag.length > 256) {
      throw new InvalidParameterValueError(`Tag value for '${key}' must be a string of at most 256 characters`);
    }
    tags[key] = tag;
  }
  if (Object.keys(tags).length > 50) throw new InvalidParameterValueError('A function can have at most 50 tags.');
  return tags;
}

export function parseCreateFunction(body: JsonObject): CreateFunctionInput {
  const rawName = body.FunctionName;
  if (typeof rawName !== 'string') throw constraint(rawName, 'functionName', 'Member must not be null');
  const ref = parseFunctionRef(rawName);
  if (ref.qualifier !== undefined) {
    throw new InvalidParameterValueError(
      `Function name ${rawName} must not carry a qualifier when creating a function.`,
    );
  }
  rejectUnsupportedPackaging(body);
  const role = roleField(body, true) ?? '';
  const runtime = runtimeField(body);
  const handler = handlerField(body);
  if (runtime === undefined || handler === undefined) {
    throw new InvalidParameterValueError(
      'Runtime and Handler are mandatory parameters for functions created with deployment packages.',
    );
  }
  if (body.Publish !== undefined && typeof body.Publish !== 'boolean') {
    throw constraint(body.Publish, 'publish', 'Member must be a boolean');
  }
  const zip = zipFileField(body.Code);
  return {
    name: ref.name,
    settings: {
      runtime,
      handler,
      role,
      memorySize: intField(body, 'MemorySize', 'memorySize', 128, 10240) ?? DEFAULT_MEMORY_MB,
      timeout: intField(body, 'Timeout', 'timeout', 1, 900) ?? DEFAULT_TIMEOUT_SECONDS,
      environment: environmentField(body) ?? {},
      description: stringField(body, 'Description', 'description', 256) ?? '',
      architecture: architectureField(body) ?? 'x86_64',
    },
    zip,
    tags: tagsField(body.Tags),
    publish: body.Publish === true,
  };
}

/** UpdateFunctionConfiguration: the given fields replace the current ones; the rest stay. */
export function applyConfigurationUpdate(current: FunctionSettings, body: JsonObject): FunctionSettings {
  rejectUnsupportedPackaging(body);
  return {
    runtime: runtimeField(body) ?? current.runtime,
    handler: handlerField(body) ?? current.handler,
    role: roleField(body, false) ?? current.role,
    memorySize: intField(body, 'MemorySize', 'memorySize', 128, 10240) ?? current.memorySize,
    timeout: intField(body, 'Timeout', 'timeout', 1, 900) ?? current.timeout,
    environment: environmentField(body) ?? current.environment,
    description: stringField(body, 'Description', 'description', 256) ?? current.description,
    architecture: architectureField(body) ?? current.architecture,
  };
}

/** Says whether $LATEST changed since a version was published from it: code and every setting. */
export function fingerprint(version: Pick<VersionRecord, 'settings' | 'codeSha256'>): string {
  const { environment, ...rest } = version.settings;
  const env = Object.keys(environment)
    .sort()
    .map((k) => [k, environment[k]]);
  return JSON.stringify({ ...rest, env, codeSha256: version.codeSha256 });
}

export interface ArnFactory {
  arn(name: string, qualifier?: string): string;
}

function isLatest(version: VersionRecord): version is LatestRecord {
  return version.version === LATEST;
}

/** FunctionConfiguration as AWS renders it for $LATEST or a published version. */
export function renderConfiguration(
  arns: ArnFactory,
  record: FunctionRecord,
  version: VersionRecord,
  options: { qualifiedLatestArn?: boolean } = {},
): JsonObject {
  const { settings } = version;
  const latest = isLatest(version);
  const qualifier = latest ? (options.qualifiedLatestArn ? LATEST : undefined) : version.version;
  const body: JsonObject = {
    FunctionName: record.name,
    FunctionArn: arns.arn(record.name, qualifier),
    Runtime: settings.runtime,
    Role: settings.role,
    Handler: settings.handler,
    CodeSize: version.codeSize,
    Description: settings.description,
    Timeout: settings.timeout,
    MemorySize: settings.memorySize,
    LastModified: version.lastModified,
    CodeSha256: version.codeSha256,
    Version: version.version,
    TracingConfig: { Mode: 'PassThrough' },
    RevisionId: version.revisionId,
    PackageType: 'Zip',
    Architectures: [settings.architecture],
    EphemeralStorage: { Size: 512 },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${record.name}` },
  };
  if (Object.keys(settings.environment).length > 0) body.Environment = { Variables: { ...settings.environment } };
  if (latest) {
    body.State = version.state;
    if (version.stateReason) body.StateReason = version.stateReason;
    if (version.stateReasonCode) body.StateReasonCode = version.stateReasonCode;
    if (version.lastUpdateStatus) body.LastUpdateStatus = version.lastUpdateStatus;
    if (version.lastUpdateStatusReason) body.LastUpdateStatusReason = version.lastUpdateStatusReason;
    if (version.lastUpdateStatusReasonCode) body.LastUpdateStatusReasonCode = version.lastUpdateStatusReasonCode;
  } else {
    body.State = 'Active';
    body.LastUpdateStatus = 'Successful';
  }
  return body;
}
