// How functions change: create, update code or configuration, publish, delete. Each change is checked and written
// before the response; the package is unpacked afterwards, and only then does the function turn Active (State)
// or its update Successful (LastUpdateStatus), as on AWS, so clients must wait (aws lambda wait function-active-v2,
// function-updated-v2). Until an update completes, Invoke runs the previous package and settings.
import { randomUUID } from 'node:crypto';
import type { CodeStore } from './code-store';
import {
  InvalidParameterValueError,
  PreconditionFailedError,
  ResourceConflictError,
  ResourceNotFoundError,
} from './errors';
import type { EventQueue } from './event-queue';
import type { CreateFunctionInput } from './function-config';
import { fingerprint } from './function-config';
import type { FunctionRegistry, FunctionState } from './function-registry';
import type { Architecture, FunctionRecord, FunctionSettings, LatestRecord, VersionRecord } from './function-store';
import { lambdaTimestamp } from './function-store';
import { isVersionNumber, LATEST } from './qualifiers';
import type { RuntimeHost } from './runtime-host';
import { inspectZip } from './zip-package';

const CREATING = { reason: 'The function is being created.', code: 'Creating' } as const;

export interface LifecycleOptions {
  /** Extra time a function stays Pending / InProgress after its package is unpacked; default 0. */
  activationDelayMs: number;
  /**
   * Awaited after the delay, before the change takes effect: an embedder (a test) holds a function Pending or
   * InProgress for exactly as long as it needs, instead of racing a delay.
   */
  activationHold?: () => Promise<void>;
}

