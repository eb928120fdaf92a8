// Turns a function folder into the zip Lambda runs: a Node function is bundled with esbuild into one module beside
// its manifest, and the packages that cannot be bundled (native code such as sharp) are copied in as packages with
// their own dependencies; any other runtime's folder is zipped as it is. The zip is deterministic (sorted entries,
// fixed times), so the same sources give the same CodeSha256 and an unchanged function is not redeployed.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import AjvDraft7 from 'ajv';
import { build } from 'esbuild';
import yazl from 'yazl';
import { DEFAULT_RUNTIME, MANIFEST_FILE, parseManifest, type FunctionManifest } from '../domain/function-manifest';
import { sha256Base64 } from '../clients/function-packages';

/** Thrown when a folder cannot be packaged: no handler module, a bad manifest, a build error. */
export class PackagingError extends Error {
  override readonly name = 'PackagingError';
}

export interface PackagedFunction {
  name: string;
  manifest: FunctionManifest;
  /** Whether the folder had a spillway.json (else the defaults of a plain function apply). */
  hasManifest: boolean;
  runtime: string;
  handler: string;
  zip: Buffer;
  codeSha256: string;
  files: number;
  unzippedBytes: number;
  /** Packages copied in unbundled. */
  externalPackages: string[];
}

export interface PackageOptions {
  /** Overrides the manifest's name and the folder's. */
  name?: string;
  runtime?: string;
  log?: (message: string) => void;
}

/** Packages that always stay packages: their code loads native binaries or files at run time. */
const ALWAYS_EXTERNAL = ['sharp'];
const SOURCE_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];
/** Zip entry times are fixed, so only content decides the hash. */
const FIXED_TIME = new Date('2020-01-01T00:00:00Z');
const SKIP = new Set(['node_modules', '.git', MANIFEST_FILE, '.DS_Store']);

interface Entry {
  name: string;
  data: Buffer;
  mode: number;
}

function readManifest(dir: string): FunctionManifest | undefined {
  const file = path.join(dir, MANIFEST_FILE);
  if (!existsSync(file)) return undefined;
  return parseManifest(readFileSync(file, 'utf8'), file);
}

function findEntry(dir: string, handler: string, explicit: string | undefined): string {
  if (explicit) {
    const file = path.resolve(dir, explicit);
    if (!existsSync(file)) throw new PackagingError(`build.entry ${explicit} does not exist in ${dir}`);
    return file;
  }
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) throw new PackagingError(`handler "${handler}" is not <module>.<export>`);
  const module = handler.slice(0, dot);
  for (const ext of SOURCE_EXTENSIONS) {
    const file = path.resolve(dir, `${module}${ext}`);
    if (existsSync(file)) return file;
  }
  throw new PackagingError(
    `no module for handler "${handler}" in ${dir}: looked for ${SOURCE_EXTENSIONS.map((e) => `${module}${e}`).join(', ')}`,
  );
}

function walk(root: string, relative = '', out: Entry[] = [], skipTop = true): Entry[] {
  const dir = path.join(root, relative);
  for (const name of readdirSync(dir).sort()) {
    if (skipTop && relative === '' && SKIP.has(name)) continue;
    const rel = relative ? `${relative}/${name}` : name;
    const full = path.join(root, rel);
    const stat = statSync(full);
    if (stat.isDirectory()) walk(root, rel, out, skipTop);
    else if (stat.isFile()) out.push({ name: rel, data: readFileSync(full), mode: stat.mode & 0o111 ? 0o755 : 0o644 });
  }
  return out;
}

/** The folder of an installed package, found the way Node would from `from`. */
function packageRoot(name: string, from: string): string | undefined {
  try {
    return path.dirname(require.resolve(`${name}/package.json`, { paths: [from] }));
  } catch {
    // Packages whose exports hide package.json: find the folder on the lookup path instead.
    let dir = from;
    for (;;) {
      const candidate = path.join(dir, 'node_modules', name);
      if (existsSync(path.join(candidate, 'package.json'))) return candidate;
      const parent = path.dirname(dir);
      if (parent === dir) return undefined;
      dir = parent;
    }
  }
}

/** An external package and everything it depends on that is installed (optional ones for other platforms are not). */
function collectPackages(names: string[], from: string): Map<string, string> {
  const found = new Map<string, string>();
  const queue = names.map((name) => ({ name, from }));
  while (queue.length) {
    const { name, from: base } = queue.shift() as { name: string; from: string };
    if (found.has(name)) continue;
    const root = packageRoot(name, base);
    if (!root) {
      if (names.includes(name)) {
        throw new PackagingError(
          `external package "${name}" is not installed near ${from}: run \`npm install ${name}\` in the function's folder`,
        );
      }
      continue;
    }
    found.set(name, root);
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      queue.push({ name: dep, from: root });
    }
  }
  return found;
}

