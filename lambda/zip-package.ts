// Reading and writing deployment packages (.zip), through yauzl and yazl. Every package is checked whole before a
// byte of it is written: names that would land outside the task root (`../`, absolute, drive letters,
// backslashes), symlinks whose target leaves the root or that other entries would be written through, encrypted
// entries and more than AWS's 250 MB unzipped. Unpacking writes to a scratch folder beside the destination and
// renames it into place, so a failure leaves nothing and a reader never sees half a package.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readFile, readlink, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { InvalidParameterValueError } from './errors';

/** AWS's limits for a package uploaded in the request: 50 MB zipped, 250 MB unzipped. */
export const MAX_ZIPPED_BYTES = 52_428_800;
export const MAX_UNZIPPED_BYTES = 262_144_000;
/** A symlink's target is its entry's content; anything longer than a path can be is not a symlink we accept. */
const MAX_LINK_TARGET_BYTES = 4096;

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

/** The upload is not a readable zip archive (AWS's wording). */
export class CorruptZipError extends InvalidParameterValueError {
  override readonly name = 'CorruptZipError';
  constructor(readonly detail: string) {
    super('Could not unzip uploaded file. Please check your file, then try to upload again.');
  }
}

/** An entry would be written outside the task root, or through a link; nothing of the package is written. */
export class UnsafeZipEntryError extends InvalidParameterValueError {
  override readonly name = 'UnsafeZipEntryError';
  constructor(
    readonly entryName: string,
    reason: string,
  ) {
    super(`Could not unzip uploaded file: the entry '${entryName}' ${reason}; nothing of the package was written.`);
  }
}

/** The entries add up to more than AWS's unzipped limit (AWS's wording). */
export class UnzippedSizeExceededError extends InvalidParameterValueError {
  override readonly name = 'UnzippedSizeExceededError';
  constructor(readonly unzippedBytes: number) {
    super(`Unzipped size must be smaller than ${MAX_UNZIPPED_BYTES} bytes`);
  }
}

export interface PackageEntry {
  /** The path inside the package, `/`-separated, without a trailing slash for directories. */
  name: string;
  kind: 'file' | 'directory' | 'symlink';
  /** Uncompressed bytes. */
  size: number;
  /** Permission bits (0o644, 0o755...). */
  mode: number;
  linkTarget?: string;
}

export interface PackageManifest {
  entries: PackageEntry[];
  unzippedBytes: number;
}

export interface UnpackLimits {
  /** Default MAX_UNZIPPED_BYTES. */
  maxUnzippedBytes?: number;
}

function openZip(zip: Buffer): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.fromBuffer(
      zip,
      // Raw names: we decode and judge them ourselves, so a bad name gets our message rather than a parse error.
      { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, strictFileNames: false },
      (err, zipfile) => (err ? reject(new CorruptZipError(err.message)) : resolve(zipfile)),
    ),
  );
}

function openEntry(zipfile: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) =>
    zipfile.openReadStream(entry, (err, stream) => (err ? reject(new CorruptZipError(err.message)) : resolve(stream))),
  );
}

/** Calls `visit` for every entry in order; rejects with CorruptZipError on a damaged archive. */
async function eachEntry(
  zip: Buffer,
  visit: (zipfile: yauzl.ZipFile, entry: yauzl.Entry, name: string) => Promise<void>,
): Promise<void> {
  const zipfile = await openZip(zip);
  try {
    await new Promise<void>((resolve, reject) => {
      zipfile.on('error', (err: Error) =>
        reject(err instanceof InvalidParameterValueError ? err : new CorruptZipError(err.message)),
      );
      zipfile.on('end', () => resolve());
      zipfile.on('entry', (entry: yauzl.Entry) => {
        const raw = entry.fileName as unknown as Buffer;
        const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, raw, entry.extraFields, false);
        visit(zipfile, entry, name).then(
          () => zipfile.readEntry(),
          (err: unknown) => reject(err),
        );
      });
      zipfile.readEntry();
    });
  } finally {
    zipfile.close();
  }
}

async function readSmall(stream: Readable, max: number, name: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      stream.destroy();
      throw new UnsafeZipEntryError(name, 'is a symlink with an implausibly long target');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function checkName(name: string): string {
  if (name === '' || name === '/') throw new UnsafeZipEntryError(name, 'has an empty name');
  if (name.includes('\0')) throw new UnsafeZipEntryError(name, 'has a NUL character in its name');
  if (name.includes('\\')) throw new UnsafeZipEntryError(name, 'has a backslash in its name');
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) throw new UnsafeZipEntryError(name, 'has an absolute path');
  const trimmed = name.replace(/\/+$/, '');
  if (trimmed.split('/').includes('..')) throw new UnsafeZipEntryError(name, 'escapes the task root with ..');
  // yauzl's own rules, as a second opinion.
  const complaint = yauzl.validateFileName(name);
  if (complaint) throw new UnsafeZipEntryError(name, complaint);
  return path.posix.normalize(trimmed);
}

function checkLinkTarget(name: string, target: string): void {
  if (target === '' || target.startsWith('/') || /^[a-zA-Z]:/.test(target) || target.includes('\\')) {
    throw new UnsafeZipEntryError(name, `is a symlink to '${target}', outside the task root`);
  }
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(name), target));
  if (resolved === '..' || resolved.startsWith('../')) {
    throw new UnsafeZipEntryError(name, `is a symlink to '${target}', outside the task root`);
  }
}

