// The Lambda control plane: functions, code, configuration, versions, aliases and tags, with the paths, status
// codes and shapes of the AWS API model (CreateFunction$, PublishVersion$, CreateAlias$... in
// @aws-sdk/client-lambda), plus the download behind GetFunction's pre-signed Code.Location.
import { randomUUID } from 'node:crypto';
import type { CodeStore } from './code-store';
import type { CodeUrlSigner } from './code-url';
import { CODE_URL_PREFIX } from './code-url';
import {
  InvalidParameterValueError,
  PreconditionFailedError,
  RequestEntityTooLargeError,
  ResourceConflictError,
  ResourceNotFoundError,
} from './errors';
import type { JsonObject } from './function-config';
import {
  applyConfigurationUpdate,
  architectureField,
  parseCreateFunction,
  renderConfiguration,
  tagsField,
  zipFileField,
} from './function-config';
import type { FunctionLifecycle } from './function-lifecycle';
import { aliasNotFound } from './function-lifecycle';
import type { FunctionRegistry, FunctionState } from './function-registry';
import type { AliasRecord, VersionRecord } from './function-store';
import type { ApiResponse } from './http-io';
import { parseJsonObject } from './http-io';
import { ALIAS_NAME_PATTERN, combineQualifier, isVersionNumber, LATEST, parseFunctionRef } from './qualifiers';
import type { Route, RouteContext } from './router';
import { makeRouter } from './router';

/** AWS's body limit for a package uploaded in the request: 50 MB of zip, base64-encoded, plus the JSON around it. */
export const MAX_UPLOAD_REQUEST_BYTES = 69_905_067;

export interface ControlPlaneParts {
  registry: FunctionRegistry;
  lifecycle: FunctionLifecycle;
  code: CodeStore;
  codeUrls: CodeUrlSigner;
}

function uploadTooLarge(operation: string, max: number): RequestEntityTooLargeError {
  return new RequestEntityTooLargeError(`Request must be smaller than ${max} bytes for the ${operation} operation`);
}

function optionalString(body: JsonObject, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new InvalidParameterValueError(`${key} must be a string`);
  return value;
}

function optionalBoolean(body: JsonObject, key: string): boolean {
  const value = body[key];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new InvalidParameterValueError(`${key} must be a boolean`);
  return value;
}

/** Marker/MaxItems pagination; the marker is the index of the next item. */
function paginate<T>(items: T[], query: URLSearchParams, pageLimit: number): { page: T[]; next?: string } {
  const rawMax = query.get('MaxItems');
  let maxItems = pageLimit;
  if (rawMax !== null) {
    const n = Number(rawMax);
    if (!Number.isInteger(n) || n < 1 || n > 10_000) {
      throw new InvalidParameterValueError(
        `1 validation error detected: Value '${rawMax}' at 'maxItems' failed to satisfy constraint: Member must ` +
          'have value between 1 and 10000',
      );
    }
    maxItems = Math.min(n, pageLimit);
  }
  const rawMarker = query.get('Marker');
  let start = 0;
  if (rawMarker !== null && rawMarker !== '') {
    start = Number(rawMarker);
    if (!Number.isInteger(start) || start < 0) throw new InvalidParameterValueError(`Invalid Marker: ${rawMarker}`);
  }
  const page = items.slice(start, start + maxItems);
  const next = start + maxItems < items.length ? String(start + maxItems) : undefined;
  return next === undefined ? { page } : { page, next };
}

