import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { offboardUser, reinstateUser, type OffboardingTable } from '../functions/offboarding/user-offboarding';
import { createDocumentClient } from '../functions/platform/aws-clients';
import { readRuntimeRecord } from '../local/runtime-file';
import { LOCAL_REGION, LOCAL_TABLE } from '../local/runtime';

/**
 * `npm run offboard -- --user <id> [--table <name> [--region <region>]] [--reinstate]`
 *
 * Offboards one MLHub user (functions/offboarding/user-offboarding.ts) and prints what it did as
 * JSON: every request with the user's credentials answers 401 from then on, their personal access
 * tokens are deleted, the grants they hold on other users' models removed, and the models they
 * own listed, untouched. `--reinstate` lifts the mark instead (tokens and grants stay removed).
 *
 * With `--table`, it works on that deployed table with the operator's own AWS credentials and
 * region (the SDK's usual chain: AWS_PROFILE, AWS_REGION...); it needs dynamodb:GetItem, PutItem,
 * DeleteItem and Query on the table and its byOwner index. Without it, on the local runtime that
 * serves MLHUB_DATA_DIR (default ./.mlhub), through the DynamoDB endpoint its runtime.json names.
 */
const USAGE = 'usage: npm run offboard -- --user <user id> [--table <table name> [--region <region>]] [--reinstate]';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    user: { type: 'string' },
    table: { type: 'string' },
    region: { type: 'string' },
    reinstate: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

if (values.help) fail(USAGE, 0);
if (positionals.length > 0) fail(`Unexpected argument '${positionals[0]}'\n${USAGE}`);
const user = values.user ?? '';
// The user id as tokens, grants and `GET /me` hold it: a Cognito sub, an ORCID iD, the local issuer's name.
if (user === '' || user.length > 1024 || /[\p{Cc}\s]/u.test(user)) fail(`--user takes the user's id as GET /me shows it (a Cognito sub such as 0b5e2f8a-…), got '${user.slice(0, 60)}'\n${USAGE}`);
if (values.table !== undefined && !/^[A-Za-z0-9_.-]{3,255}$/.test(values.table)) fail(`--table takes a DynamoDB table name (3-255 letters, digits, _ . -), got '${values.table.slice(0, 60)}'`);
if (values.region !== undefined && values.table === undefined) fail('--region goes with --table: the local runtime has its own');

async function openTable(): Promise<{ table: OffboardingTable; where: string }> {
  if (values.table !== undefined) {
    const documents = createDocumentClient(values.region ? { region: values.region } : {});
    return { table: { documents, tableName: values.table }, where: `table ${values.table}` };
  }
  const dataDir = resolve(process.env.MLHUB_DATA_DIR || '.mlhub');
  const runtime = await readRuntimeRecord(dataDir);
  if (!runtime?.dynamoEndpoint) fail(`No local MLHub is running on ${dataDir}: start it with npm start (or set MLHUB_DATA_DIR), or pass --table <name> to offboard in a deployed stack`, 1);
  // dynalite checks no signature; the SDK still wants some credentials to sign with.
  const documents = createDocumentClient({ endpoint: runtime.dynamoEndpoint, region: LOCAL_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  return { table: { documents, tableName: LOCAL_TABLE }, where: `the local runtime at ${runtime.url ?? dataDir}` };
}

try {
  const { table, where } = await openTable();
  if (values.reinstate) {
    const lifted = await reinstateUser(table, user);
    console.error(lifted ? `Reinstated ${user} in ${where}: they may sign in and create tokens again` : `${user} was not offboarded in ${where}; nothing to do`);
    console.log(JSON.stringify({ user, reinstated: lifted }, null, 2));
  } else {
    const report = await offboardUser(table, user);
    console.error(`Offboarded ${user} in ${where}: ${report.tokens_revoked.length} token(s) revoked, ${report.grants_removed.length} grant(s) removed, ${report.models_owned.length} model(s) owned left untouched`);
    console.log(JSON.stringify(report, null, 2));
  }
  table.documents.destroy();
} catch (error) {
  const name = (error as Error)?.name;
  if (name === 'ResourceNotFoundException') fail(`No table ${values.table ?? LOCAL_TABLE} there: pass the stack's TableName output (and --region, or AWS_REGION)`, 1);
  fail(`Offboarding failed: ${(error as Error)?.message ?? String(error)}`, 1);
}
