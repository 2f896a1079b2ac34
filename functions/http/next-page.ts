/**
 * The headers of one page of a plain listing (RFC 8288 web linking): `Link: <…>; rel="next"`, the
 * next page's URL as the caller reached this one (origin from Host and X-Forwarded-Proto), and
 * `x-next-cursor`, the bare cursor; none on the last page. Never cached: listings change.
 */
export function pageHeaders(request: { readonly headers: Readonly<Record<string, string | undefined>>; readonly path: string }, limit: number, nextCursor: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  if (nextCursor === undefined) return headers;
  const origin = `${request.headers['x-forwarded-proto'] ?? 'https'}://${request.headers.host ?? 'localhost'}`;
  headers.link = `<${origin}${request.path}?${new URLSearchParams({ limit: String(limit), cursor: nextCursor }).toString()}>; rel="next"`;
  headers['x-next-cursor'] = nextCursor;
  return headers;
}
