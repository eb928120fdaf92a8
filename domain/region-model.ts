// Where work can run and what it costs to move data there. A Lambda target is one endpoint in one region (the local
// Lambda service, LocalStack or an AWS region); LOCAL runs in the worker's own region. Moving a task's input from
// its data region to the region that runs it, and its result back, is billed per GB between the two regions.
// Pure: parsing and arithmetic only; the file is read by domain/config.ts, the clients by clients/lambda-targets.ts.
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/** An AWS-style region name: `us-east-1`, `eu-west-2`, or a local one such as `local-slow`. */
export const REGION_PATTERN = '^[a-z][a-z0-9-]{1,31}$';
export const TARGET_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';

/** Per-target overrides of the Lambda prices of config/prices.json (regions price differently). */
export const LambdaPriceOverrideSchema = Type.Object(
  {
    requestUsd: Type.Optional(Type.Number({ minimum: 0 })),
    gbSecondUsd: Type.Optional(
      Type.Object(
        { x86_64: Type.Optional(Type.Number({ minimum: 0 })), arm64: Type.Optional(Type.Number({ minimum: 0 })) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type LambdaPriceOverride = Static<typeof LambdaPriceOverrideSchema>;

/** One entry of LAMBDA_TARGETS. */
export const LambdaTargetSchema = Type.Object(
  {
    /** How tasks, decisions and the dashboard name the target; default: the region. */
    name: Type.Optional(Type.String({ pattern: TARGET_NAME_PATTERN })),
    region: Type.String({ pattern: REGION_PATTERN }),
    /** Default: LAMBDA_ENDPOINT for the first target; AWS's own endpoint of the region for the others. */
    endpoint: Type.Optional(Type.String({ pattern: '^https?://' })),
    credentials: Type.Optional(
      Type.Object(
        {
          accessKeyId: Type.String({ minLength: 1 }),
          secretAccessKey: Type.String({ minLength: 1 }),
          sessionToken: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    prices: Type.Optional(LambdaPriceOverrideSchema),
    /** Concurrent invocations Spillway may have in flight on this target; default: what the target reports. */
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    /**
     * Cold starts the target brings up at once; more wait for one to finish its init. Default: no limit for AWS,
     * the machine's cores for a Lambda service on this machine (its environments share them).
     */
    coldStartConcurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  },
  { additionalProperties: false },
);
export type LambdaTargetSpec = Static<typeof LambdaTargetSchema>;
export const LambdaTargetsSchema = Type.Array(LambdaTargetSchema, { minItems: 1, maxItems: 32 });

/** A target after defaults: every field the clients and the predictor need is set. */
export interface LambdaTarget {
  name: string;
  region: string;
  /** Undefined means the SDK's default endpoint for the region (real AWS). */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  prices?: LambdaPriceOverride;
  concurrency?: number;
  coldStartConcurrency?: number;
}

/** Thrown by parseLambdaTargets when LAMBDA_TARGETS is not valid JSON, does not match the schema, or repeats a name. */
export class LambdaTargetsError extends Error {
  override readonly name = 'LambdaTargetsError';
}

const targetsCheck = TypeCompiler.Compile(LambdaTargetsSchema);

/**
 * Parses LAMBDA_TARGETS' JSON text. Without one, the single target is today's: LAMBDA_ENDPOINT in AWS_REGION,
 * named after the region. The first target without an endpoint gets LAMBDA_ENDPOINT.
 */
export function parseLambdaTargets(
  text: string | undefined,
  fallback: { endpoint: string; region: string },
  source = 'LAMBDA_TARGETS',
): LambdaTarget[] {
  if (text === undefined || text.trim() === '') {
    return [{ name: fallback.region, region: fallback.region, endpoint: fallback.endpoint }];
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new LambdaTargetsError(`${source} is not valid JSON: ${(err as Error).message}`);
  }
  if (!targetsCheck.Check(raw)) {
    const problems = [...targetsCheck.Errors(raw)].slice(0, 3).map((e) => `${e.path || '/'} ${e.message}`);
    throw new LambdaTargetsError(`${source} is not a list of Lambda targets: ${problems.join('; ')}`);
  }
  const seen = new Set<string>();
  return raw.map((spec, i) => {
    const name = spec.name ?? spec.region;
    if (seen.has(name)) throw new LambdaTargetsError(`${source} names the target "${name}" twice`);
    seen.add(name);
    return {
      name,
      region: spec.region,
      endpoint: spec.endpoint ?? (i === 0 ? fallback.endpoint : undefined),
      credentials: spec.credentials,
      prices: spec.prices,
      concurrency: spec.concurrency,
      coldStartConcurrency: spec.coldStartConcurrency,
    };
  });
}

/** Data transfer prices in USD per GB, from a region to another (config/transfer-prices.json). */
export const TransferPricesSchema = Type.Object(
  {
    effectiveDate: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
    source: Type.Optional(Type.String()),
    /** Within one region. AWS: free for Lambda and S3 in the same region. */
    sameRegionGbUsd: Type.Number({ minimum: 0 }),
    /** Between two regions that `pairs` does not name. */
    interRegionGbUsd: Type.Number({ minimum: 0 }),
    /** `"from>to"` → price, for pairs that differ from the default (e.g. out of ap-southeast-1). */
    pairs: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z][a-z0-9-]*>[a-z][a-z0-9-]*$' }), Type.Number())),
  },
  { additionalProperties: false },
);
export type TransferPrices = Static<typeof TransferPricesSchema>;

/** What AWS charges for inter-region transfer out of us-east-1 (2026-11); used when no transfer file is given. */
export const DEFAULT_TRANSFER_PRICES: TransferPrices = Object.freeze({
  effectiveDate: '2026-11-01',
  source: 'AWS data transfer between regions, first tier',
  sameRegionGbUsd: 0,
  interRegionGbUsd: 0.02,
});

const transferCheck = TypeCompiler.Compile(TransferPricesSchema);

export function validateTransferPrices(raw: unknown, source = 'the transfer price table'): TransferPrices {
  if (!transferCheck.Check(raw)) {
    const problems = [...transferCheck.Errors(raw)].slice(0, 3).map((e) => `${e.path || '/'} ${e.message}`);
    throw new LambdaTargetsError(`${source} is not valid: ${problems.join('; ')}`);
  }
  return Object.freeze(raw);
}

const BYTES_PER_GB = 1024 ** 3;

export function transferPricePerGb(prices: TransferPrices, from: string, to: string): number {
  if (from === to) return prices.sameRegionGbUsd;
  return prices.pairs?.[`${from}>${to}`] ?? prices.interRegionGbUsd;
}

/**
 * What moving a task's input from its data region to where it runs, and its result back, costs. Unknown data
 * region: nothing is charged (the input came with the request).
 */
export function transferCost(
  prices: TransferPrices,
  move: { dataRegion?: string; runRegion: string; bytesIn: number; bytesOut: number },
): number {
  if (!move.dataRegion) return 0;
  const inbound = (move.bytesIn / BYTES_PER_GB) * transferPricePerGb(prices, move.dataRegion, move.runRegion);
  const outbound = (move.bytesOut / BYTES_PER_GB) * transferPricePerGb(prices, move.runRegion, move.dataRegion);
  return inbound + outbound;
}

/** Residency: may a task with these rules run in this region? Returns the reason it may not, or undefined. */
export function residencyViolation(
  rules: { region?: string; allowedRegions?: readonly string[] },
  region: string,
): string | undefined {
  if (rules.region !== undefined && rules.region !== region) return `the task is pinned to ${rules.region}`;
  if (rules.allowedRegions !== undefined && !rules.allowedRegions.includes(region)) {
    return `${region} is not among the allowed regions (${rules.allowedRegions.join(', ') || 'none'})`;
  }
  return undefined;
}

/** The price table a target bills by: config/prices.json with the target's own Lambda prices over it. */
export function targetPriceTable<T extends { lambda: { requestUsd: number; gbSecondUsd: Record<string, number> } }>(
  base: T,
  override: LambdaPriceOverride | undefined,
): T {
  if (!override) return base;
  return {
    ...base,
    lambda: {
      ...base.lambda,
      requestUsd: override.requestUsd ?? base.lambda.requestUsd,
      gbSecondUsd: { ...base.lambda.gbSecondUsd, ...override.gbSecondUsd },
    },
  };
}