/** Lists and checks every entry without writing anything. */
export async function inspectZip(zip: Buffer, limits: UnpackLimits = {}): Promise<PackageManifest> {
  const maxUnzipped = limits.maxUnzippedBytes ?? MAX_UNZIPPED_BYTES;
  const entries: PackageEntry[] = [];
  let unzippedBytes = 0;
  await eachEntry(zip, async (zipfile, entry, rawName) => {
    const name = checkName(rawName);
    if (entry.isEncrypted()) throw new UnsafeZipEntryError(rawName, 'is encrypted');
    const unixMode = entry.externalFileAttributes >>> 16;
    const type = unixMode & S_IFMT;
    const isDir = rawName.endsWith('/') || type === S_IFDIR;
    const kind: PackageEntry['kind'] = isDir ? 'directory' : type === S_IFLNK ? 'symlink' : 'file';
    unzippedBytes += entry.uncompressedSize;
    // Checked on the declared sizes before anything is inflated; yauzl then holds every entry to its declared size.
    if (unzippedBytes > maxUnzipped) throw new UnzippedSizeExceededError(unzippedBytes);
    const found: PackageEntry = { name, kind, size: entry.uncompressedSize, mode: unixMode & 0o777 };
    if (kind === 'symlink') {
      found.linkTarget = await readSmall(await openEntry(zipfile, entry), MAX_LINK_TARGET_BYTES, rawName);
      checkLinkTarget(name, found.linkTarget);
    }
    entries.push(found);
  });
  // Written last, links are never written through; an entry below a link would be, so it is refused outright.
  const links = new Set(entries.filter((e) => e.kind === 'symlink').map((e) => e.name));
  for (const e of entries) {
    const parts = e.name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (links.has(prefix)) throw new UnsafeZipEntryError(e.name, `lies below the symlink '${prefix}'`);
    }
  }
  return { entries, unzippedBytes };
}

/**
 * Checks the whole package, then unpacks it into `destDir`, which must not exist yet. When another unpack of the
 * same package gets there first (a content-addressed cache), its result is kept and this one is thrown away.
 */
export async function unpackZip(zip: Buffer, destDir: string, limits: UnpackLimits = {}): Promise<PackageManifest> {
  const manifest = await inspectZip(zip, limits);
  const dest = path.resolve(destDir);
  await mkdir(path.dirname(dest), { recursive: true });
  const scratch = `${dest}.partial-${randomBytes(6).toString('hex')}`;
  await mkdir(scratch, { recursive: true });
  try {
    const kinds = new Map(manifest.entries.map((e) => [e.name, e]));
    await eachEntry(zip, async (zipfile, entry, rawName) => {
      const name = checkName(rawName);
      const info = kinds.get(name);
      if (!info || info.kind === 'symlink') return;
      const target = path.join(scratch, name);
      if (info.kind === 'directory') {
        await mkdir(target, { recursive: true, mode: 0o755 });
        return;
      }
      await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
      await pipeline(await openEntry(zipfile, entry), createWriteStream(target, { mode: 0o600 }));
      await chmod(target, info.mode || 0o644);
    });
    for (const link of manifest.entries) {
      if (link.kind !== 'symlink' || link.linkTarget === undefined) continue;
      const at = path.join(scratch, link.name);
      await mkdir(path.dirname(at), { recursive: true, mode: 0o755 });
      await symlink(link.linkTarget, at);
    }
    try {
      await rename(scratch, dest);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw err;
      await rm(scratch, { recursive: true, force: true });
    }
    return manifest;
  } catch (err) {
    await rm(scratch, { recursive: true, force: true });
    throw err instanceof InvalidParameterValueError ? err : new CorruptZipError((err as Error).message);
  }
}

export interface ZipInput {
  /** Path inside the package, `/`-separated. */
  name: string;
  data: Buffer | string;
  /** Permission bits; default 0o644. */
  mode?: number;
  /** Stores a symlink whose target is `data`. */
  symlink?: boolean;
}

/** A fixed timestamp, so the same files always make the same zip and the same CodeSha256. */
const ZIP_MTIME = new Date(Date.UTC(2020, 0, 1));

/** Builds a zip from entries in memory. */
export function zipEntries(inputs: readonly ZipInput[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const input of inputs) {
    const data = Buffer.isBuffer(input.data) ? input.data : Buffer.from(input.data);
    const mode = input.symlink ? S_IFLNK | 0o777 : 0o100000 | (input.mode ?? 0o644);
    zip.addBuffer(data, input.name, { mode, mtime: ZIP_MTIME, compress: !input.symlink });
  }
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
  zip.end();
  return done;
}

/** Zips a folder (files, their modes and symlinks), in name order so the result is reproducible. */
export async function zipDirectory(dir: string): Promise<Buffer> {
  const inputs: ZipInput[] = [];
  async function walk(rel: string): Promise<void> {
    const names = (await readdir(path.join(dir, rel))).sort();
    for (const name of names) {
      const relName = rel ? `${rel}/${name}` : name;
      const full = path.join(dir, relName);
      const stat = await lstat(full);
      if (stat.isSymbolicLink()) inputs.push({ name: relName, data: await readlink(full), symlink: true });
      else if (stat.isDirectory()) await walk(relName);
      else if (stat.isFile()) inputs.push({ name: relName, data: await readFile(full), mode: stat.mode & 0o777 });
    }
  }
  await walk('');
  return zipEntries(inputs);
}
