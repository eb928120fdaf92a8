// What Spillway knows about a deployed function beyond Lambda's own configuration: the task types it serves, the
// shape of its payload, how its handler expects its event, how long it usually runs and how many environments to
// keep warm. These facts travel with the package as `spillway.json` and, because a package cannot be read without
// downloading it, the small ones also travel as function tags, so that every Lambda endpoint (the local service,
// LocalStack, AWS) answers them the same way.
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/** The package file that holds the manifest. */
export const MANIFEST_FILE = 'spillway.json';

/** Lambda's function-name rule: letters, digits, hyphens and underscores, at most 64. */
export const FUNCTION_NAME_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
/** A task type: like a function name (a plain function's only type is its name). */
export const TASK_TYPE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';
/** A function name with an optional version or alias: `name`, `name:3`, `name:prod`, `name:$LATEST`. */
export const FUNCTION_REF_PATTERN = '^[A-Za-z0-9_-]{1,64}(?::(?:\\$LATEST|[0-9]{1,10}|[A-Za-z0-9_-]{1,128}))?$';

/** Lambda deprecated its Node.js 20 runtime: new deployments default to 22. */
export const DEFAULT_RUNTIME = 'nodejs22.x';

/**
 * What a handler receives. `task`: Spillway's task event (`{taskId, taskType, attempt, payload}`, plus a callback on
 * asynchronous Lambda attempts), the contract of `sdk/wrap-handler.ts`. `payload`: the task's payload as the event,
 * for a plain Lambda handler that knows nothing of Spillway; its result comes back through a synchronous invoke.
 */
export const EVENT_FORMATS = ['task', 'payload'] as const;
export type EventFormat = (typeof EVENT_FORMATS)[number];

const ARCHITECTURES = ['x86_64', 'arm64'] as const;

