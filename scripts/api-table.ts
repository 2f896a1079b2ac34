import { fileURLToPath } from 'node:url';
import { ROUTES, type RouteSpec } from '../functions/routes/route-table';
import { formatBytes } from '../functions/http/body-limit';

const AUTH_LABEL: Record<RouteSpec['auth'], string> = { none: 'anyone', optional: 'anyone (sees what they may)', required: 'signed in (session or token)', session: 'signed in (session only)' };

/** The README's API table, made from the route table so the two cannot disagree. */
export function apiTableMarkdown(): string {
  const rows = ROUTES.map((route) =>
    `| \`${route.method}\` | \`${route.path}\` | ${route.summary} | ${AUTH_LABEL[route.auth]} | ${route.bodyLimit === 0 ? '–' : formatBytes(route.bodyLimit)} |`);
  return ['| Method | Path | What it does | Who | Body limit |', '|---|---|---|---|---|', ...rows].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(apiTableMarkdown());
