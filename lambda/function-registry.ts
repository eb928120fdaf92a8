// The deployed functions: their persisted records (function-store.ts) and, beside each, what only lives while the
// service runs (invocations in flight, counters for the status endpoint). Also the account-wide facts derived from
// them: unreserved concurrency, code size, and which qualifier names which version.
import { InvalidParameterValueError, ResourceConflictError, ResourceNotFoundError } from './errors';
import type {
  AliasRecord,
  EventInvokeConfig,
  FunctionRecord,
  FunctionStore,
  Runnable,
  VersionRecord,
} from './function-store';
import type { FunctionRef } from './qualifiers';
import { combineQualifier, isVersionNumber, LATEST, parseFunctionRef } from './qualifiers';
import type { DroppedEvent, UndeliverableRecord } from '../domain/lambda-status';

export type { EventInvokeConfig } from './function-store';

export const DEFAULT_MAX_RETRY_ATTEMPTS = 2;
export const DEFAULT_MAX_EVENT_AGE_SECONDS = 21_600;
const MAX_DROPPED_EVENTS = 50;

// Part of the status report (GET /_spillway/status), declared with it in domain/lambda-status.ts.
export type { DroppedEvent, UndeliverableRecord };

export interface FunctionState {
  record: FunctionRecord;
  inFlight: number;
  stats: {
    invocations: number;
    coldStarts: number;
    warmStarts: number;
    throttles: number;
    lastThrottleAt: string | undefined;
    droppedEvents: DroppedEvent[];
    /** Invocation records sent to destinations, and the last ones that could not be sent. */
    destinations: { delivered: number; undeliverable: UndeliverableRecord[] };
  };
}

/** A qualifier resolved against a function: the name the caller used and the version it stands for. */
export interface ResolvedQualifier {
  state: FunctionState;
  /** `$LATEST`, a version number or an alias name, as the caller wrote it (default `$LATEST`). */
  qualifier: string;
  alias?: AliasRecord;
  version: VersionRecord;
}

/** What one invocation runs: the version that executes (after alias routing) and its package and settings. */
export interface InvokeTarget {
  state: FunctionState;
  /** The qualifier the caller named; event invoke configs are looked up by it. */
  qualifier: string;
  executedVersion: string;
  runnable: Runnable;
}

export class FunctionRegistry {
  private readonly functions = new Map<string, FunctionState>();

  constructor(
    private readonly store: FunctionStore,
    readonly accountConcurrencyLimit: number,
    readonly region: string,
    readonly accountId: string,
  ) {
    for (const record of store.loadAll()) this.functions.set(record.name, newState(record));
  }

  all(): FunctionState[] {
    return [...this.functions.values()];
  }

  find(name: string): FunctionState | undefined {
    return this.functions.get(name);
  }

  add(record: FunctionRecord): FunctionState {
    const state = newState(record);
    this.functions.set(record.name, state);
    this.store.save(record);
    return state;
  }

  remove(state: FunctionState): void {
    this.functions.delete(state.record.name);
    this.store.remove(state.record.name);
  }

  /** Writes a changed record through to disk. */
  save(state: FunctionState): void {
    if (this.functions.get(state.record.name) === state) this.store.save(state.record);
  }

  arn(name: string, qualifier?: string): string {
    return `arn:aws:lambda:${this.region}:${this.accountId}:function:${name}${qualifier ? `:${qualifier}` : ''}`;
  }

  notFound(name: string, qualifier?: string): ResourceNotFoundError {
    return new ResourceNotFoundError(`Function not found: ${this.arn(name, qualifier)}`);
  }

  /** The function a path parameter names, ignoring any qualifier; throws what AWS would for an unknown one. */
  getFunction(rawName: string): FunctionState {
    const ref = parseFunctionRef(rawName);
    const state = this.functions.get(ref.name);
    if (!state) throw this.notFound(ref.name);
    return state;
  }

  /** For operations on the function itself, which AWS refuses on a version or an alias. */
  getUnqualified(rawName: string, queryQualifier?: string | null): FunctionState {
    const ref = combineQualifier(parseFunctionRef(rawName), queryQualifier);
    if (ref.qualifier !== undefined) {
      throw new InvalidParameterValueError(
        `This operation applies to the function, not to a version or alias; use ${ref.name} without :${ref.qualifier}.`,
      );
    }
    return this.getFunction(ref.name);
  }

  /** Resolves `name[:qualifier]` plus the Qualifier parameter to the version it names. */
  resolve(rawName: string, queryQualifier?: string | null): ResolvedQualifier {
    const ref: FunctionRef = combineQualifier(parseFunctionRef(rawName), queryQualifier);
    const state = this.functions.get(ref.name);
    if (!state) throw this.notFound(ref.name, ref.qualifier);
    const qualifier = ref.qualifier ?? LATEST;
    if (qualifier === LATEST) return { state, qualifier, version: state.record.latest };
    if (isVersionNumber(qualifier)) {
      const version = state.record.versions.find((v) => v.version === qualifier);
      if (!version) throw this.notFound(ref.name, qualifier);
      return { state, qualifier, version };
    }
    const alias = state.record.aliases.find((a) => a.name === qualifier);
    if (!alias) throw this.notFound(ref.name, qualifier);
    return { state, qualifier, alias, version: this.versionOf(state, alias.functionVersion) };
  }

