/** One media range of an Accept header: `type/subtype` (or a wildcard) and its weight. */
interface MediaRange {
  readonly type: string;
  readonly q: number;
}

/** RFC 9110 §12.4.2: `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`. */
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/** A range's weight as written (`q=…`), or undefined without one. */
const weightOf = (params: readonly string[]): string | undefined => params.find((param) => param.startsWith('q='))?.slice(2);

/**
 * An Accept header without the ranges whose weight is not a qvalue, by the rule mediaRanges
 * follows, for a parser of its own (negotiator) to read the rest; empty when none is left.
 */
export function withoutInvalidWeights(accept: string): string {
  return accept.split(',').filter((part) => {
    const weight = weightOf(part.split(';').slice(1).map((item) => item.trim().toLowerCase()));
    return weight === undefined || QVALUE.test(weight);
  }).join(',');
}

/**
 * The media ranges of an Accept header. A range whose weight is not a qvalue (`q=abc`, `q=1.5`,
 * `q=0.1234`, `q=`) is dropped, as if it were not there: RFC 9110 leaves invalid weights to the
 * recipient, and guessing one (NaN as 0? 1.5 as 1?) would answer something the caller did not ask for.
 */
function mediaRanges(accept: string): MediaRange[] {
  return accept.split(',').flatMap((part) => {
    const [range, ...params] = part.split(';').map((item) => item.trim().toLowerCase());
    if (!range || !range.includes('/')) return [];
    const weight = weightOf(params);
    if (weight === undefined) return [{ type: range, q: 1 }];
    return QVALUE.test(weight) ? [{ type: range, q: Number(weight) }] : [];
  });
}

/**
 * How much an Accept header wants a media type, 0 to 1, and whether it names the type itself: the
 * weight of the most specific range that matches it (RFC 9110 §12.5.1): `type/subtype`, then
 * `type/*`, then `*\/*`. No header, or one with no valid range left (mediaRanges), accepts anything.
 */
export function acceptance(accept: string | undefined, mediaType: string): { readonly q: number; readonly named: boolean } {
  const ranges = mediaRanges(accept ?? '');
  if (ranges.length === 0) return { q: 1, named: false };
  const wanted = mediaType.toLowerCase();
  for (const candidate of [wanted, `${wanted.split('/')[0]}/*`, '*/*']) {
    const matching = ranges.filter((range) => range.type === candidate);
    if (matching.length > 0) return { q: Math.max(...matching.map((range) => range.q)), named: candidate === wanted };
  }
  return { q: 0, named: false };
}

/**
 * Whether a caller would rather have `preferred` than `fallback`: it weighs it higher, or as high
 * while naming it (`Accept: application/json, application/gzip` and `application/json, *\/*` ask
 * for JSON: ties go to the preferred type); `*\/*` or no Accept names neither, so the fallback stays.
 */
export function prefers(accept: string | undefined, preferred: string, fallback: string): boolean {
  const wanted = acceptance(accept, preferred);
  const other = acceptance(accept, fallback);
  if (wanted.q !== other.q) return wanted.q > other.q;
  return wanted.q > 0 && wanted.named;
}
