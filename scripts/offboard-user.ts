import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as z from 'zod/mini';
import { requireGrantUserFits } from '../functions/access/access-settings';
import { grantUser } from '../functions/contracts/access-contracts';
import type { OffboardingTable } from '../functions/offboarding/user-offboarding';
import { readRuntimeRecord } from '../local/runtime-file';
import { LOCAL_REGION, LOCAL_TABLE } from '../local/local-resources';

/**
 * `npm run offboard -- --user <id> [--table <name> [--region <region>]] [--reinstate | --force]`
 *
 * Offboards one MLHub user (functions/offboarding/user-offboarding.ts) and prints what it did as
 * JSON: every request with the user's credentials answers 401 from then on, their personal access
 * tokens are deleted, the grants they hold on other users' models removed, and the models they
 * own listed, untouched. `--reinstate` lifts the mark instead (tokens and grants stay removed).
 *
 * The user id is taken as a grant takes it (grantUser: trimmed, up to 256 characters, no control,
 * format or line-separator characters), so every user a grant may name can be offboarded. An id
 * MLHub holds no trace of (no model, grant, token or mark) is refused, exit 2, unless `--force`:
 * it is most likely mistyped, and offboarding it would not offboard the real user.
 *
 * With `--table`, it works on that deployed table with the operator's own AWS credentials and
 * region (the SDK's usual chain: AWS_PROFILE, AWS_REGION...); it needs dynamodb:GetItem, PutItem,
 * DeleteItem and Query on the table and its byOwner index. Without it, on the local runtime that
 * serves MLHUB_DATA_DIR (default ./.mlhub), through the DynamoDB endpoint its runtime.json names.
 *
 * Exit codes: 0 done, 1 the table could not be reached or the work failed, 2 wrong arguments or no trace.
 */
const USAGE = 'usage: npm run offboard -- --user <user id> [--table <table name> [--region <region>]] [--reinstate | --force]';

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

/** An argument error: the message, then the usage line, exit 2. */
const wrongArguments = (message: string): never => fail(`${message}\n${USAGE}`);

function readArguments() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        user: { type: 'string' },
        table: { type: 'string' },
        region: { type: 'string' },
        reinstate: { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    // parseArgs says what is wrong (an unknown option, `--user` followed by another option...) in a TypeError.
    return wrongArguments((error as Error).message);
  }
}

const { values, positionals } = readArguments();
if (values.help) fail(USAGE, 0);
if (positionals.length > 0) wrongArguments(`Unexpected argument '${positionals[0]}'`);
if (values.user === undefined) wrongArguments("--user takes the user's id as GET /me shows it (a Cognito sub such as 0b5e2f8a-…)");
const parsed = z.safeParse(grantUser, values.user);
if (!parsed.success) wrongArguments(`--user ${parsed.error.issues[0]?.message ?? 'is not a user id'} (it takes the user's id as GET /me shows it and grants name it), got '${(values.user ?? '').slice(0, 60)}'`);
const user = parsed.data as string;
try {
  requireGrantUserFits(user);
} catch (error) {
  wrongArguments(`--user ${(error as Error).message}`);
}
if (values.table !== undefined && !/^[A-Za-z0-9_.-]{3,255}$/.test(values.table)) wrongArguments(`--table takes a DynamoDB table name (3-255 letters, digits, _ . -), got '${values.table.slice(0, 60)}'`);
if (values.region !== undefined && values.table === undefined) wrongArguments('--region goes with --table: the local runtime has its own');
if (values.reinstate && values.force) wrongArguments('--force goes with offboarding, not with --reinstate');

// The AWS SDK and the offboarding module load only once the arguments are right, so that a wrong
// argument is answered at once.
const { createDocumentClient } = await import('../functions/platform/aws-clients');
const { NoTraceError, offboardUser, reinstateUser } = await import('../functions/offboarding/user-offboarding');

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
    const report = await offboardUser(table, user, { force: values.force });
    console.error(`Offboarded ${user} in ${where}: ${report.tokens_revoked.length} token(s) revoked, ${report.grants_removed.length} grant(s) removed, ${report.models_owned.length} model(s) owned left untouched`);
    console.log(JSON.stringify(report, null, 2));
  }
  table.documents.destroy();
} catch (error) {
  if (error instanceof NoTraceError) fail(`${error.message}: check the id (GET /me shows it), or pass --force to offboard it ahead of its first use`);
  const name = (error as Error)?.name;
  if (name === 'ResourceNotFoundException') fail(`No table ${values.table ?? LOCAL_TABLE} there: pass the stack's TableName output (and --region, or AWS_REGION)`, 1);
  fail(`Offboarding failed: ${(error as Error)?.message ?? String(error)}`, 1);
}