  /**
   * Resolves what an Invoke runs. $LATEST must be Active; while an update is in progress it still runs the previous
   * package, as AWS does. An alias with a routing config sends each invocation to one of its versions by weight.
   */
  invokeTarget(rawName: string, queryQualifier?: string | null, random: () => number = Math.random): InvokeTarget {
    const { state, qualifier, alias, version } = this.resolve(rawName, queryQualifier);
    let executed = version;
    if (alias?.additionalVersionWeights) {
      let r = random();
      for (const [other, weight] of Object.entries(alias.additionalVersionWeights)) {
        if (r < weight) {
          executed = this.versionOf(state, other);
          break;
        }
        r -= weight;
      }
    }
    if (executed.version === LATEST) {
      const latest = state.record.latest;
      if (latest.state !== 'Active' || !latest.runnable) {
        throw new ResourceConflictError(
          `The operation cannot be performed at this time. The function is currently in the following state: ${latest.state}`,
        );
      }
      return { state, qualifier, executedVersion: LATEST, runnable: latest.runnable };
    }
    const { settings, codeSha256, codeSize } = executed;
    return { state, qualifier, executedVersion: executed.version, runnable: { settings, codeSha256, codeSize } };
  }

  /** A version that must exist: `$LATEST` or a published number. */
  versionOf(state: FunctionState, version: string): VersionRecord {
    if (version === LATEST) return state.record.latest;
    const found = state.record.versions.find((v) => v.version === version);
    if (!found) throw this.notFound(state.record.name, version);
    return found;
  }

  sumReserved(except?: FunctionState): number {
    let sum = 0;
    for (const f of this.functions.values()) if (f !== except) sum += f.record.reservedConcurrency ?? 0;
    return sum;
  }

  /** What functions without reserved concurrency share. */
  unreservedConcurrency(): number {
    return Math.max(0, this.accountConcurrencyLimit - this.sumReserved());
  }

  /**
   * The unreserved concurrency reservations may not eat into. AWS keeps 100 of its default 1,000; the local
   * account is usually far smaller, so the floor is the same tenth of the account limit, at least 1 and at most 100
   * (5 of the default 50).
   */
  get unreservedMinimum(): number {
    return Math.min(100, Math.max(1, Math.ceil(this.accountConcurrencyLimit / 10)));
  }

  setReservedConcurrency(state: FunctionState, value: unknown): void {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new InvalidParameterValueError('ReservedConcurrentExecutions must be a non-negative integer.');
    }
    if (this.accountConcurrencyLimit - this.sumReserved(state) - value < this.unreservedMinimum) {
      throw new InvalidParameterValueError(
        `Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution ` +
          `below its minimum value of [${this.unreservedMinimum}].`,
      );
    }
    state.record.reservedConcurrency = value;
    this.save(state);
  }

  clearReservedConcurrency(state: FunctionState): void {
    delete state.record.reservedConcurrency;
    this.save(state);
  }

  recordDropped(state: FunctionState, event: DroppedEvent): void {
    state.stats.droppedEvents.push(event);
    if (state.stats.droppedEvents.length > MAX_DROPPED_EVENTS) state.stats.droppedEvents.shift();
  }

  recordUndeliverable(state: FunctionState, record: UndeliverableRecord): void {
    const list = state.stats.destinations.undeliverable;
    list.push(record);
    if (list.length > MAX_DROPPED_EVENTS) list.shift();
  }

  eventInvokeConfig(state: FunctionState, qualifier: string): EventInvokeConfig | undefined {
    return state.record.eventInvokeConfigs[qualifier];
  }

  maxRetryAttempts(state: FunctionState, qualifier = LATEST): number {
    return this.eventInvokeConfig(state, qualifier)?.MaximumRetryAttempts ?? DEFAULT_MAX_RETRY_ATTEMPTS;
  }

  maxEventAgeMs(state: FunctionState, qualifier = LATEST): number {
    return (this.eventInvokeConfig(state, qualifier)?.MaximumEventAgeInSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS) * 1000;
  }

  /** Every package some version still needs, including the one $LATEST runs while an update is in progress. */
  referencedCode(): Set<string> {
    const shas = new Set<string>();
    for (const { record } of this.functions.values()) {
      shas.add(record.latest.codeSha256);
      if (record.latest.runnable) shas.add(record.latest.runnable.codeSha256);
      for (const v of record.versions) shas.add(v.codeSha256);
    }
    return shas;
  }

  /** AccountUsage.TotalCodeSize: AWS counts the package of $LATEST and of every published version. */
  totalCodeSize(): number {
    let total = 0;
    for (const { record } of this.functions.values()) {
      total += record.latest.codeSize;
      for (const v of record.versions) total += v.codeSize;
    }
    return total;
  }
}

function newState(record: FunctionRecord): FunctionState {
  return {
    record,
    inFlight: 0,
    stats: {
      invocations: 0,
      coldStarts: 0,
      warmStarts: 0,
      throttles: 0,
      lastThrottleAt: undefined,
      droppedEvents: [],
      destinations: { delivered: 0, undeliverable: [] },
    },
  };
}
