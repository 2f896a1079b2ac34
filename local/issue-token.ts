import { parseArgs } from 'node:util';
import { openLocalIssuer } from './local-issuer';

/**
 * `npm run token -- <user> [--expires 12h]`: prints a sign-in token for the local runtime, signed
 * with the key in the data folder (MLHUB_DATA_DIR, default ./.mlhub).
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { expires: { type: 'string', default: '12h' }, help: { type: 'boolean', short: 'h' } },
});
const user = positionals[0];
if (values.help || !user || positionals.length > 1) {
  console.error('usage: npm run token -- <user> [--expires 12h]');
  process.exit(values.help ? 0 : 2);
}
if (!/^\d+[smhd]$/.test(values.expires)) {
  console.error(`--expires takes a duration such as 30m, 12h or 7d, got '${values.expires}'`);
  process.exit(2);
}
const issuer = await openLocalIssuer(process.env.MLHUB_DATA_DIR || '.mlhub');
console.log(await issuer.sign(user, { expiresIn: values.expires }));
