// Deployment packages on disk, content-addressed by CodeSha256: the zip exactly as uploaded (GetFunction's code
// URL serves it byte for byte) and its unpacked task root. Versions that share a package share both, and a
// package goes away only when no version refers to it any more.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { unpackZip } from './zip-package';

export interface StoredCode {
  /** Base64 SHA-256 of the zip, as AWS reports it. */
  codeSha256: string;
  codeSize: number;
}

/** A file name for a CodeSha256: hex, because base64 has '/' in its alphabet. */
export function codeKey(codeSha256: string): string {
  return Buffer.from(codeSha256, 'base64').toString('hex');
}

export function sha256Base64(data: Buffer): string {
  return createHash('sha256').update(data).digest('base64');
}

export class CodeStore {
  private readonly zipDir: string;
  private readonly rootDir: string;
  private readonly unpacking = new Map<string, Promise<string>>();
  /** Packages written but not yet referenced by a saved record; collect() must not take them. */
  private readonly pinned = new Map<string, number>();

  constructor(dataDir: string) {
    this.zipDir = path.join(dataDir, 'code');
    this.rootDir = path.join(dataDir, 'task-roots');
  }

  zipPath(codeSha256: string): string {
    return path.join(this.zipDir, `${codeKey(codeSha256)}.zip`);
  }

  taskRoot(codeSha256: string): string {
    return path.join(this.rootDir, codeKey(codeSha256));
  }

  /** Keeps the zip (once per content) and pins it until unpin(); says how AWS would name it. */
  async put(zip: Buffer): Promise<StoredCode> {
    const codeSha256 = sha256Base64(zip);
    this.pinned.set(codeSha256, (this.pinned.get(codeSha256) ?? 0) + 1);
    const file = this.zipPath(codeSha256);
    if (!existsSync(file)) {
      await mkdir(this.zipDir, { recursive: true });
      const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(tmp, zip);
      await rename(tmp, file);
    }
    return { codeSha256, codeSize: zip.length };
  }

  unpin(codeSha256: string): void {
    const n = (this.pinned.get(codeSha256) ?? 0) - 1;
    if (n > 0) this.pinned.set(codeSha256, n);
    else this.pinned.delete(codeSha256);
  }

  read(codeSha256: string): Promise<Buffer> {
    return readFile(this.zipPath(codeSha256));
  }

  /** The package's task root, unpacked on first use; concurrent callers share one unpack. */
  ensureUnpacked(codeSha256: string): Promise<string> {
    const root = this.taskRoot(codeSha256);
    if (existsSync(root)) return Promise.resolve(root);
    let pending = this.unpacking.get(codeSha256);
    if (!pending) {
      pending = (async () => {
        await unpackZip(await this.read(codeSha256), root);
        return root;
      })().finally(() => this.unpacking.delete(codeSha256));
      this.unpacking.set(codeSha256, pending);
    }
    return pending;
  }

  /** Deletes the zips and task roots of packages no version refers to. */
  async collect(referenced: ReadonlySet<string>): Promise<void> {
    const keep = new Set([...referenced, ...this.pinned.keys()].map(codeKey));
    for (const [dir, strip] of [
      [this.zipDir, /\.zip$/],
      [this.rootDir, /$/],
    ] as const) {
      if (!existsSync(dir)) continue;
      for (const name of await readdir(dir)) {
        // Scratch folders of an unpack in progress carry a suffix and are left to it.
        if (name.includes('.partial-') || name.endsWith('.tmp')) continue;
        const key = name.replace(strip, '');
        if (!keep.has(key) && !this.unpacking.has(Buffer.from(key, 'hex').toString('base64'))) {
          await rm(path.join(dir, name), { recursive: true, force: true });
        }
      }
    }
  }
}
