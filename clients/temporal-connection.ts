// Opens Temporal for clients and workers from one config: a laptop dev server, or an existing cluster with TLS
// and an API key. Also makes sure our custom search attributes exist, since a fresh cluster does not have them.
import { readFile } from 'node:fs/promises';
import { Connection } from '@temporalio/client';
import type { ConnectionOptions } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import type { TemporalConfig } from '../domain/config';
import { SEARCH_ATTRIBUTE_REGISTRATIONS } from '../domain/search-attributes';

async function tlsOptions(config: TemporalConfig) {
  if (!config.tls) return undefined;
  const { serverName, clientCertPath, clientKeyPath, serverRootCaPath } = config.tls;
  return {
    serverNameOverride: serverName,
    serverRootCACertificate: serverRootCaPath ? await readFile(serverRootCaPath) : undefined,
    clientCertPair:
      clientCertPath && clientKeyPath
        ? { crt: await readFile(clientCertPath), key: await readFile(clientKeyPath) }
        : undefined,
  };
}

export async function connectClient(config: TemporalConfig): Promise<Connection> {
  const options: ConnectionOptions = {
    address: config.address,
    tls: await tlsOptions(config),
    apiKey: config.apiKey,
    connectTimeout: 5_000,
  };
  return Connection.connect(options);
}

export async function connectWorker(config: TemporalConfig): Promise<NativeConnection> {
  const options: NativeConnectionOptions = {
    address: config.address,
    tls: await tlsOptions(config),
    apiKey: config.apiKey,
  };
  return NativeConnection.connect(options);
}

const INDEXED_TYPES = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Double: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  Int: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
  KeywordList: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
} as const;

/** Registers Spillway's search attributes on the namespace; attributes that already exist are left alone. */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = (
    Object.keys(SEARCH_ATTRIBUTE_REGISTRATIONS) as Array<keyof typeof SEARCH_ATTRIBUTE_REGISTRATIONS>
  ).filter((name) => !existing.customAttributes?.[name]);
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      missing.map((name) => [name, INDEXED_TYPES[SEARCH_ATTRIBUTE_REGISTRATIONS[name] as keyof typeof INDEXED_TYPES]]),
    ),
  });
}
