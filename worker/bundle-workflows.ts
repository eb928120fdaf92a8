// Bundles the workflow code once at build time, so workers start in a second instead of running webpack each time,
// and writes the build id that Worker Versioning uses by default: a hash of the compiled code, so two builds of the
// same sources share an id and any change to what a worker runs gets a new one.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

const DIST = path.resolve(__dirname, '..');
export const WORKFLOW_BUNDLE_PATH = path.join(DIST, 'workflow-bundle.js');
/** One line: the build id `npm run build` derived from the compiled code (see buildIdOf). */
export const BUILD_ID_PATH = path.join(DIST, 'build-id');

/** The folders whose code a worker process runs (the API, the CLI and the benchmarks are not part of it). */
const WORKER_CODE = ['activities', 'clients', 'domain', 'lambda', 'live', 'pipelines', 'worker', 'workflows'];

function filesUnder(dir: string, extension: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full, extension));
    else if (entry.name.endsWith(extension) && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/**
 * `spillway-<package version>-<12 hex>`: a hash over the worker's code by path and content, in a fixed order. In
 * dist/ that is the compiled .js of WORKER_CODE and the workflow bundle; run from sources (tests), their .ts files.
 */
export function buildIdOf(root: string = DIST): string {
  const compiled = existsSync(path.join(root, 'workflow-bundle.js'));
  const extension = compiled ? '.js' : '.ts';
  const files = WORKER_CODE.flatMap((folder) => filesUnder(path.join(root, folder), extension));
  if (compiled) files.push(path.join(root, 'workflow-bundle.js'));
  const hash = createHash('sha256');
  for (const file of files.map((f) => path.relative(root, f).split(path.sep).join('/')).sort()) {
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(path.join(root, file)))
      .update('\0');
  }
  const repo = compiled ? path.dirname(root) : root;
  const pkg = path.join(repo, 'package.json');
  const version = existsSync(pkg) ? (JSON.parse(readFileSync(pkg, 'utf8')) as { version?: string }).version : undefined;
  return `spillway-${version ?? '0'}-${hash.digest('hex').slice(0, 12)}`;
}

/** The build id written at build time, or one computed now (a worker run from sources, without a build). */
export function defaultBuildId(): string {
  if (existsSync(BUILD_ID_PATH)) {
    const id = readFileSync(BUILD_ID_PATH, 'utf8').trim();
    if (id) return id;
  }
  return buildIdOf();
}

async function main() {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: new DefaultLogger('WARN'),
  });
  await writeFile(WORKFLOW_BUNDLE_PATH, code);
  console.log(`workflow bundle written to ${path.relative(process.cwd(), WORKFLOW_BUNDLE_PATH)}`);
  const buildId = buildIdOf();
  await writeFile(BUILD_ID_PATH, `${buildId}\n`);
  console.log(`build id ${buildId} written to ${path.relative(process.cwd(), BUILD_ID_PATH)}`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
