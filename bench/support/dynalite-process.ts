/**
 * dynalite in a process of its own, in memory, for benchmarks that must not share a heap or an
 * event loop with what they measure. Prints `listening <endpoint>` once it accepts requests.
 */
import { startDynamoServer } from '../../local/dynamodb-server';

const server = await startDynamoServer({ host: '127.0.0.1' });
console.log(`listening ${server.endpoint}`);
process.on('SIGTERM', () => void server.close().finally(() => process.exit(0)));
