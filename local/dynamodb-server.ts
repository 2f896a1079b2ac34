import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

export interface EmbeddedServer {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** dynalite speaking the DynamoDB wire protocol, its LevelDB files under `directory` (in memory without one). */
export async function startDynamoServer(options: { directory?: string; host: string }): Promise<EmbeddedServer> {
  const server = dynalite({ ...(options.directory ? { path: options.directory } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  server.listen(0, options.host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${options.host}:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
