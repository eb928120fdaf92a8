// The compose file's two Temporal setup jobs, run here outside containers with the same programs the admin-tools
// image ships (temporal-sql-tool of the same server version, the temporal CLI): setup-schema.sh makes databases a
// production server runs on, twice without harm, and setup-namespace.sh creates a namespace and the search
// attributes that docker/entrypoint.sh lists.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SEARCH_ATTRIBUTE_REGISTRATIONS } from '../../domain/search-attributes';
import {
  cli,
  postgresReachable,
  serverLib,
  skipReason,
  stopAndDrop,
  temporalCliPath,
  uniqueDatabases,
  type RunningServer,
} from '../server-profile/server-profile';
import { DOCKER_DIR, ENTRYPOINT } from './docker-files';

const postgres = postgresReachable();

function run(script: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; output: string }>((resolve) => {
    execFile(script, args, { env, timeout: 180_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

if (!postgres.reachable) {
  console.warn(skipReason(postgres.where));
  test.skip(skipReason(postgres.where), () => undefined);
} else {
  describe('the Temporal setup jobs of docker/compose.yaml', () => {
    const databases = uniqueDatabases('compose');
    const namespace = `spillway-compose-${Date.now()}`;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spillway-compose-setup-'));
    let server: RunningServer | undefined;
    let build: ReturnType<typeof serverLib.ensureTemporalServer>;
    /** The programs of the admin-tools image, by the names its scripts call them. */
    let tools: Record<string, string>;

    beforeAll(() => {
      build = serverLib.ensureTemporalServer({ log: (m) => console.log(m) });
      const pathDirs = [path.dirname(build.sqlTool), path.dirname(temporalCliPath()), process.env.PATH ?? ''];
      tools = { PATH: pathDirs.join(path.delimiter), HOME: dir };
    }, 900_000);

    afterAll(async () => {
      await stopAndDrop(server, databases);
      rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    test('setup-schema.sh creates both databases and their schema, and a second run changes nothing', async () => {
      const pg = serverLib.postgresSettings();
      const env = {
        ...tools,
        POSTGRES_SEEDS: pg.host,
        DB_PORT: String(pg.port),
        POSTGRES_USER: pg.user,
        SQL_PASSWORD: process.env.PGPASSWORD ?? '',
        DBNAME: databases.default,
        VISIBILITY_DBNAME: databases.visibility,
        SCHEMA_DIR: build.schemaDir,
      };
      const script = path.join(DOCKER_DIR, 'temporal', 'setup-schema.sh');
      for (let round = 1; round <= 2; round++) {
        const result = await run(script, [], env);
        expect({ round, code: result.code, tail: result.code ? result.output.slice(-1500) : '' }).toEqual({
          round,
          code: 0,
          tail: '',
        });
        expect(result.output).toContain(`database ${databases.visibility} is on the current visibility schema`);
      }
    }, 240_000);

    test('a production server runs on the databases that script made', async () => {
      server = await serverLib.startTemporalServer({ databases, setupSchema: false, log: () => undefined });
      await expect(cli(server, ['operator', 'cluster', 'health'])).resolves.toMatch(/SERVING/);
    }, 180_000);

    test('setup-namespace.sh creates the namespace and every search attribute the entry point lists', async () => {
      expect(server).toBeDefined();
      const listFile = path.join(dir, 'search-attributes.txt');
      expect((await run(ENTRYPOINT, ['search-attributes', listFile], { PATH: tools.PATH! })).code).toBe(0);
      const env = {
        ...tools,
        TEMPORAL_ADDRESS: server!.address,
        TEMPORAL_NAMESPACE: namespace,
        SEARCH_ATTRIBUTES_FILE: listFile,
      };
      const script = path.join(DOCKER_DIR, 'temporal', 'setup-namespace.sh');
      for (let round = 1; round <= 2; round++) {
        const result = await run(script, [], env);
        expect({ round, code: result.code, tail: result.code ? result.output.slice(-1500) : '' }).toEqual({
          round,
          code: 0,
          tail: '',
        });
        expect(result.output).toContain(`namespace ${namespace} is ready for Spillway`);
      }
      const listed = JSON.parse(
        await cli(server!, ['operator', 'search-attribute', 'list', '--namespace', namespace, '-o', 'json']),
      ) as { customAttributes: Record<string, string> };
      expect(listed.customAttributes).toEqual(
        expect.objectContaining(
          Object.fromEntries(
            Object.entries(SEARCH_ATTRIBUTE_REGISTRATIONS).map(([name, kind]) => [
              name,
              `INDEXED_VALUE_TYPE_${kind.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`,
            ]),
          ),
        ),
      );
    }, 240_000);
  });
}