export const FunctionManifestSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    /** The Lambda function name; default: the folder's name. */
    name: Type.Optional(Type.String({ pattern: FUNCTION_NAME_PATTERN })),
    description: Type.Optional(Type.String({ maxLength: 256 })),
    /** Task types this function serves; default: one, named after the function. */
    taskTypes: Type.Optional(
      Type.Array(Type.String({ pattern: TASK_TYPE_PATTERN }), { minItems: 1, maxItems: 20, uniqueItems: true }),
    ),
    /** Default `payload` (a plain handler). */
    event: Type.Optional(Type.Union(EVENT_FORMATS.map((f) => Type.Literal(f)))),
    /** A JSON Schema (draft 2020-12 or 07) the task's payload must satisfy at submission. */
    payloadSchema: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** A typical run time before anything is measured; placement and estimates start from it. Default 1000. */
    expectedDurationMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400_000 })),
    /** Environments the warm pool keeps ready in its fixed mode; only `task` functions answer warm-ups. Default 0. */
    warmPoolSize: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    /** Lambda settings for `spillway deploy`; each has Lambda's own default when left out. */
    lambda: Type.Optional(
      Type.Object(
        {
          handler: Type.Optional(Type.String({ pattern: '^[^\\s]{1,128}$' })),
          runtime: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
          memoryMB: Type.Optional(Type.Integer({ minimum: 128, maximum: 10_240 })),
          timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 900 })),
          architecture: Type.Optional(Type.Union(ARCHITECTURES.map((a) => Type.Literal(a)))),
          environment: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]*$' }), Type.String())),
        },
        { additionalProperties: false },
      ),
    ),
    /** How `spillway deploy` bundles the folder. */
    build: Type.Optional(
      Type.Object(
        {
          /** The module to bundle; default: the handler's module (`index.ts`, `index.js`, …). */
          entry: Type.Optional(Type.String({ minLength: 1 })),
          /** Packages kept as packages (native code, files read at run time); `sharp` and its kin always are. */
          external: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
          /** Extra files or folders copied into the package as they are (relative to the folder). */
          include: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type FunctionManifest = Static<typeof FunctionManifestSchema>;

const manifestCheck = TypeCompiler.Compile(FunctionManifestSchema);

/** Thrown by parseManifest when spillway.json is not valid JSON or does not match the schema. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

export function parseManifest(text: string, source = MANIFEST_FILE): FunctionManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ManifestError(`${source} is not valid JSON: ${(err as Error).message}`);
  }
  if (!manifestCheck.Check(raw)) {
    const problems = [...manifestCheck.Errors(raw)].slice(0, 5).map((e) => `${e.path || '/'} ${e.message}`);
    throw new ManifestError(`${source} is not a valid manifest: ${problems.join('; ')}`);
  }
  return raw;
}

/** Spillway's facts as function tags. Tag values are at most 256 characters on AWS. */
export const TAG_KEYS = {
  taskTypes: 'spillway:task-types',
  event: 'spillway:event',
  expectedDurationMs: 'spillway:expected-duration-ms',
  warmPoolSize: 'spillway:warm-pool-size',
  /** Present when the package holds a spillway.json worth reading (a payload schema). */
  manifest: 'spillway:manifest',
} as const;

export function manifestTags(manifest: FunctionManifest): Record<string, string> {
  const tags: Record<string, string> = { [TAG_KEYS.event]: manifest.event ?? 'payload' };
  if (manifest.taskTypes) tags[TAG_KEYS.taskTypes] = manifest.taskTypes.join(',').slice(0, 256);
  if (manifest.expectedDurationMs !== undefined)
    tags[TAG_KEYS.expectedDurationMs] = String(manifest.expectedDurationMs);
  if (manifest.warmPoolSize !== undefined) tags[TAG_KEYS.warmPoolSize] = String(manifest.warmPoolSize);
  if (manifest.payloadSchema) tags[TAG_KEYS.manifest] = MANIFEST_FILE;
  return tags;
}

/** The Spillway facts of one function, from its tags and (when it has one) the manifest in its package. */
export const SpillwayFactsSchema = Type.Object({
  taskTypes: Type.Array(Type.String()),
  event: Type.Union(EVENT_FORMATS.map((f) => Type.Literal(f))),
  expectedDurationMs: Type.Number(),
  warmPoolSize: Type.Integer(),
  payloadSchema: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  /** Where the facts came from: the package's manifest, the tags alone, or nothing (a plain function). */
  source: Type.Union([Type.Literal('manifest'), Type.Literal('tags'), Type.Literal('none')]),
});
export type SpillwayFacts = Static<typeof SpillwayFactsSchema>;

export const DEFAULT_EXPECTED_DURATION_MS = 1000;

function positiveInt(raw: string | undefined, fallback: number): number {
  const value = Number(raw);
  return raw !== undefined && Number.isInteger(value) && value >= 0 ? value : fallback;
}

/** Reads the facts from tags, then lets the package's manifest (when read) say the rest. */
export function spillwayFacts(
  functionName: string,
  tags: Readonly<Record<string, string>>,
  manifest?: FunctionManifest,
): SpillwayFacts {
  const tagged = Object.keys(tags).some((k) => k.startsWith('spillway:'));
  const taskTypes = (tags[TAG_KEYS.taskTypes] ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => new RegExp(TASK_TYPE_PATTERN).test(t));
  const event = tags[TAG_KEYS.event] === 'task' ? 'task' : 'payload';
  const fromTags: SpillwayFacts = {
    taskTypes: taskTypes.length > 0 ? taskTypes : [functionName],
    event,
    expectedDurationMs: positiveInt(tags[TAG_KEYS.expectedDurationMs], DEFAULT_EXPECTED_DURATION_MS) || 1,
    warmPoolSize: positiveInt(tags[TAG_KEYS.warmPoolSize], 0),
    source: tagged ? 'tags' : 'none',
  };
  if (!manifest) return fromTags;
  return {
    taskTypes: manifest.taskTypes ?? fromTags.taskTypes,
    event: manifest.event ?? fromTags.event,
    expectedDurationMs: manifest.expectedDurationMs ?? fromTags.expectedDurationMs,
    warmPoolSize: manifest.warmPoolSize ?? fromTags.warmPoolSize,
    payloadSchema: manifest.payloadSchema,
    source: 'manifest',
  };
}

/** `name:qualifier` → its parts; a bare name has no qualifier (Lambda's $LATEST). */
export function parseFunctionRef(ref: string): { name: string; qualifier?: string } {
  const colon = ref.indexOf(':');
  return colon < 0 ? { name: ref } : { name: ref.slice(0, colon), qualifier: ref.slice(colon + 1) };
}
