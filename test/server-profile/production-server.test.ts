// Temporal's production server profile without TLS: PostgreSQL schema applied (twice, to show it is idempotent),
// several history shards, our search attributes registered, SQL visibility answering our queries, and the dynamic
// config that docker/compose.yaml shares made only of keys this server knows.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { TASK_WORKFLOW_TYPE, WORKFLOW_TASK_QUEUE } from '../../domain/constants';
import { SEARCH_ATTRIBUTE_REGISTRATIONS, TASK_STATUS_KEY, TASK_TYPE_KEY } from '../../domain/search-attributes';
import {
  cli,
  postgresReachable,
  serverLib,
  skipReason,
  stopAndDrop,
  uniqueDatabases,
  type RunningServer,
} from './server-profile';

const postgres = postgresReachable();
const SHARDS = 4;

if (!postgres.reachable) {
  console.warn(skipReason(postgres.where));
  test.skip(skipReason(postgres.where), () => undefined);
} else {
  describe(`Temporal's production server ${serverLib.TEMPORAL_SERVER_VERSION} on PostgreSQL`, () => {
    const databases = uniqueDatabases('plain');
    let server: RunningServer | undefined;
    let connection: Connection | undefined;

    beforeAll(async () => {
      // The first run on a machine builds the server from source (a few minutes); later runs find it in the cache.
      serverLib.ensureTemporalServer({ log: (m) => console.log(m) });
      server = await serverLib.startTemporalServer({ databases, numHistoryShards: SHARDS, log: () => undefined });
      connection = await Connection.connect({ address: server.address });
    }, 900_000);

    afterAll(async () => {
      await connection?.close();
      const dir = server?.dir;
      await stopAndDrop(server, databases);
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    test('serves with the configured number of history shards on PostgreSQL stores', async () => {
      const described = JSON.parse(await cli(server!, ['operator', 'cluster', 'describe', '--detail', '-o', 'json']));
      expect(described).toMatchObject({
        serverVersion: server!.version.replace(/^v/, ''),
        historyShardCount: SHARDS,
        persistenceStore: 'postgres12',
        visibilityStore: 'postgres12',
      });
    });

    test('has every search attribute of domain/search-attributes.ts, with its type', async () => {
      const listed = JSON.parse(
        await cli(server!, ['operator', 'search-attribute', 'list', '--namespace', server!.namespace, '-o', 'json']),
      ) as { customAttributes: Record<string, string> };
      const expected = Object.fromEntries(
        Object.entries(SEARCH_ATTRIBUTE_REGISTRATIONS).map(([name, kind]) => [
          name,
          `INDEXED_VALUE_TYPE_${kind.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`,
        ]),
      );
      expect(listed.customAttributes).toEqual(expect.objectContaining(expected));
    });

    test('a workflow started there is listed by a TaskStatus query (SQL visibility)', async () => {
      const client = new Client({ connection: connection!, namespace: server!.namespace });
      const workflowId = `server-profile-${Date.now()}`;
      // No worker is needed: visibility records the start with its search attributes.
      const handle = await client.workflow.start(TASK_WORKFLOW_TYPE, {
        taskQueue: `${WORKFLOW_TASK_QUEUE}-server-profile-test`,
        workflowId,
        args: [{}],
        typedSearchAttributes: [
          { key: TASK_STATUS_KEY, value: 'QUEUED' },
          { key: TASK_TYPE_KEY, value: 'noop' },
        ],
      });
      try {
        const query = `TaskStatus='QUEUED' AND TaskType='noop' AND WorkflowId='${workflowId}'`;
        const deadline = Date.now() + 30_000;
        let listed: { execution?: { workflowId?: string } }[] = [];
        while (Date.now() < deadline) {
          const out = await cli(server!, [
            'workflow',
            'list',
            '--namespace',
            server!.namespace,
            '--query',
            query,
            '-o',
            'json',
          ]);
          listed = out.trim() ? (JSON.parse(out) as typeof listed) : [];
          if (listed.length > 0) break;
          await new Promise((r) => setTimeout(r, 500));
        }
        expect(listed.map((w) => w.execution?.workflowId)).toEqual([workflowId]);
        const viaSdk: string[] = [];
        for await (const w of client.workflow.list({ query })) viaSdk.push(w.workflowId);
        expect(viaSdk).toEqual([workflowId]);
      } finally {
        await handle.terminate('test over');
      }
    });

    test('applying the schema again changes nothing and succeeds', async () => {
      await expect(serverLib.setupSchema({ databases })).resolves.toEqual(databases);
    }, 120_000);

    test('the shared dynamic config, and the one this run wrote from it, have only keys this server knows', () => {
      const { server: binary } = serverLib.ensureTemporalServer({ log: () => undefined });
      const shared = path.join(serverLib.CONFIG_DIR, 'dynamicconfig.yaml');
      for (const file of [shared, server!.dynamicConfigFile]) {
        const out = execFileSync(binary, ['validate-dynamic-config', file], { encoding: 'utf8' });
        // The validator prints the file name, then one line per error or warning (an unknown key is a warning).
        expect(out.trim().split('\n')).toEqual([file]);
      }
      // This run added the test-only override on top of the shared keys.
      const written = readFileSync(server!.dynamicConfigFile, 'utf8');
      expect(written).toMatch(/^system\.forceSearchAttributesCacheRefreshOnRead:\n {2}- value: true$/m);
      expect(written).toMatch(/^matching\.enableFairness:$/m);
    });
  });
}
