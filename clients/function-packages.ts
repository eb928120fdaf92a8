// Deployed packages, fetched the way AWS hands them out: GetFunction's Code.Location, a URL the zip downloads from.
// Each package is kept once per CodeSha256 (verified on download), so a version is fetched once however many
// attempts run it, and its manifest and unpacked task root come from the very bytes Lambda runs.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GetFunctionCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import yauzl from 'yauzl';
import { MANIFEST_FILE, parseManifest, type FunctionManifest } from '../domain/function-manifest';

/** How often a task root in use is marked used (its folder's mtime), for eviction by age. */
const TOUCH_INTERVAL_MS = 60_000;

export interface PackageRef {
  name: string;
  version: string;
  codeSha256: string;
}

/** Thrown when a downloaded package does not hash to the CodeSha256 Lambda reported: it is never run. */
export class PackageIntegrityError extends Error {
  override readonly name = 'PackageIntegrityError';
}

/** Thrown when a package cannot be downloaded from its Code.Location. */
export class PackageDownloadError extends Error {
  override readonly name = 'PackageDownloadError';
}

export interface FunctionPackages {
  /** The zip's bytes, verified against its CodeSha256. */
  zip(ref: PackageRef): Promise<Buffer>;
  /** The package's spillway.json, or undefined when it has none. */
  manifest(ref: PackageRef): Promise<FunctionManifest | undefined>;
  /** The package unpacked into a folder of its own: the task root an environment runs in. */
  taskRoot(ref: PackageRef): Promise<string>;
}

export interface FunctionPackagesOptions {
  lambda: LambdaClient;
  /** Where zips and task roots are kept. */
  cacheDir: string;
  /** Unpacks a zip into an empty folder, refusing entries that escape it (the Lambda service's own unpacker). */
  unpack?: (zip: Buffer, destination: string) => Promise<unknown>;
  /** Task roots kept before the least recently used are removed. */
  keep?: number;
}

/** Filenames cannot hold base64's `/`: the hex of the same digest names each package on disk. */
export function shaHex(codeSha256: string): string {
  return Buffer.from(codeSha256, 'base64').toString('hex');
}

export function sha256Base64(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('base64');
}

export function readZipEntry(zip: Buffer, name: string): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (err, archive) => {
      if (err || !archive) return reject(err ?? new Error('not a zip'));
      archive.on('error', reject);
      archive.on('end', () => resolve(undefined));
      archive.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== name) return archive.readEntry();
        archive.openReadStream(entry, (streamErr, stream) => {
          if (streamErr || !stream) return reject(streamErr ?? new Error(`cannot read ${name}`));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            archive.close();
            resolve(Buffer.concat(chunks));
          });
        });
      });
      archive.readEntry();
    });
  });
}

export function createFunctionPackages(options: FunctionPackagesOptions): FunctionPackages {
  const zipsDir = path.join(options.cacheDir, 'zips');
  const rootsDir = path.join(options.cacheDir, 'roots');
  const inFlight = new Map<string, Promise<unknown>>();
  const manifests = new Map<string, FunctionManifest | undefined>();
  const keep = options.keep ?? 50;

  /** One download (or unpack) per package at a time, however many attempts ask for it at once. */
  function once<T>(key: string, work: () => Promise<T>): Promise<T> {
    const pending = inFlight.get(key) as Promise<T> | undefined;
    if (pending) return pending;
    const started = work().finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  }

  async function download(ref: PackageRef): Promise<Buffer> {
    const answer = await options.lambda.send(
      new GetFunctionCommand({
        FunctionName: ref.name,
        Qualifier: ref.version === '$LATEST' ? undefined : ref.version,
      }),
    );
    const location = answer.Code?.Location;
    if (!location) throw new PackageDownloadError(`GetFunction of ${ref.name}:${ref.version} gave no Code.Location`);
    let res: Response;
    try {
      res = await fetch(location, { signal: AbortSignal.timeout(120_000) });
    } catch (err) {
      throw new PackageDownloadError(
        `the package of ${ref.name}:${ref.version} could not be downloaded: ${(err as Error).message}`,
      );
    }
    if (!res.ok) {
      throw new PackageDownloadError(
        `the package of ${ref.name}:${ref.version} answered ${res.status} at its Code.Location`,
      );
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    const actual = sha256Base64(bytes);
    if (actual !== ref.codeSha256) {
      // The version changed between the configuration read and the download (an update of $LATEST), or worse.
      throw new PackageIntegrityError(
        `the package of ${ref.name}:${ref.version} hashes to ${actual}, not the CodeSha256 ${ref.codeSha256}`,
      );
    }
    return bytes;
  }

  async function zip(ref: PackageRef): Promise<Buffer> {
    const file = path.join(zipsDir, `${shaHex(ref.codeSha256)}.zip`);
    if (existsSync(file)) return readFile(file);
    return once(`zip:${ref.codeSha256}`, async () => {
      const bytes = await download(ref);
      await mkdir(zipsDir, { recursive: true });
      const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(tmp, bytes);
      await rename(tmp, file);
      return bytes;
    });
  }

  async function manifest(ref: PackageRef): Promise<FunctionManifest | undefined> {
    if (manifests.has(ref.codeSha256)) return manifests.get(ref.codeSha256);
    const text = await readZipEntry(await zip(ref), MANIFEST_FILE);
    const parsed = text
      ? parseManifest(text.toString('utf8'), `${ref.name}:${ref.version}/${MANIFEST_FILE}`)
      : undefined;
    manifests.set(ref.codeSha256, parsed);
    return parsed;
  }

  async function evict(): Promise<void> {
    const names = await readdir(rootsDir).catch(() => [] as string[]);
    if (names.length <= keep) return;
    const aged = await Promise.all(
      names
        .filter((n) => !n.includes('.tmp'))
        .map(async (n) => ({ n, at: (await stat(path.join(rootsDir, n)).catch(() => undefined))?.mtimeMs ?? 0 })),
    );
    aged.sort((a, b) => a.at - b.at);
    for (const { n } of aged.slice(0, Math.max(0, aged.length - keep))) {
      await rm(path.join(rootsDir, n), { recursive: true, force: true });
    }
  }

  /** When this process last marked each root used: eviction only needs minutes, not every attempt's moment. */
  const touched = new Map<string, number>();

  async function taskRoot(ref: PackageRef): Promise<string> {
    const root = path.join(rootsDir, shaHex(ref.codeSha256));
    if (existsSync(root)) {
      // The folder's time says when it was last used, for eviction. Touching it on every attempt was 3 % of a busy
      // worker's main thread in the LOCAL bench's profile; once a minute keeps the order eviction needs.
      const now = Date.now();
      if (now - (touched.get(root) ?? 0) >= TOUCH_INTERVAL_MS) {
        touched.set(root, now);
        await utimes(root, new Date(now), new Date(now)).catch(() => undefined);
      }
      return root;
    }
    if (!options.unpack) throw new Error('this process was not given an unpacker for task roots');
    const unpack = options.unpack;
    return once(`root:${ref.codeSha256}`, async () => {
      const bytes = await zip(ref);
      await mkdir(rootsDir, { recursive: true });
      const tmp = `${root}.${process.pid}.${Date.now()}.tmp`;
      await unpack(bytes, tmp);
      await rename(tmp, root).catch(async (err: NodeJS.ErrnoException) => {
        // Another process unpacked the same package first: theirs is as good as ours.
        await rm(tmp, { recursive: true, force: true });
        if (!existsSync(root)) throw err;
      });
      void evict().catch(() => undefined);
      return root;
    });
  }

  return { zip, manifest, taskRoot };
}