function zipEntries(entries: Entry[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const e of [...entries].sort((a, b) => a.name.localeCompare(b.name))) {
    zip.addBuffer(e.data, e.name, { mtime: FIXED_TIME, mode: 0o100000 | e.mode, compress: true });
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('error', reject);
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

async function bundleNode(
  dir: string,
  manifest: FunctionManifest,
  handler: string,
  log: (m: string) => void,
): Promise<{ entries: Entry[]; externals: string[] }> {
  const entry = findEntry(dir, handler, manifest.build?.entry);
  const module = handler.slice(0, handler.lastIndexOf('.'));
  const esm = entry.endsWith('.mjs') || entry.endsWith('.mts');
  const outName = `${module}${esm ? '.mjs' : '.js'}`;
  const external = [...new Set([...ALWAYS_EXTERNAL, ...(manifest.build?.external ?? [])])];
  let result;
  try {
    result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: esm ? 'esm' : 'cjs',
      write: false,
      outfile: path.join(dir, outName),
      external,
      keepNames: true,
      logLevel: 'silent',
      legalComments: 'none',
      absWorkingDir: dir,
    });
  } catch (err) {
    const errors = (err as { errors?: Array<{ text: string; location?: { file: string; line: number } }> }).errors;
    const detail = errors?.length
      ? errors.map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`).join('\n  ')
      : (err as Error).message;
    throw new PackagingError(`bundling ${path.relative(process.cwd(), entry) || entry} failed:\n  ${detail}`);
  }
  const bundled = result.outputFiles.find((f) => f.path.endsWith(outName));
  if (!bundled) throw new PackagingError(`esbuild produced no ${outName}`);
  log(`bundled ${path.relative(dir, entry)} into ${outName} (${formatBytes(bundled.contents.length)})`);
  const entries: Entry[] = [{ name: outName, data: Buffer.from(bundled.contents), mode: 0o644 }];
  // Only externals the bundle really imports are shipped.
  const source = bundled.text;
  const used = external.filter(
    (name) => source.includes(`"${name}"`) || source.includes(`'${name}'`) || source.includes(`"${name}/`),
  );
  const packages = collectPackages(used, dir);
  for (const [name, root] of packages) {
    for (const file of walk(root, '', [], false)) {
      entries.push({ ...file, name: `node_modules/${name}/${file.name}` });
    }
  }
  return { entries, externals: [...packages.keys()] };
}

/** A schema that does not compile would refuse every task, or none: it is refused before it is deployed. */
function checkSchema(schema: Record<string, unknown>): void {
  const draft2020 = typeof schema.$schema === 'string' && schema.$schema.includes('2020-12');
  const ajv = draft2020
    ? new Ajv2020({ allErrors: true, strict: false })
    : new AjvDraft7({ allErrors: true, strict: false });
  try {
    ajv.compile(schema);
  } catch (err) {
    throw new PackagingError(`payloadSchema in ${MANIFEST_FILE} is not a valid JSON Schema: ${(err as Error).message}`);
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export async function packageFunction(folder: string, options: PackageOptions = {}): Promise<PackagedFunction> {
  const dir = path.resolve(folder);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new PackagingError(`${folder} is not a folder`);
  const log = options.log ?? (() => undefined);
  const found = readManifest(dir);
  const name = options.name ?? found?.name ?? path.basename(dir);
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw new PackagingError(
      `"${name}" is not a Lambda function name (letters, digits, - and _, at most 64); use --name`,
    );
  }
  const manifest: FunctionManifest = { ...found, name };
  if (manifest.payloadSchema) checkSchema(manifest.payloadSchema);
  const runtime = options.runtime ?? manifest.lambda?.runtime ?? DEFAULT_RUNTIME;
  const handler = manifest.lambda?.handler ?? (runtime.startsWith('nodejs') ? 'index.handler' : 'bootstrap');
  let entries: Entry[];
  let externals: string[] = [];
  if (runtime.startsWith('nodejs')) {
    ({ entries, externals } = await bundleNode(dir, manifest, handler, log));
  } else {
    // Python, custom runtimes (a bootstrap executable) and anything else run their files as they are.
    entries = walk(dir);
    log(`packaging ${entries.length} files of the folder as they are (runtime ${runtime})`);
  }
  for (const include of manifest.build?.include ?? []) {
    const full = path.resolve(dir, include);
    if (!full.startsWith(dir + path.sep)) throw new PackagingError(`build.include "${include}" is outside the folder`);
    if (!existsSync(full)) throw new PackagingError(`build.include "${include}" does not exist`);
    if (statSync(full).isDirectory()) {
      for (const f of walk(full, '', [], false))
        entries.push({ ...f, name: `${include.replace(/\/$/, '')}/${f.name}` });
    } else {
      entries.push({ name: include, data: readFileSync(full), mode: 0o644 });
    }
  }
  entries.push({ name: MANIFEST_FILE, data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), mode: 0o644 });
  const zip = await zipEntries(entries);
  const unzippedBytes = entries.reduce((n, e) => n + e.data.length, 0);
  log(
    `zipped ${entries.length} files: ${formatBytes(unzippedBytes)} → ${formatBytes(zip.length)}` +
      (externals.length ? ` (packages kept: ${externals.join(', ')})` : ''),
  );
  return {
    name,
    manifest,
    hasManifest: found !== undefined,
    runtime,
    handler,
    zip,
    codeSha256: sha256Base64(zip),
    files: entries.length,
    unzippedBytes,
    externalPackages: externals,
  };
}
