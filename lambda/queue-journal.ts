// Persists the async event queue so events accepted (202) before a stop are delivered after a restart. Every change
// rewrites the whole file through a temporary file and a rename, so a crash leaves the old or the new queue, never
// half of one. Events in flight stay in the journal until they finish: delivery is at least once.
import { existsSync, readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

export interface JournalEvent {
  requestId: string;
  functionName: string;
  /** The qualifier the event was sent to ($LATEST when absent, as in journals written before versions). */
  qualifier?: string;
  payload: string;
  /** Epoch ms when the service accepted the event; its age counts from here, across restarts. */
  enqueuedAt: number;
  /** Retries already made after function errors. */
  retries: number;
}

interface JournalFile {
  version: 1;
  events: JournalEvent[];
}

/** The journal file exists but is not one this service wrote. */
export class CorruptJournalError extends Error {
  override readonly name = 'CorruptJournalError';
}

export class QueueJournal {
  constructor(readonly file: string) {}

  load(): JournalEvent[] {
    if (!existsSync(this.file)) return [];
    const text = readFileSync(this.file, 'utf8');
    if (text.trim() === '') return [];
    let parsed: JournalFile;
    try {
      parsed = JSON.parse(text) as JournalFile;
    } catch (err) {
      throw new CorruptJournalError(`${this.file} is not valid JSON: ${(err as Error).message}`);
    }
    if (parsed.version !== 1 || !Array.isArray(parsed.events)) {
      throw new CorruptJournalError(`${this.file} is not a version 1 queue journal`);
    }
    return parsed.events;
  }

  save(events: JournalEvent[]): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const body: JournalFile = { version: 1, events };
    writeFileSync(tmp, JSON.stringify(body));
    renameSync(tmp, this.file);
  }
}
