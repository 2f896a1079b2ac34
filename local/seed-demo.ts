import { DEMO_MODEL, seedDemoModel } from './demo-model';
import { openLocalIssuer } from './local-issuer';

/** `npm run demo`: puts the demo model into a running local MLHub (MLHUB_URL, or PORT on 127.0.0.1). */
const baseUrl = process.env.MLHUB_URL || `http://127.0.0.1:${process.env.PORT || 8083}`;
const issuer = await openLocalIssuer(process.env.MLHUB_DATA_DIR || '.mlhub');
try {
  const outcome = await seedDemoModel(baseUrl, await issuer.sign('local', { expiresIn: '5m' }));
  console.log(outcome === 'created' ? `Published ${DEMO_MODEL} at ${baseUrl}/model/${DEMO_MODEL}` : `${DEMO_MODEL} is already there: ${baseUrl}/model/${DEMO_MODEL}`);
} catch (error) {
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  console.error(cause === 'ECONNREFUSED' ? `No MLHub answers at ${baseUrl}; start it with npm start (or set MLHUB_URL)` : String((error as Error).message));
  process.exit(1);
}
