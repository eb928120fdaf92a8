// The persisted half of every function: its $LATEST, its published versions, aliases, tags, reserved concurrency
// and event invoke configs, one JSON file per function under <data dir>/functions. Each save rewrites the file
// through a temporary file and a rename, so a crash leaves the old or the new record, never half of one.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type Architecture = 'x86_64' | 'arm64';

/** The configuration a version snapshots, named after the FunctionConfiguration fields it becomes. */
export interface FunctionSettings {
  runtime: string;
  handler: string;
  role: string;
  memorySize: number;
  timeout: number;
  environment: Record<string, string>;
  description: string;
  architecture: Architecture;
}

export interface VersionRecord {
  /** `$LATEST` or a published version number. */
  version: string;
  settings: FunctionSettings;
  codeSha256: string;
  codeSize: number;
  /** AWS's LastModified format: 2024-01-01T00:00:00.000+0000. */
  lastModified: string;
  revisionId: string;
  /** For published versions: the fingerprint of $LATEST they were published from. */
  sourceFingerprint?: string;
}

/** What Invoke runs: after an update it is the previous package until the new one is ready. */
export interface Runnable {
  settings: FunctionSettings;
  codeSha256: string;
  codeSize: number;
}

export type FunctionStateName = 'Pending' | 'Active' | 'Failed';
export type LastUpdateStatus = 'InProgress' | 'Successful' | 'Failed';

export interface LatestRecord extends VersionRecord {
  state: FunctionStateName;
  stateReason?: string;
  stateReasonCode?: string;
  lastUpdateStatus?: LastUpdateStatus;
  lastUpdateStatusReason?: string;
  lastUpdateStatusReasonCode?: string;
  /** Undefined until the first package has been unpacked. */
  runnable?: Runnable;
}

export interface AliasRecord {
  name: string;
  functionVersion: string;
  description: string;
  /** Version → weight (0..1) of the traffic that goes to it instead of functionVersion. */
  additionalVersionWeights?: Record<string, number>;
  revisionId: string;
}

export interface EventInvokeConfig {
  MaximumRetryAttempts?: number;
  MaximumEventAgeInSeconds?: number;
  DestinationConfig?: unknown;
  LastModified: number;
}

export interface FunctionRecord {
  formatVersion: 1;
  name: string;
  latest: LatestRecord;
  /** Published versions, oldest first. */
  versions: VersionRecord[];
  /** The highest version number ever published: numbers are not reused after a version is deleted. */
  lastVersionNumber: number;
  aliases: AliasRecord[];
  tags: Record<string, string>;
  reservedConcurrency?: number;
  /** By qualifier ($LATEST, a version or an alias). */
  eventInvokeConfigs: Record<string, EventInvokeConfig>;
}

/** A function file exists but is not one this service wrote. */
export class CorruptFunctionRecordError extends Error {
  override readonly name = 'CorruptFunctionRecordError';
}

/** AWS's timestamp format for FunctionConfiguration.LastModified. */
export function lambdaTimestamp(date = new Date()): string {
  return date.toISOString().replace('Z', '+0000');
}

export class FunctionStore {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'functions');
  }

  loadAll(): FunctionRecord[] {
    if (!existsSync(this.dir)) return [];
    const records: FunctionRecord[] = [];
    for (const file of readdirSync(this.dir).sort()) {
      if (!file.endsWith('.json')) continue;
      const full = path.join(this.dir, file);
      let record: FunctionRecord;
      try {
        record = JSON.parse(readFileSync(full, 'utf8')) as FunctionRecord;
      } catch (err) {
        throw new CorruptFunctionRecordError(`${full} is not valid JSON: ${(err as Error).message}`);
      }
      if (record.formatVersion !== 1 || typeof record.name !== 'string' || !record.latest) {
        throw new CorruptFunctionRecordError(`${full} is not a version 1 function record`);
      }
      records.push(record);
    }
    return records;
  }

  save(record: FunctionRecord): void {
    mkdirSync(this.dir, { recursive: true });
    const file = this.file(record.name);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(record, null, 2));
    renameSync(tmp, file);
  }

  remove(name: string): void {
    rmSync(this.file(name), { force: true });
  }

  private file(name: string): string {
    // Names are [a-zA-Z0-9_-]{1,64} (checked by qualifiers.ts), so they are safe file names as they are.
    return path.join(this.dir, `${name}.json`);
  }
}
