// The functions the service serves and their mutable Lambda settings (reserved concurrency, event invoke config)
// plus the counters the status endpoint reports. In memory only: a restart returns to the catalog's settings.
import type { FunctionSpec } from '../domain/function-catalog';
import { InvalidParameterValueError, ResourceNotFoundError } from './errors';

export interface EventInvokeConfig {
  MaximumRetryAttempts?: number;
  MaximumEventAgeInSeconds?: number;
  DestinationConfig?: unknown;
  LastModified: number;
}

export const DEFAULT_MAX_RETRY_ATTEMPTS = 2;
export const DEFAULT_MAX_EVENT_AGE_SECONDS = 21_600;
const MAX_DROPPED_EVENTS = 50;

export interface DroppedEvent {
  requestId: string;
  reason: 'MaximumEventAgeExceeded' | 'RetriesExhausted';
  at: string;
}

export interface FunctionState {
  spec: FunctionSpec;
  reservedConcurrency: number | undefined;
  eventInvokeConfig: EventInvokeConfig | undefined;
  lastModified: string;
  inFlight: number;
  stats: {
    invocations: number;
    coldStarts: number;
    warmStarts: number;
    throttles: number;
    lastThrottleAt: string | undefined;
    droppedEvents: DroppedEvent[];
  };
}

/** AWS's timestamp format for FunctionConfiguration.LastModified. */
function lambdaTimestamp(date: Date): string {
  return date.toISOString().replace('Z', '+0000');
}

/** Accepts a function name, a partial ARN (`acct:function:name`) or a full ARN, optionally with `:$LATEST`. */
export function parseFunctionName(raw: string): { name: string; qualifier?: string } {
  const parts = raw.split(':');
  if (parts[0] === 'arn') {
    // arn:aws:lambda:region:account:function:name[:qualifier]
    return { name: parts[6] ?? '', qualifier: parts[7] };
  }
  if (parts.length >= 3 && parts[1] === 'function') return { name: parts[2] ?? '', qualifier: parts[3] };
  return { name: parts[0] ?? '', qualifier: parts[1] };
}

export class FunctionRegistry {
  private readonly functions = new Map<string, FunctionState>();

  constructor(
    specs: readonly FunctionSpec[],
    readonly accountConcurrencyLimit: number,
    readonly region: string,
    readonly accountId: string,
  ) {
    const now = lambdaTimestamp(new Date());
    for (const spec of specs) {
      this.functions.set(spec.name, {
        spec,
        reservedConcurrency: spec.reservedConcurrency,
        eventInvokeConfig: undefined,
        lastModified: now,
        inFlight: 0,
        stats: {
          invocations: 0,
          coldStarts: 0,
          warmStarts: 0,
          throttles: 0,
          lastThrottleAt: undefined,
          droppedEvents: [],
        },
      });
    }
  }

  all(): FunctionState[] {
    return [...this.functions.values()];
  }

  /** Resolves a path parameter to a function, or throws what AWS would for an unknown one. */
  get(rawName: string, qualifier?: string): FunctionState {
    const parsed = parseFunctionName(rawName);
    const version = qualifier ?? parsed.qualifier;
    const state = this.functions.get(parsed.name);
    if (!state || (version !== undefined && version !== '$LATEST')) {
      throw new ResourceNotFoundError(`Function not found: ${this.arn(parsed.name)}${version ? `:${version}` : ''}`);
    }
    return state;
  }

  arn(name: string): string {
    return `arn:aws:lambda:${this.region}:${this.accountId}:function:${name}`;
  }

  sumReserved(except?: FunctionState): number {
    let sum = 0;
    for (const f of this.functions.values()) if (f !== except) sum += f.reservedConcurrency ?? 0;
    return sum;
  }

  /** What functions without reserved concurrency share. */
  unreservedConcurrency(): number {
    return Math.max(0, this.accountConcurrencyLimit - this.sumReserved());
  }

  setReservedConcurrency(state: FunctionState, value: unknown): void {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new InvalidParameterValueError('ReservedConcurrentExecutions must be a non-negative integer.');
    }
    if (this.sumReserved(state) + value > this.accountConcurrencyLimit) {
      throw new InvalidParameterValueError(
        `Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution ` +
          `below its minimum value of [0] (account limit ${this.accountConcurrencyLimit}).`,
      );
    }
    state.reservedConcurrency = value;
  }

  clearReservedConcurrency(state: FunctionState): void {
    state.reservedConcurrency = undefined;
  }

  recordDropped(state: FunctionState, event: DroppedEvent): void {
    state.stats.droppedEvents.push(event);
    if (state.stats.droppedEvents.length > MAX_DROPPED_EVENTS) state.stats.droppedEvents.shift();
  }

  maxRetryAttempts(state: FunctionState): number {
    return state.eventInvokeConfig?.MaximumRetryAttempts ?? DEFAULT_MAX_RETRY_ATTEMPTS;
  }

  maxEventAgeMs(state: FunctionState): number {
    return (state.eventInvokeConfig?.MaximumEventAgeInSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS) * 1000;
  }

  functionConfiguration(state: FunctionState): Record<string, unknown> {
    const { spec } = state;
    return {
      FunctionName: spec.name,
      FunctionArn: this.arn(spec.name),
      Runtime: 'nodejs20.x',
      Role: `arn:aws:iam::${this.accountId}:role/spillway-local-lambda`,
      Handler: spec.handler,
      CodeSize: 0,
      Description: spec.description,
      Timeout: spec.timeoutSeconds,
      MemorySize: spec.memoryMB,
      LastModified: state.lastModified,
      CodeSha256: '',
      Version: '$LATEST',
      Environment: { Variables: { ...spec.environment } },
      TracingConfig: { Mode: 'PassThrough' },
      State: 'Active',
      LastUpdateStatus: 'Successful',
      PackageType: 'Zip',
      Architectures: [spec.architecture],
      EphemeralStorage: { Size: 512 },
    };
  }
}
