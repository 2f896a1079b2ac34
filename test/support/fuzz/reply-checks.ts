import type { RawReply } from './raw-http';

/**
 * What is wrong with an answer, whatever was asked: never a 5xx, and every 4xx in MLHub's error
 * shape `{"error":{"code","message"}}` (a HEAD answer has no body to check). Empty when nothing is.
 */
export function replyProblems(method: string, reply: RawReply): string[] {
  const text = reply.body.toString('utf8');
  if (reply.status >= 500 || reply.status < 100) return [`answered ${reply.status}: ${text.slice(0, 600)}`];
  if (reply.status < 400 || method === 'HEAD') return [];
  const problems: string[] = [];
  if (!/^application\/json\b/i.test(String(reply.headers['content-type'] ?? ''))) problems.push(`answered ${reply.status} with content-type '${reply.headers['content-type']}'`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [...problems, `answered ${reply.status} with a body that is not JSON: ${text.slice(0, 300)}`];
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const shaped = typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).join() === 'error'
    && typeof error?.code === 'string' && error.code !== '' && typeof error.message === 'string' && error.message !== '';
  if (!shaped) problems.push(`answered ${reply.status} with a body not shaped {"error":{"code","message"}}: ${text.slice(0, 300)}`);
  return problems;
}
