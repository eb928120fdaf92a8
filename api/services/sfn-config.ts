// Settings of the pipeline API, read once at start-up: the region and account in the ARNs the Step Functions
// endpoint hands out, and the real AWS Step Functions endpoint that pipelines may also run on.
import type { SpillwayConfig } from '../../domain/config';
import { ConfigError } from '../../domain/config';

export interface SfnConfig {
  /** Region in state machine and execution ARNs. @default AWS_REGION (us-east-1) */
  region: string;
  /** Account in ARNs, 12 digits. @default 123456789012 */
  account: string;
  /** A Step Functions endpoint (AWS, or any that speaks its protocol) to run pipelines on; unset: local only. */
  remote?: { endpoint?: string; region: string; accessKeyId?: string; secretAccessKey?: string };
  /** How often a remote execution is polled with DescribeExecution. @default 2000 */
  remotePollMs: number;
}

export function loadSfnConfig(
  config: SpillwayConfig,
  env: Record<string, string | undefined> = process.env,
): SfnConfig {
  const account = env.SFN_ACCOUNT_ID || '123456789012';
  if (!/^\d{12}$/.test(account)) throw new ConfigError(`SFN_ACCOUNT_ID must be 12 digits, got "${account}"`);
  const region = env.SFN_REGION || config.lambda.region;
  const endpoint = env.SFN_ENDPOINT || undefined;
  if (endpoint !== undefined && !/^https?:\/\//.test(endpoint)) {
    throw new ConfigError(`SFN_ENDPOINT must be an http(s) URL, got "${endpoint}"`);
  }
  const pollRaw = env.SFN_REMOTE_POLL_MS;
  const remotePollMs = pollRaw ? Number(pollRaw) : 2000;
  if (!Number.isInteger(remotePollMs) || remotePollMs < 100 || remotePollMs > 600_000) {
    throw new ConfigError(`SFN_REMOTE_POLL_MS must be a whole number from 100 to 600000, got "${pollRaw}"`);
  }
  const remoteWanted = endpoint !== undefined || env.SFN_REMOTE === 'aws';
  return {
    region,
    account,
    remotePollMs,
    ...(remoteWanted
      ? {
          remote: {
            ...(endpoint ? { endpoint } : {}),
            region,
            ...(config.lambda.accessKeyId ? { accessKeyId: config.lambda.accessKeyId } : {}),
            ...(config.lambda.secretAccessKey ? { secretAccessKey: config.lambda.secretAccessKey } : {}),
          },
        }
      : {}),
  };
}
