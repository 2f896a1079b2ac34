import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { redactText } from '../functions/observability/log-redaction';
import { parseWholeNumber } from '../functions/platform/env-values';
import { DEMO_MODEL } from './demo-model';
import { startLocalRuntime } from './runtime';
import { DataDirInUseError, claimDataDir, type RuntimeClaim } from './runtime-file';
import { SettingError, checkStartSwitches } from './startup-settings';

const DEFAULT_PORT = 8083;

function portFromEnv(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_PORT;
  const port = parseWholeNumber(raw, 0, 65535);
  if (port === undefined) {
    console.error(`PORT must be a whole number from 0 to 65535, got '${raw}'`);
    process.exit(2);
  }
  return port;
}

const host = process.env.HOST || '127.0.0.1';
const port = portFromEnv(process.env.PORT);
const dataDir = resolve(process.env.MLHUB_DATA_DIR || '.mlhub');
try {
  checkStartSwitches(process.env);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
const quiet = process.env.MLHUB_ACCESS_LOG === 'off';
const authMode = process.env.MLHUB_AUTH || 'dev';
if (authMode !== 'dev' && authMode !== 'required') {
  console.error(`MLHUB_AUTH must be 'dev' (requests without a token act as the user 'local') or 'required', got '${authMode}'`);
  process.exit(2);
}

let claim: RuntimeClaim | undefined;

/*
 * The last resort, after every stream, socket and server in the runtime got its own error handling.
 * - An exception nobody caught leaves the process in a state nobody knows (Node.js docs, "Warning:
 *   Using 'uncaughtException' correctly"): it is logged with its stack and the process stops, its
 *   stores are consistent on disk (S3 writes land by rename, DynamoDB transitions are conditional),
 *   so the next start carries on, taking its claim over as after a kill -9.
 * - A rejected promise nobody awaited has already unwound its own work; one request's loose end
 *   should not take every other request down, so it is logged as a bug and MLHub keeps serving.
 */
process.on('uncaughtException', (error) => {
  console.error(redactText(`MLHub stopped on an uncaught exception (a bug; please report it): ${error?.stack ?? String(error)}`));
  // The claim stays: its pid is gone at once, so the next start takes it over as an unclean stop
  // and brings the views derived from undelivered events back in step (local/runtime.ts).
  process.exit(70);
});
process.on('unhandledRejection', (reason) => {
  console.error(redactText(`BUG: unhandled promise rejection, MLHub keeps serving: ${(reason as Error)?.stack ?? String(reason)}`));
});

try {
  await mkdir(dataDir, { recursive: true });
  claim = await claimDataDir(dataDir);
  const runtime = await startLocalRuntime({
    host, port, dataDir,
    uncleanStop: claim.uncleanStop,
    seedDemo: process.env.MLHUB_DEMO_MODEL !== 'off',
    ...(authMode === 'dev' ? { devUser: 'local' } : {}),
    ...(process.env.MLHUB_S3_REQUEST_LOG === 'on' ? { s3RequestLog: (line: string) => console.log(line) } : {}),
    ...(quiet ? {} : { log: (line: string) => console.log(line) }),
  });
  await claim.publish({ url: runtime.url, s3Endpoint: runtime.s3Endpoint, dynamoEndpoint: runtime.dynamoEndpoint });
  console.log(`MLHub is running at ${runtime.url}`);
  console.log(`  data      ${runtime.dataDir}`);
  console.log(runtime.devUser
    ? `  identity  dev mode: requests without a token act as '${runtime.devUser}' (MLHUB_AUTH=required to turn off)`
    : '  identity  tokens required: get one with npm run token -- <user>');
  console.log(`  DynamoDB  ${runtime.dynamoEndpoint} (dynalite, table ${runtime.tableName})`);
  console.log(`  S3        ${runtime.s3Endpoint} (s3rver, bucket ${runtime.bucketName})`);
  if (runtime.demoSeeded) console.log(`  demo      created the public model ${DEMO_MODEL}: see "Predict" in the README`);
  console.log('Press Ctrl-C to stop.');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping MLHub...`);
    runtime.stop().then(() => {
      // Table changes the stream did not deliver (dead letters, or cut off by the stop): the claim
      // stays, so that the next start takes it over as after a kill -9 and rebuilds from the table.
      const undelivered = runtime.events.undeliveredTableChanges();
      if (undelivered === 0) return claim?.release();
      console.log(`${undelivered} table change(s) were not delivered to the search indexer; the next start rebuilds the search index from the table`);
      return undefined;
    }).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`Could not stop cleanly: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
} catch (error) {
  // After an unclean stop the claim stays until a start has brought the derived views in step:
  // the next start takes it over and tries again.
  if (!claim?.uncleanStop) await claim?.release().catch(() => undefined);
  const code = (error as NodeJS.ErrnoException).code;
  // A bad setting: one line naming the variable, and the exit code of the other refused settings.
  if (error instanceof SettingError) {
    console.error(error.message);
    process.exit(2);
  }
  if (error instanceof DataDirInUseError) console.error(error.message);
  else if (code === 'EADDRINUSE') console.error(`Port ${port} on ${host} is already in use; set PORT to use another one.`);
  else if (code === 'EADDRNOTAVAIL') console.error(`Cannot listen on ${host}; set HOST to an address of this machine.`);
  else if (/\bLOCK\b/.test((error as Error)?.message ?? '')) console.error(`The data folder ${dataDir} is locked by another process (its DynamoDB files are open); stop it or set MLHUB_DATA_DIR to another folder.`);
  else console.error(redactText(`MLHub could not start: ${(error as Error)?.stack ?? String(error)}`));
  process.exit(1);
}
