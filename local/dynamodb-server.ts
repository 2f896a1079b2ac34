import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { rebuildIndexes } from './dynamodb-index-repair';

export interface EmbeddedServer {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** dynalite speaking the DynamoDB wire protocol, its LevelDB files under `directory` (in memory without one). */
export async function startDynamoServer(options: { directory?: string; host: string; log?: (line: string) => void }): Promise<EmbeddedServer> {
  // A previous process may have been killed between an index write and its item write.
  if (options.directory) await rebuildIndexes(options.directory);
  const server = dynalite({ ...(options.directory ? { path: options.directory } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  server.listen(0, options.host);
  await once(server, 'listening');
  // Past listening, a server error (e.g. out of file descriptors on accept) is logged, not thrown.
  server.on('error', (error) => (options.log ?? console.error)(`dynalite: ${error.message}`));
  server.on('clientError', (_error, socket) => socket.destroy());
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${options.host}:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