export function buildControlPlaneRoutes(parts: ControlPlaneParts): Route[] {
  const { registry, lifecycle, code, codeUrls } = parts;
  const route = makeRouter(uploadTooLarge);
  const upload = { maxBodyBytes: MAX_UPLOAD_REQUEST_BYTES, tooLarge: uploadTooLarge };

  const configuration = (state: FunctionState, version: VersionRecord, qualifiedLatestArn = false) =>
    renderConfiguration(registry, state.record, version, { qualifiedLatestArn });

  const aliasBody = (state: FunctionState, alias: AliasRecord): JsonObject => ({
    AliasArn: registry.arn(state.record.name, alias.name),
    Name: alias.name,
    FunctionVersion: alias.functionVersion,
    Description: alias.description,
    ...(alias.additionalVersionWeights
      ? { RoutingConfig: { AdditionalVersionWeights: { ...alias.additionalVersionWeights } } }
      : {}),
    RevisionId: alias.revisionId,
  });

  const findAlias = (state: FunctionState, name: string): AliasRecord => {
    const alias = state.record.aliases.find((a) => a.name === name);
    if (!alias) throw aliasNotFound(registry.arn(state.record.name, name));
    return alias;
  };

  /** An alias's target and weights, checked as AWS checks them. */
  const aliasTarget = (
    state: FunctionState,
    functionVersion: unknown,
    routing: unknown,
  ): { functionVersion: string; additionalVersionWeights?: Record<string, number> } => {
    if (typeof functionVersion !== 'string' || !(functionVersion === LATEST || isVersionNumber(functionVersion))) {
      throw new InvalidParameterValueError(
        `1 validation error detected: Value '${String(functionVersion)}' at 'functionVersion' failed to satisfy ` +
          'constraint: Member must satisfy regular expression pattern: (\\$LATEST|[0-9]+)',
      );
    }
    registry.versionOf(state, functionVersion);
    if (routing === undefined || routing === null) return { functionVersion };
    const weights = (routing as JsonObject).AdditionalVersionWeights ?? {};
    if (typeof weights !== 'object' || weights === null || Array.isArray(weights)) {
      throw new InvalidParameterValueError(
        'RoutingConfig.AdditionalVersionWeights must be a map of version to weight.',
      );
    }
    const entries = Object.entries(weights as JsonObject);
    if (entries.length === 0) return { functionVersion };
    if (entries.length > 1) {
      throw new InvalidParameterValueError('Number of items in AdditionalVersionWeights cannot be greater than 1');
    }
    if (functionVersion === LATEST) {
      throw new InvalidParameterValueError('$LATEST is not supported for an alias pointing to more than 1 version');
    }
    const result: Record<string, number> = {};
    for (const [version, weight] of entries) {
      if (!isVersionNumber(version)) {
        throw new InvalidParameterValueError('$LATEST is not supported for an alias pointing to more than 1 version');
      }
      if (version === functionVersion) {
        throw new InvalidParameterValueError(
          `Invalid function version ${version}. Function version ${version} is already included in routing configuration.`,
        );
      }
      if (typeof weight !== 'number' || weight < 0 || weight > 1) {
        throw new InvalidParameterValueError(
          `1 validation error detected: Value '${String(weight)}' at 'routingConfig.additionalVersionWeights' ` +
            'failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or ' +
            'equal to 1.0, Member must have value greater than or equal to 0.0]',
        );
      }
      registry.versionOf(state, version);
      result[version] = weight;
    }
    return { functionVersion, additionalVersionWeights: result };
  };

  const createFunction = async (ctx: RouteContext): Promise<ApiResponse> => {
    const input = parseCreateFunction(parseJsonObject(ctx.body));
    const { state, published } = await lifecycle.create(input);
    return { status: 201, body: configuration(state, published ?? state.record.latest) };
  };

  const updateCode = async (ctx: RouteContext): Promise<ApiResponse> => {
    const state = registry.getUnqualified(ctx.params[0] ?? '');
    const body = parseJsonObject(ctx.body);
    const zip = zipFileField(body);
    const { latest, published } = await lifecycle.updateCode(state, zip, {
      // A package built for the other architecture comes with it, as on AWS.
      architecture: architectureField(body),
      publish: optionalBoolean(body, 'Publish'),
      dryRun: optionalBoolean(body, 'DryRun'),
      revisionId: optionalString(body, 'RevisionId'),
    });
    return { status: 200, body: configuration(state, published ?? latest) };
  };

  const updateConfiguration = (ctx: RouteContext): ApiResponse => {
    const state = registry.getUnqualified(ctx.params[0] ?? '');
    const body = parseJsonObject(ctx.body);
    const settings = applyConfigurationUpdate(state.record.latest.settings, body);
    const latest = lifecycle.updateConfiguration(state, settings, optionalString(body, 'RevisionId'));
    return { status: 200, body: configuration(state, latest) };
  };

  const getFunction = (ctx: RouteContext): ApiResponse => {
    const { state, version, alias } = registry.resolve(ctx.params[0] ?? '', ctx.query.get('Qualifier'));
    const location = codeUrls.url(ctx.baseUrl, {
      functionName: state.record.name,
      version: alias ? alias.name : version.version,
      codeSha256: version.codeSha256,
    });
    const body: JsonObject = {
      Configuration: configuration(state, version),
      Code: { RepositoryType: 'S3', Location: location },
      Tags: { ...state.record.tags },
    };
    if (state.record.reservedConcurrency !== undefined) {
      body.Concurrency = { ReservedConcurrentExecutions: state.record.reservedConcurrency };
    }
    return { status: 200, body };
  };

  const deleteFunction = async (ctx: RouteContext): Promise<ApiResponse> => {
    const ref = combineQualifier(parseFunctionRef(ctx.params[0] ?? ''), ctx.query.get('Qualifier'));
    const state = registry.find(ref.name);
    if (!state) throw registry.notFound(ref.name, ref.qualifier);
    await lifecycle.delete(state, ref.qualifier);
    return { status: 204 };
  };

  const listFunctions = (ctx: RouteContext): ApiResponse => {
    const all = ctx.query.get('FunctionVersion') === 'ALL';
    const fv = ctx.query.get('FunctionVersion');
    if (fv !== null && fv !== 'ALL') {
      throw new InvalidParameterValueError(
        `1 validation error detected: Value '${fv}' at 'functionVersion' failed to satisfy constraint: Member must ` +
          'satisfy enum value set: [ALL]',
      );
    }
    const items = registry
      .all()
      .sort((a, b) => a.record.name.localeCompare(b.record.name))
      .flatMap((f) =>
        all
          ? [configuration(f, f.record.latest, true), ...f.record.versions.map((v) => configuration(f, v))]
          : [configuration(f, f.record.latest)],
      );
    const { page, next } = paginate(items, ctx.query, 50);
    return { status: 200, body: { Functions: page, ...(next ? { NextMarker: next } : {}) } };
  };

  const publishVersion = (ctx: RouteContext): ApiResponse => {
    const state = registry.getUnqualified(ctx.params[0] ?? '');
    const body = parseJsonObject(ctx.body);
    const version = lifecycle.publish(state, {
      codeSha256: optionalString(body, 'CodeSha256'),
      description: optionalString(body, 'Description'),
      revisionId: optionalString(body, 'RevisionId'),
    });
    return { status: 201, body: configuration(state, version) };
  };

  const listVersions = (ctx: RouteContext): ApiResponse => {
    const state = registry.getUnqualified(ctx.params[0] ?? '');
    const items = [
      configuration(state, state.record.latest, true),
      ...state.record.versions.map((v) => configuration(state, v)),
    ];
    const { page, next } = paginate(items, ctx.query, 50);
    return { status: 200, body: { Versions: page, ...(next ? { NextMarker: next } : {}) } };
  };

  const createAlias = (ctx: RouteContext): ApiResponse => {
    const state = registry.getUnqualified(ctx.params[0] ?? '');
    const body = parseJsonObject(ctx.body);
    const name = body.Name;
    if (typeof name !== 'string' || !ALIAS_NAME_PATTERN.test(name)) {
      throw new InvalidParameterValueError(
        `1 validation error detected: Value '${String(name)}' at 'name' failed to satisfy constraint: Member must ` +
          'satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)',
      );
    }
    if (state.record.aliases.some((a) => a.name === name)) {
      throw new ResourceConflictError(`Alias already exists: ${registry.arn(state.record.name, name)}`);
    }
    const target = aliasTarget(state, body.FunctionVersion, body.RoutingConfig);
    const alias: AliasRecord = {
      name,
      ...target,
      description: optionalString(body, 'Description') ?? '',
      revisionId: randomUUID(),
    };
    state.record.aliases.push(alias);
    registry.save(state);
    return { status: 201, body: aliasBody(state, alias) };
  };

  const updateAlias = (ctx: RouteContext): ApiResponse => {
    const state = registry.getUnqualified(ctx.params[0] ?? '');
    const alias = findAlias(state, ctx.params[1] ?? '');
    const body = parseJsonObject(ctx.body);
    const revisionId = optionalString(body, 'RevisionId');
    if (revisionId !== undefined && revisionId !== alias.revisionId) {
      throw new PreconditionFailedError(
        'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to ' +
          'retrieve the latest Revision Id',
      );
    }
    const routing =
      body.RoutingConfig !== undefined
        ? body.RoutingConfig
        : alias.additionalVersionWeights
          ? { AdditionalVersionWeights: alias.additionalVersionWeights }
          : undefined;
    const target = aliasTarget(state, body.FunctionVersion ?? alias.functionVersion, routing);
    alias.functionVersion = target.functionVersion;
    if (target.additionalVersionWeights) alias.additionalVersionWeights = target.additionalVersionWeights;
    else delete alias.additionalVersionWeights;
    alias.description = optionalString(body, 'Description') ?? alias.description;
    alias.revisionId = randomUUID();
    registry.save(state);
    return { status: 200, body: aliasBody(state, alias) };
  };

  const listAliases = (ctx: RouteContext): ApiResponse => {
    const state = registry.getUnqualified(ctx.params[0] ?? '');
    const version = ctx.query.get('FunctionVersion');
    const aliases = state.record.aliases.filter(
      (a) => version === null || a.functionVersion === version || a.additionalVersionWeights?.[version] !== undefined,
    );
    const { page, next } = paginate(
      aliases.map((a) => aliasBody(state, a)),
      ctx.query,
      50,
    );
    return { status: 200, body: { Aliases: page, ...(next ? { NextMarker: next } : {}) } };
  };

  /** Tags live on the function; AWS refuses them on a version or alias ARN. */
  const taggedFunction = (ctx: RouteContext): FunctionState => {
    const resource = ctx.params[0] ?? '';
    if (!resource.startsWith('arn:')) {
      throw new InvalidParameterValueError(`${resource} is not a valid function ARN.`);
    }
    const ref = parseFunctionRef(resource);
    if (ref.qualifier !== undefined) {
      throw new InvalidParameterValueError(
        'Tags on function aliases and versions are not supported. Please specify a function ARN.',
      );
    }
    return registry.getFunction(ref.name);
  };

  const serveCode = async (ctx: RouteContext, pathname: string): Promise<ApiResponse> => {
    const codeSha256 = codeUrls.verify(pathname, ctx.query);
    const zip = await code.read(codeSha256).catch(() => {
      throw codeGone();
    });
    return {
      status: 200,
      headers: { 'Content-Type': 'application/zip', 'Content-Disposition': 'attachment' },
      body: zip,
    };
  };

  const functionPath = '/2015-03-31/functions/{name}';
  return [
    route('POST', '/2015-03-31/functions/?', 'CreateFunction', createFunction, upload),
    route('GET', '/2015-03-31/functions/?', 'ListFunctions', listFunctions),
    route('GET', functionPath, 'GetFunction', getFunction),
    route('DELETE', functionPath, 'DeleteFunction', deleteFunction),
    route('GET', `${functionPath}/configuration`, 'GetFunctionConfiguration', (ctx) => {
      const { state, version } = registry.resolve(ctx.params[0] ?? '', ctx.query.get('Qualifier'));
      return { status: 200, body: configuration(state, version) };
    }),
    route('PUT', `${functionPath}/configuration`, 'UpdateFunctionConfiguration', updateConfiguration),
    route('PUT', `${functionPath}/code`, 'UpdateFunctionCode', updateCode, upload),
    route('POST', `${functionPath}/versions`, 'PublishVersion', publishVersion),
    route('GET', `${functionPath}/versions`, 'ListVersionsByFunction', listVersions),
    route('POST', `${functionPath}/aliases`, 'CreateAlias', createAlias),
    route('GET', `${functionPath}/aliases`, 'ListAliases', listAliases),
    route('GET', `${functionPath}/aliases/{alias}`, 'GetAlias', (ctx) => {
      const state = registry.getUnqualified(ctx.params[0] ?? '');
      return { status: 200, body: aliasBody(state, findAlias(state, ctx.params[1] ?? '')) };
    }),
    route('PUT', `${functionPath}/aliases/{alias}`, 'UpdateAlias', updateAlias),
    route('DELETE', `${functionPath}/aliases/{alias}`, 'DeleteAlias', (ctx) => {
      const state = registry.getUnqualified(ctx.params[0] ?? '');
      const alias = findAlias(state, ctx.params[1] ?? '');
      state.record.aliases = state.record.aliases.filter((a) => a !== alias);
      delete state.record.eventInvokeConfigs[alias.name];
      registry.save(state);
      return { status: 204 };
    }),
    route('GET', '/2017-03-31/tags/{resource}', 'ListTags', (ctx) => ({
      status: 200,
      body: { Tags: { ...taggedFunction(ctx).record.tags } },
    })),
    route('POST', '/2017-03-31/tags/{resource}', 'TagResource', (ctx) => {
      const state = taggedFunction(ctx);
      const tags = tagsField(parseJsonObject(ctx.body).Tags);
      const merged = { ...state.record.tags, ...tags };
      if (Object.keys(merged).length > 50) throw new InvalidParameterValueError('A function can have at most 50 tags.');
      state.record.tags = merged;
      registry.save(state);
      return { status: 204 };
    }),
    route('DELETE', '/2017-03-31/tags/{resource}', 'UntagResource', (ctx) => {
      const state = taggedFunction(ctx);
      for (const key of ctx.query.getAll('tagKeys')) delete state.record.tags[key];
      registry.save(state);
      return { status: 204 };
    }),
    route(
      'GET',
      `${CODE_URL_PREFIX}[^/]+/[^/]+/[0-9a-f]{64}\\.zip`,
      'GetFunctionCode',
      (ctx) => serveCode(ctx, ctx.pathname),
      { signed: false },
    ),
  ];
}

function codeGone(): ResourceNotFoundError {
  return new ResourceNotFoundError('The package this code location names no longer exists.');
}