export class FunctionLifecycle {
  /** Bumped by every change, so a slow activation of an older change does not overwrite a newer one. */
  private readonly changeIds = new WeakMap<FunctionState, number>();
  private readonly activations = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly registry: FunctionRegistry,
    private readonly code: CodeStore,
    private readonly host: RuntimeHost,
    private readonly queue: EventQueue,
    private readonly options: LifecycleOptions,
  ) {}

  /** After a restart: finishes whatever was Pending or InProgress when the service stopped. */
  resume(): void {
    for (const state of this.registry.all()) {
      const latest = state.record.latest;
      if (latest.state === 'Pending' || latest.lastUpdateStatus === 'InProgress') this.activate(state);
    }
  }

  async create(input: CreateFunctionInput): Promise<{ state: FunctionState; published?: VersionRecord }> {
    if (this.registry.find(input.name)) {
      throw new ResourceConflictError(`Function already exist: ${input.name}`);
    }
    await inspectZip(input.zip);
    const stored = await this.code.put(input.zip);
    try {
      return this.createWith(input, stored);
    } finally {
      this.code.unpin(stored.codeSha256);
    }
  }

  private createWith(
    input: CreateFunctionInput,
    stored: { codeSha256: string; codeSize: number },
  ): { state: FunctionState; published?: VersionRecord } {
    const latest: LatestRecord = {
      version: LATEST,
      settings: input.settings,
      codeSha256: stored.codeSha256,
      codeSize: stored.codeSize,
      lastModified: lambdaTimestamp(),
      revisionId: randomUUID(),
      state: 'Pending',
      stateReason: CREATING.reason,
      stateReasonCode: CREATING.code,
    };
    const record: FunctionRecord = {
      formatVersion: 1,
      name: input.name,
      latest,
      versions: [],
      lastVersionNumber: 0,
      aliases: [],
      tags: input.tags,
      eventInvokeConfigs: {},
    };
    // A second create of the same name may have raced past the check while this one awaited the disk.
    if (this.registry.find(input.name)) throw new ResourceConflictError(`Function already exist: ${input.name}`);
    const state = this.registry.add(record);
    const published = input.publish ? this.publishFrom(state, undefined) : undefined;
    this.activate(state);
    return { state, published };
  }

  async updateCode(
    state: FunctionState,
    zip: Buffer,
    options: { publish: boolean; dryRun: boolean; revisionId?: string; architecture?: Architecture },
  ): Promise<{ latest: LatestRecord; published?: VersionRecord }> {
    this.assertUpdatable(state, options.revisionId);
    await inspectZip(zip);
    if (options.dryRun) return { latest: state.record.latest };
    const stored = await this.code.put(zip);
    try {
      // Checked again: another update may have started while the package was written.
      this.assertUpdatable(state, options.revisionId);
      const { settings } = state.record.latest;
      this.beginUpdate(state, {
        codeSha256: stored.codeSha256,
        codeSize: stored.codeSize,
        ...(options.architecture ? { settings: { ...settings, architecture: options.architecture } } : {}),
      });
      const published = options.publish ? this.publishFrom(state, undefined) : undefined;
      this.activate(state);
      return { latest: state.record.latest, published };
    } finally {
      this.code.unpin(stored.codeSha256);
    }
  }

  updateConfiguration(state: FunctionState, settings: FunctionSettings, revisionId?: string): LatestRecord {
    this.assertUpdatable(state, revisionId);
    this.beginUpdate(state, { settings });
    this.activate(state);
    return state.record.latest;
  }

  publish(
    state: FunctionState,
    options: { codeSha256?: string; description?: string; revisionId?: string },
  ): VersionRecord {
    const latest = state.record.latest;
    this.assertUpdatable(state, options.revisionId);
    if (options.codeSha256 !== undefined && options.codeSha256 !== latest.codeSha256) {
      throw new InvalidParameterValueError(
        `CodeSHA256 (${options.codeSha256}) is different from current CodeSHA256 in $LATEST ` +
          `(${latest.codeSha256}). Please try again.`,
      );
    }
    return this.publishFrom(state, options.description);
  }

  /** Deletes the function, or one published version of it. */
  async delete(state: FunctionState, qualifier: string | undefined): Promise<void> {
    const { record } = state;
    if (qualifier === undefined) {
      this.changeIds.set(state, (this.changeIds.get(state) ?? 0) + 1);
      this.registry.remove(state);
      this.queue.forget(record.name);
      this.host.retire(record.name);
    } else {
      if (qualifier === LATEST) {
        throw new InvalidParameterValueError('$LATEST version cannot be deleted without deleting the function.');
      }
      if (!isVersionNumber(qualifier)) {
        throw new InvalidParameterValueError(
          `Deletion of aliases is not supported by DeleteFunction: ${qualifier} is an alias; use DeleteAlias.`,
        );
      }
      const index = record.versions.findIndex((v) => v.version === qualifier);
      if (index < 0) throw this.registry.notFound(record.name, qualifier);
      const referencing = record.aliases
        .filter((a) => a.functionVersion === qualifier || a.additionalVersionWeights?.[qualifier] !== undefined)
        .map((a) => a.name);
      if (referencing.length > 0) {
        throw new ResourceConflictError(
          `Unable to delete version because the following aliases reference it: [${referencing.join(', ')}]`,
        );
      }
      record.versions.splice(index, 1);
      delete record.eventInvokeConfigs[qualifier];
      this.registry.save(state);
      this.host.retire(record.name, qualifier);
    }
    await this.code.collect(this.registry.referencedCode());
  }

  /** Waits for activations in flight, so a close does not leave one writing into a data dir being removed. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.activations]);
  }

  private assertUpdatable(state: FunctionState, revisionId: string | undefined): void {
    const latest = state.record.latest;
    if (latest.state === 'Pending') {
      throw new ResourceConflictError(
        'The operation cannot be performed at this time. The function is currently in the following state: Pending',
      );
    }
    if (latest.lastUpdateStatus === 'InProgress') {
      throw new ResourceConflictError(
        `The operation cannot be performed at this time. An update is in progress for resource: ` +
          this.registry.arn(state.record.name),
      );
    }
    if (revisionId !== undefined && revisionId !== latest.revisionId) {
      throw new PreconditionFailedError(
        'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to ' +
          'retrieve the latest Revision Id',
      );
    }
  }

  private beginUpdate(
    state: FunctionState,
    change: { settings?: FunctionSettings; codeSha256?: string; codeSize?: number },
  ): void {
    const latest = state.record.latest;
    if (change.settings) latest.settings = change.settings;
    if (change.codeSha256 !== undefined) latest.codeSha256 = change.codeSha256;
    if (change.codeSize !== undefined) latest.codeSize = change.codeSize;
    latest.lastModified = lambdaTimestamp();
    latest.revisionId = randomUUID();
    latest.lastUpdateStatus = 'InProgress';
    latest.lastUpdateStatusReason = CREATING.reason;
    latest.lastUpdateStatusReasonCode = CREATING.code;
    this.registry.save(state);
  }

  /** The version $LATEST would publish now: the last one again when nothing changed since, as AWS does. */
  private publishFrom(state: FunctionState, description: string | undefined): VersionRecord {
    const { record } = state;
    const latest = record.latest;
    const source = fingerprint(latest);
    const last = record.versions[record.versions.length - 1];
    if (last && last.sourceFingerprint === source) return last;
    record.lastVersionNumber++;
    const version: VersionRecord = {
      version: String(record.lastVersionNumber),
      settings: { ...latest.settings, description: description ?? latest.settings.description },
      codeSha256: latest.codeSha256,
      codeSize: latest.codeSize,
      lastModified: lambdaTimestamp(),
      revisionId: randomUUID(),
      sourceFingerprint: source,
    };
    record.versions.push(version);
    this.registry.save(state);
    return version;
  }

  /** Unpacks $LATEST's package in the background and moves State / LastUpdateStatus on. */
  private activate(state: FunctionState): void {
    const changeId = (this.changeIds.get(state) ?? 0) + 1;
    this.changeIds.set(state, changeId);
    const run = this.runActivation(state, changeId).finally(() => this.activations.delete(run));
    this.activations.add(run);
  }

  private async runActivation(state: FunctionState, changeId: number): Promise<void> {
    const latest = state.record.latest;
    const codeSha256 = latest.codeSha256;
    let failure: Error | undefined;
    try {
      await this.code.ensureUnpacked(codeSha256);
      if (this.options.activationDelayMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, this.options.activationDelayMs).unref());
      }
      if (this.options.activationHold) await this.options.activationHold();
    } catch (err) {
      failure = err as Error;
    }
    // Superseded by a newer change, deleted, or the service is closing: this outcome no longer matters.
    if (this.closed || this.changeIds.get(state) !== changeId || this.registry.find(state.record.name) !== state)
      return;
    const wasPending = latest.state === 'Pending';
    if (failure) {
      const code = failure instanceof InvalidParameterValueError ? 'InvalidZipFileException' : 'InternalError';
      if (wasPending) {
        latest.state = 'Failed';
        latest.stateReason = failure.message;
        latest.stateReasonCode = code;
      } else {
        latest.lastUpdateStatus = 'Failed';
        latest.lastUpdateStatusReason = failure.message;
        latest.lastUpdateStatusReasonCode = code;
      }
    } else {
      latest.state = 'Active';
      delete latest.stateReason;
      delete latest.stateReasonCode;
      latest.lastUpdateStatus = 'Successful';
      delete latest.lastUpdateStatusReason;
      delete latest.lastUpdateStatusReasonCode;
      latest.runnable = { settings: latest.settings, codeSha256, codeSize: latest.codeSize };
      // Environments of the previous package or settings finish what they run and are not reused.
      if (!wasPending) this.host.retire(state.record.name, LATEST);
    }
    this.registry.save(state);
    if (!failure) await this.code.collect(this.registry.referencedCode());
  }
}

/** For routes: the not-found error of an alias, in AWS's words. */
export function aliasNotFound(arn: string): ResourceNotFoundError {
  return new ResourceNotFoundError(`Cannot find alias arn: ${arn}`);
}
