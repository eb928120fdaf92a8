// Deploys function folders the way a user does (package, then create or update), for `npm start`, the test stacks
// and the benchmarks, which all deploy the example functions before they use them.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { MANIFEST_FILE } from '../domain/function-manifest';
import { deployFunction, type DeployResult } from './deploy-function';
import { packageFunction } from './package-function';

/** The role the local Lambda service is given; it checks the shape of a role ARN, never assumes it. */
export const LOCAL_ROLE_ARN = 'arn:aws:iam::000000000000:role/spillway-local';

function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

/** Every example function: the folders under examples/functions that hold a manifest. */
export function exampleFolders(root = path.join(repoRoot(), 'examples', 'functions')): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(root, d.name, MANIFEST_FILE)))
    .map((d) => path.join(root, d.name))
    .sort();
}

export async function deployFolders(
  lambda: LambdaClient,
  folders: string[],
  options: { role?: string; log?: (message: string) => void } = {},
): Promise<DeployResult[]> {
  const results: DeployResult[] = [];
  for (const folder of folders) {
    const pkg = await packageFunction(folder, { log: options.log });
    results.push(await deployFunction(lambda, pkg, { role: options.role ?? LOCAL_ROLE_ARN, log: options.log }));
  }
  return results;
}
