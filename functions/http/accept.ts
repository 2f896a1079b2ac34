/** One media range of an Accept header: `type/subtype` (or a wildcard) and its weight. */
interface MediaRange {
  readonly type: string;
  readonly q: number;
}

function mediaRanges(accept: string): MediaRange[] {
  return accept.split(',').flatMap((part) => {
    const [range, ...params] = part.split(';').map((item) => item.trim().toLowerCase());
    if (!range || !range.includes('/')) return [];
    const weight = params.find((param) => param.startsWith('q='));
    const q = weight === undefined ? 1 : Number(weight.slice(2));
    return Number.isFinite(q) && q >= 0 && q <= 1 ? [{ type: range, q }] : [];
  });
}

/**
 * How much an Accept header wants a media type, 0 to 1, and whether it names the type itself: the
 * weight of the most specific range that matches it (RFC 9110 §12.5.1): `type/subtype`, then
 * `type/*`, then `*\/*`. No header accepts anything.
 */
export function acceptance(accept: string | undefined, mediaType: string): { readonly q: number; readonly named: boolean } {
  if (accept === undefined || accept.trim() === '') return { q: 1, named: false };
  const ranges = mediaRanges(accept);
  const wanted = mediaType.toLowerCase();
  for (const candidate of [wanted, `${wanted.split('/')[0]}/*`, '*/*']) {
    const matching = ranges.filter((range) => range.type === candidate);
    if (matching.length > 0) return { q: Math.max(...matching.map((range) => range.q)), named: candidate === wanted };
  }
  return { q: 0, named: false };
}

/**
 * Whether a caller would rather have `preferred` than `fallback`: it weighs it higher, or as high
 * while naming it and not the other (`Accept: application/json, *\/*` asks for JSON; `*\/*` for
 * neither, so the fallback stays).
 */
export function prefers(accept: string | undefined, preferred: string, fallback: string): boolean {
  const wanted = acceptance(accept, preferred);
  const other = acceptance(accept, fallback);
  if (wanted.q !== other.q) return wanted.q > other.q;
  return wanted.q > 0 && wanted.named && !other.named;
}
