// The deployed functions, learned from the Lambda endpoint: ListFunctions for what exists, tags and the package's
// spillway.json for what Spillway needs to know, GetFunctionConfiguration for a pinned version or alias. Answers
// come from a short-lived cache, refreshed in the background, so a task submission costs no Lambda call, and a new
// deployment is seen within a few seconds without a restart; a name the cache does not know yet forces a refresh.
import {
  GetFunctionConfigurationCommand,
  ListAliasesCommand,
  ListFunctionsCommand,
  ListTagsCommand,
  ListVersionsByFunctionCommand,
  type FunctionConfiguration,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import Ajv2020 from 'ajv/dist/2020';
import AjvDraft7 from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import {
  AmbiguousTaskTypeError,
  FunctionTypeMismatchError,
  UnknownFunctionError,
  UnknownTaskTypeError,
  type Architecture,
  type DeployedFunction,
  type FunctionDetail,
} from '../domain/deployed-function';
import { parseFunctionRef, spillwayFacts, TAG_KEYS } from '../domain/function-manifest';
import type { FunctionPackages } from './function-packages';

export interface PayloadProblem {
  /** JSON Pointer into the payload, `/` for the payload itself. */
  path: string;
  message: string;
}

export interface FunctionDirectory {
  /** The $LATEST of every deployed function. */
  list(): Promise<DeployedFunction[]>;
  /**
   * `name` or `name:qualifier` → the configuration of that version; UnknownFunctionError when there is none.
   * `fresh` reads `$LATEST` from the endpoint now rather than from the cache (see ResolveOptions).
   */
  resolve(ref: string, options?: ResolveOptions): Promise<DeployedFunction>;
  /** The function a task runs: its functionName when given (which must serve the type), else the type's one. */
  forTask(type: string, functionRef?: string): Promise<DeployedFunction>;
  /** Every task type and the functions that serve it. */
  taskTypes(): Promise<Map<string, DeployedFunction[]>>;
  detail(name: string): Promise<FunctionDetail | undefined>;
  /** Checks a payload against the version's payload schema; no schema, no problems. */
  validatePayload(fn: DeployedFunction, payload: unknown): PayloadProblem[];
  /** Forgets everything cached, so the next answer comes from the Lambda endpoint. */
  invalidate(): void;
}

export interface ResolveOptions {
  /**
   * For `$LATEST` only (a published version never changes, and an alias is invoked by the version it names): read
   * the configuration now, and wait while an update or a creation is in progress, because until it completes
   * Lambda still runs the previous package, which the configuration no longer names. What an attempt records is
   * then the code it runs, not the code of a listing up to `refreshMs` old.
   */
  fresh?: boolean;
  /** How long a fresh read waits for an update in progress to finish. Default 30 s. */
  waitMs?: number;
  /**
   * The endpoint the attempt invokes, when it is another one than the directory's (a LAMBDA_TARGETS target in
   * another region): the fresh configuration is read there, since that is the code that runs; the Spillway facts
   * (task types, event, schema) still come from the directory's own endpoint.
   */
  lambda?: LambdaClient;
  signal?: AbortSignal;
}

/** Thrown by a fresh resolve when $LATEST cannot be run as its configuration says (an update failed or hangs). */
export class FunctionNotReadyError extends Error {
  override readonly name = 'FunctionNotReadyError';
}

export interface FunctionDirectoryOptions {
  lambda: LambdaClient;
  packages: FunctionPackages;
  /** How long a listing is fresh; older ones are served while a refresh runs. Default 2 s. */
  refreshMs?: number;
  log?: (message: string) => void;
}

interface Listing {
  at: number;
  functions: DeployedFunction[];
}

/** A cache miss forces a refresh, but not more often than this: a typo must not hammer the Lambda API. */
const MISS_REFRESH_MS = 250;
const TAGS_MAX_AGE_MS = 30_000;

function architectureOf(config: FunctionConfiguration): Architecture {
  return config.Architectures?.[0] === 'arm64' ? 'arm64' : 'x86_64';
}

/** `arn:aws:lambda:region:account:function:name[:qualifier]` without its qualifier: tags belong to the function. */
function unqualifiedArn(arn: string): string {
  return arn.split(':').slice(0, 7).join(':');
}

function notFound(err: unknown): boolean {
  return (err as { name?: string }).name === 'ResourceNotFoundException';
}

export function createFunctionDirectory(options: FunctionDirectoryOptions): FunctionDirectory {
  const refreshMs = options.refreshMs ?? 2_000;
  const log = options.log ?? console.warn;
  let listing: Listing | undefined;
  let refreshing: Promise<Listing> | undefined;
  const tags = new Map<string, { at: number; revision: string; tags: Record<string, string> }>();
  const versions = new Map<string, { at: number; fn: Promise<DeployedFunction> }>();
  const validators = new Map<string, ValidateFunction | null>();

  async function tagsOf(config: FunctionConfiguration): Promise<Record<string, string>> {
    const arn = unqualifiedArn(config.FunctionArn ?? '');
    const revision = `${config.RevisionId ?? ''}|${config.LastModified ?? ''}`;
    // Per version: each has its own RevisionId, and one must not make the other's cached tags look stale.
    const key = `${arn}|${config.Version ?? '$LATEST'}`;
    const cached = tags.get(key);
    if (cached && cached.revision === revision && Date.now() - cached.at < TAGS_MAX_AGE_MS) return cached.tags;
    const answer = await options.lambda.send(new ListTagsCommand({ Resource: arn }));
    const value = answer.Tags ?? {};
    tags.set(key, { at: Date.now(), revision, tags: value });
    return value;
  }

  async function describe(
    config: FunctionConfiguration,
    functionTags: Record<string, string>,
  ): Promise<DeployedFunction> {
    const name = config.FunctionName ?? '';
    const version = config.Version ?? '$LATEST';
    const codeSha256 = config.CodeSha256 ?? '';
    let manifest;
    if (functionTags[TAG_KEYS.manifest] && codeSha256) {
      try {
        manifest = await options.packages.manifest({ name, version, codeSha256 });
      } catch (err) {
        log(`the manifest of ${name}:${version} could not be read, using its tags: ${(err as Error).message}`);
      }
    }
    const arn = unqualifiedArn(config.FunctionArn ?? '');
    return {
      name,
      arn,
      version,
      codeSha256,
      codeSize: config.CodeSize ?? 0,
      runtime: config.Runtime ?? '',
      handler: config.Handler ?? '',
      memoryMB: config.MemorySize ?? 128,
      timeoutSeconds: config.Timeout ?? 3,
      architecture: architectureOf(config),
      description: config.Description ?? '',
      lastModified: config.LastModified ?? '',
      state: config.State ?? 'Active',
      environment: { ...(config.Environment?.Variables ?? {}) },
      spillway: spillwayFacts(name, functionTags, manifest),
    };
  }

  async function fetchListing(): Promise<Listing> {
    const configs: FunctionConfiguration[] = [];
    let marker: string | undefined;
    do {
      const page = await options.lambda.send(new ListFunctionsCommand({ Marker: marker, MaxItems: 50 }));
      configs.push(...(page.Functions ?? []));
      marker = page.NextMarker;
    } while (marker);
    const functions = await Promise.all(
      configs.map(async (config) => describe(config, await tagsOf(config).catch(() => ({})))),
    );
    functions.sort((a, b) => a.name.localeCompare(b.name));
    return { at: Date.now(), functions };
  }

  function refresh(): Promise<Listing> {
    refreshing ??= fetchListing()
      .then((fresh) => (listing = fresh))
      .finally(() => (refreshing = undefined));
    return refreshing;
  }

  /**
   * The cached listing, never older than `refreshMs` while the endpoint answers: an older one is refreshed first.
   * Answering the stale one while refreshing behind it made the first task after an idle spell run the code of
   * its last use, however long ago an update was deployed. When the endpoint fails, the last listing still serves.
   */
  async function current(): Promise<Listing> {
    if (!listing) return refresh();
    if (Date.now() - listing.at <= refreshMs) return listing;
    const stale = listing;
    return refresh().catch((err: Error) => {
      log(`function listing failed, using the one from ${new Date(stale.at).toISOString()}: ${err.message}`);
      return stale;
    });
  }

  /** Looks something up; if the cache does not have it and is not brand new, asks the endpoint once more. */
  async function lookup<T>(find: (functions: DeployedFunction[]) => T | undefined): Promise<T | undefined> {
    const first = await current();
    const found = find(first.functions);
    if (found !== undefined || Date.now() - first.at < MISS_REFRESH_MS) return found;
    return find((await refresh()).functions);
  }

  /** The directory's own view of a function, with the code and settings another endpoint runs for it. */
  function onOtherEndpoint(facts: DeployedFunction, config: FunctionConfiguration): DeployedFunction {
    return {
      ...facts,
      arn: unqualifiedArn(config.FunctionArn ?? facts.arn),
      version: config.Version ?? '$LATEST',
      codeSha256: config.CodeSha256 ?? '',
      codeSize: config.CodeSize ?? 0,
      runtime: config.Runtime ?? facts.runtime,
      handler: config.Handler ?? facts.handler,
      memoryMB: config.MemorySize ?? facts.memoryMB,
      timeoutSeconds: config.Timeout ?? facts.timeoutSeconds,
      architecture: architectureOf(config),
      lastModified: config.LastModified ?? facts.lastModified,
      state: config.State ?? 'Active',
    };
  }

  /** $LATEST as the endpoint answers now, once it is settled (Active, its last update complete). */
  async function latestNow(name: string, wait: ResolveOptions): Promise<DeployedFunction> {
    const deadline = Date.now() + (wait.waitMs ?? 30_000);
    const endpoint = wait.lambda ?? options.lambda;
    for (let delay = 100; ; delay = Math.min(delay * 2, 1_000)) {
      wait.signal?.throwIfAborted();
      let config: FunctionConfiguration;
      try {
        config = await endpoint.send(new GetFunctionConfigurationCommand({ FunctionName: name }), {
          abortSignal: wait.signal,
        });
      } catch (err) {
        if (notFound(err)) throw new UnknownFunctionError(`no function named "${name}" is deployed`);
        throw err;
      }
      if (config.State === 'Failed') {
        throw new FunctionNotReadyError(
          `function "${name}" failed to deploy: ${config.StateReason ?? 'no reason given'}`,
        );
      }
      if (config.LastUpdateStatus === 'Failed') {
        // Lambda goes on running the previous package, whose CodeSha256 the configuration no longer names.
        throw new FunctionNotReadyError(
          `the last update of function "${name}" failed (${config.LastUpdateStatusReason ?? 'no reason given'}); ` +
            'deploy it again',
        );
      }
      const settled = config.State !== 'Pending' && config.LastUpdateStatus !== 'InProgress';
      if (settled && endpoint === options.lambda) return describe(config, await tagsOf(config).catch(() => ({})));
      if (settled) return onOtherEndpoint(await resolve(name), config);
      if (Date.now() + delay > deadline) {
        throw new FunctionNotReadyError(
          `function "${name}" is still ${config.State === 'Pending' ? 'being created' : 'being updated'}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  async function resolve(ref: string, resolveOptions: ResolveOptions = {}): Promise<DeployedFunction> {
    const { name, qualifier } = parseFunctionRef(ref);
    if (qualifier === undefined || qualifier === '$LATEST') {
      if (resolveOptions.fresh) return latestNow(name, resolveOptions);
      const fn = await lookup((all) => all.find((f) => f.name === name));
      if (!fn) throw new UnknownFunctionError(`no function named "${name}" is deployed`);
      return fn;
    }
    const key = `${name}:${qualifier}`;
    const cached = versions.get(key);
    if (cached && Date.now() - cached.at < refreshMs) return cached.fn;
    const fn = (async () => {
      let config: FunctionConfiguration;
      try {
        config = await options.lambda.send(
          new GetFunctionConfigurationCommand({ FunctionName: name, Qualifier: qualifier }),
        );
      } catch (err) {
        if (notFound(err)) throw new UnknownFunctionError(`function "${name}" has no version or alias "${qualifier}"`);
        throw err;
      }
      const functionTags = await tagsOf({ ...config, FunctionArn: unqualifiedArn(config.FunctionArn ?? '') }).catch(
        () => ({}),
      );
      return describe(config, functionTags);
    })();
    versions.set(key, { at: Date.now(), fn });
    fn.catch(() => versions.delete(key));
    return fn;
  }

  async function taskTypes(): Promise<Map<string, DeployedFunction[]>> {
    const byType = new Map<string, DeployedFunction[]>();
    for (const fn of (await current()).functions) {
      for (const type of fn.spillway.taskTypes) byType.set(type, [...(byType.get(type) ?? []), fn]);
    }
    return byType;
  }

  async function forTask(type: string, functionRef?: string): Promise<DeployedFunction> {
    if (functionRef) {
      const fn = await resolve(functionRef);
      if (!fn.spillway.taskTypes.includes(type)) {
        throw new FunctionTypeMismatchError(
          `function "${fn.name}" serves ${fn.spillway.taskTypes.map((t) => `"${t}"`).join(', ')}, not "${type}"`,
        );
      }
      return fn;
    }
    const serving = await lookup((all) => {
      const found = all.filter((f) => f.spillway.taskTypes.includes(type));
      return found.length > 0 ? found : undefined;
    });
    if (!serving) throw new UnknownTaskTypeError(`no deployed function serves task type "${type}"`);
    if (serving.length > 1) {
      throw new AmbiguousTaskTypeError(
        `task type "${type}" is served by ${serving.map((f) => `"${f.name}"`).join(', ')}; name one as functionName`,
      );
    }
    return serving[0] as DeployedFunction;
  }

  async function detail(name: string): Promise<FunctionDetail | undefined> {
    let fn: DeployedFunction;
    try {
      fn = await resolve(name);
    } catch (err) {
      if (err instanceof UnknownFunctionError) return undefined;
      throw err;
    }
    const [versionPage, aliasPage, tagAnswer] = await Promise.all([
      options.lambda.send(new ListVersionsByFunctionCommand({ FunctionName: name, MaxItems: 50 })),
      options.lambda.send(new ListAliasesCommand({ FunctionName: name, MaxItems: 50 })),
      options.lambda.send(new ListTagsCommand({ Resource: fn.arn })),
    ]);
    return {
      ...fn,
      versions: (versionPage.Versions ?? []).map((v) => ({
        version: v.Version ?? '',
        codeSha256: v.CodeSha256 ?? '',
        description: v.Description ?? '',
        lastModified: v.LastModified ?? '',
      })),
      aliases: (aliasPage.Aliases ?? []).map((a) => ({
        name: a.Name ?? '',
        functionVersion: a.FunctionVersion ?? '',
        description: a.Description ?? '',
      })),
      tags: tagAnswer.Tags ?? {},
    };
  }

  function validatorFor(fn: DeployedFunction): ValidateFunction | null {
    const key = fn.codeSha256 || `${fn.name}:${fn.version}`;
    if (validators.has(key)) return validators.get(key) ?? null;
    const schema = fn.spillway.payloadSchema;
    let validate: ValidateFunction | null = null;
    if (schema) {
      const draft2020 = typeof schema.$schema === 'string' && schema.$schema.includes('2020-12');
      const ajv = draft2020
        ? new Ajv2020({ allErrors: true, strict: false })
        : new AjvDraft7({ allErrors: true, strict: false });
      try {
        validate = ajv.compile(schema);
      } catch (err) {
        // `spillway deploy` compiles schemas before it deploys; one that slipped past is logged and not enforced.
        log(`the payload schema of ${fn.name}:${fn.version} does not compile: ${(err as Error).message}`);
      }
    }
    validators.set(key, validate);
    return validate;
  }

  function validatePayload(fn: DeployedFunction, payload: unknown): PayloadProblem[] {
    const validate = validatorFor(fn);
    if (!validate || validate(payload)) return [];
    return (validate.errors ?? []).slice(0, 10).map((e: ErrorObject) => ({
      path: e.instancePath || '/',
      message:
        e.keyword === 'additionalProperties'
          ? `has an unknown property "${String((e.params as { additionalProperty?: string }).additionalProperty)}"`
          : (e.message ?? 'is not valid'),
    }));
  }

  return {
    list: async () => (await current()).functions,
    resolve,
    forTask,
    taskTypes,
    detail,
    validatePayload,
    invalidate: () => {
      listing = undefined;
      versions.clear();
      tags.clear();
    },
  };
}
