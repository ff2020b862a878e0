import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { Config } from '../config';

/**
 * Connection settings shared by the client (server, CLI) and the worker, so a production cluster
 * (TLS / mTLS / Temporal Cloud API key) is configured once, from env.
 */
function tlsOptions(t: Config['temporal']): ConnectionOptions['tls'] {
  if (!t.tls && !t.tlsCertPath && !t.apiKey) return undefined;
  return {
    serverNameOverride: t.tlsServerName,
    serverRootCACertificate: t.tlsCaPath ? readFileSync(t.tlsCaPath) : undefined,
    clientCertPair:
      t.tlsCertPath && t.tlsKeyPath ? { crt: readFileSync(t.tlsCertPath), key: readFileSync(t.tlsKeyPath) } : undefined,
  };
}

export function temporalAddress(t: Config['temporal']): string {
  return t.address ?? `127.0.0.1:${t.port}`;
}

export async function connectClient(t: Config['temporal']): Promise<Client> {
  const connection = await Connection.connect({
    address: temporalAddress(t),
    tls: tlsOptions(t),
    apiKey: t.apiKey,
    connectTimeout: 5_000,
  });
  return new Client({ connection, namespace: t.namespace });
}

/**
 * A client whose connection is made lazily: the ingest server must start (and keep accepting,
 * persisting and acknowledging events) while Temporal is down.
 */
export function lazyClient(t: Config['temporal']): Client {
  const connection = Connection.lazy({ address: temporalAddress(t), tls: tlsOptions(t), apiKey: t.apiKey, connectTimeout: 5_000 });
  return new Client({ connection, namespace: t.namespace });
}

export async function connectWorkerConnection(t: Config['temporal']): Promise<NativeConnection> {
  const options: NativeConnectionOptions = {
    address: temporalAddress(t),
    tls: tlsOptions(t) as NativeConnectionOptions['tls'],
    apiKey: t.apiKey,
  };
  return NativeConnection.connect(options);
}
