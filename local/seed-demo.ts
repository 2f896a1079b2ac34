/**
 * `npm run demo`: puts the demo model into a running MLHub, through its API.
 *   npm run demo                                  the local runtime (MLHUB_URL, or PORT on 127.0.0.1), as its user `local`
 *   npm run demo -- --url <api> --token <token>   any MLHub, such as a deployed stack's ApiUrl, as the token's user
 * The token is a personal access token with `write` scope or an ID token; MLHUB_TOKEN may carry it
 * instead of --token, which keeps it out of the process list and the shell history.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_MODEL, seedDemoModel } from './demo-model';
import { LOCAL_ISSUER_DIR, openLocalIssuer } from './local-issuer';

function usage(problem: string): never {
  console.error(`demo: ${problem}\nusage: npm run demo [-- --url <MLHub base URL> --token <token>]`);
  process.exit(2);
}

let flags: { url?: string | undefined; token?: string | undefined };
try {
  ({ values: flags } = parseArgs({ options: { url: { type: 'string' }, token: { type: 'string' } }, strict: true, allowPositionals: false }));
} catch (error) {
  usage((error as Error).message);
}

const given = flags.url ?? process.env.MLHUB_URL;
const rawUrl = given || `http://127.0.0.1:${process.env.PORT || 8083}`;
let baseUrl: string;
try {
  const url = new URL(rawUrl);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)');
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') throw new Error('query, fragment or credentials');
  // The stack's ApiUrl output ends in '/'; the demo joins paths itself.
  baseUrl = url.href.replace(/\/+$/, '');
} catch {
  usage(`--url '${rawUrl}' is not an MLHub base URL such as https://abc123.execute-api.eu-west-1.amazonaws.com/`);
}

const token = flags.token ?? process.env.MLHUB_TOKEN;
if (token !== undefined && token.trim() === '') usage('--token is empty');
const dataDir = process.env.MLHUB_DATA_DIR || '.mlhub';
// Without a token the demo signs as the local runtime's user, with the key npm start keeps in its
// data folder: that exists only beside a local MLHub, and a deployed one would refuse it anyway.
if (token === undefined && !existsSync(join(dataDir, LOCAL_ISSUER_DIR))) {
  usage(`no token: give --token <token> (or MLHUB_TOKEN), a personal access token of the MLHub at ${baseUrl}; only a local MLHub started here (npm start, data in ${dataDir}) needs none`);
}
try {
  const bearer = token ?? (await (await openLocalIssuer(dataDir)).sign('local', { expiresIn: '5m' }));
  const outcome = await seedDemoModel(baseUrl, bearer);
  const model = `${baseUrl}/model/${DEMO_MODEL}`;
  const said = { created: `Published ${DEMO_MODEL} at ${model}`, completed: `Finished publishing ${DEMO_MODEL} at ${model}`, present: `${DEMO_MODEL} is already there: ${model}` };
  console.log(said[outcome]);
  console.log(`Predict: curl -X POST -H 'content-type: application/json' -d @models/demo/images/img3.json ${model}/predict`);
} catch (error) {
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  console.error(cause === 'ECONNREFUSED'
    ? `No MLHub answers at ${baseUrl}; ${given ? 'check --url' : 'start it with npm start (or give --url)'}`
    : String((error as Error).message));
  process.exit(1);
}
