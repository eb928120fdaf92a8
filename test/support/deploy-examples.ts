// Deploys some of the example functions to a Lambda endpoint of a test's own (a second local service, one in a
// network namespace), as a user deploys them.
import path from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { deployFolders, exampleFolders } from '../../cli/deploy-folders';

export async function deployExamples(
  target: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } },
  names: readonly string[],
): Promise<void> {
  // A copy of the credentials: the SDK marks the object it is given.
  const lambda = new LambdaClient({ ...target, credentials: { ...target.credentials } });
  try {
    await deployFolders(
      lambda,
      exampleFolders().filter((f) => names.includes(path.basename(f))),
    );
  } finally {
    lambda.destroy();
  }
}
