import fc from 'fast-check';
import type { BodyForm } from './body-arbitraries';

/** What exists in the runtime when a route is fuzzed, so that generated requests can reach past the 404s. */
export interface FuzzWorld {
  /** Authorization header values of real callers: sessions and personal access tokens. */
  readonly credentials: readonly string[];
  /** Names of models that exist, each readable by some of the callers. */
  readonly names: readonly string[];
  /** Ids that exist: upload sessions and personal access tokens. */
  readonly ids: readonly string[];
}

/** Names no fixture holds: a create may succeed, once, and then collide, which keeps the table small. */
const FRESH_NAMES = ['fz-new-a', 'fz-new-b', 'FZ-NEW-A'];

const encoded = (value: string) => encodeURIComponent(value);

/** Path segments that are hard to get right: dots, encoded slashes and NULs, bad percent-encoding, lookalikes. */
const ODD_SEGMENTS = [
  '.', '..', '...', 'a.b', '.hidden', 'a..b', '%2E%2E', '%2e', 'a%2Fb', '%2F', '..%2F..%2Fetc', '%5C', 'a%00b', '%00', '%',
  '%zz', '%C0%AF', '%ED%A0%80', '%FF', '%E2%80%AE', 'a%20b', '%20', '~', 'a;b', 'a:b', 'CON', 'a+b', 'a%2Bb', '*', '$',
  'a/b', '../x', '',
];

/** A segment that names something that exists, for requests whose oddity lies elsewhere. */
export const existingSegment = (world: FuzzWorld, param: string): fc.Arbitrary<string> =>
  param === 'name' ? fc.constantFrom(...world.names) : fc.constantFrom(...world.ids, '1');

/** What may follow a route's path: mostly nothing, else a trailing slash, an extra segment, a matrix parameter. */
export const pathSuffix: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.constantFrom('/', '//', '/.', '/..', '/x', ';x=1', '%2F', '/%00', '#frag') },
);

/** A raw (already percent-encoded) path segment for `{name}`. */
export function nameSegment(world: FuzzWorld): fc.Arbitrary<string> {
  const existing = fc.constantFrom(...world.names);
  return fc.oneof(
    { weight: 20, arbitrary: existing },
    { weight: 2, arbitrary: fc.constantFrom(...FRESH_NAMES) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).map(encoded) },
    { weight: 1, arbitrary: fc.constantFrom(100, 101, 256, 1024).map((length) => 'm'.repeat(length)) },
    { weight: 3, arbitrary: fc.constantFrom(...ODD_SEGMENTS) },
    {
      weight: 2,
      arbitrary: fc.tuple(existing, fc.constantFrom('upper', 'dot', 'space', 'slash', 'nul', 'twice')).map(([name, twist]) => {
        switch (twist) {
          case 'upper': return name.toUpperCase();
          case 'dot': return `${name}.`;
          case 'space': return `${name}%20`;
          case 'slash': return `${name}%2Fdownload`;
          case 'nul': return `${name}%00`;
          default: return encoded(encoded(name));
        }
      }),
    },
  );
}

/** A raw path segment for any other parameter (`{id}`, `{n}`): ids and numbers that exist, near misses, and garbage. */
export function idSegment(world: FuzzWorld): fc.Arbitrary<string> {
  const existing = fc.constantFrom(...world.ids);
  return fc.oneof(
    { weight: 12, arbitrary: existing },
    // Numbered resources (versions): the fixtures hold version 1, later ones may exist or not.
    { weight: 6, arbitrary: fc.constantFrom('1', '2', '3') },
    { weight: 2, arbitrary: fc.constantFrom('0', '-1', '01', '1.0', '1e3', '0x1', '9007199254740993', '99999999999999999999', 'latest') },
    { weight: 1, arbitrary: existing.map((id) => id.toUpperCase()) },
    { weight: 1, arbitrary: existing.map((id) => `${id}x`) },
    { weight: 1, arbitrary: fc.constantFrom('0000000000000000', 'x'.repeat(2048), 'mlh_0000000000000000', '1', '-1') },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).map(encoded) },
    { weight: 2, arbitrary: fc.constantFrom(...ODD_SEGMENTS) },
  );
}

const QUERY_KEYS = ['version', 'limit', 'cursor', 'mine', 'parts', 'verison', 'Version', 'version[]', 'size', 'model', ''];
const QUERY_VALUES = [
  '1', '2', '0', '-1', '1.5', '1e3', '1e400', '99999999999999999999', '9007199254740993', 'NaN', 'Infinity', '0x10', ' 1', '1 ',
  '', 'true', 'yes', 'no', 'null', '1-3', '5-20', '3-1', '1-100000', '0-0', 'eyJ4IjoxfQ', 'eyJQSyI6Ik1PREVMI3gifQ==', '%', '%zz',
];

const queryPart = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...QUERY_KEYS) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
);
const queryValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...QUERY_VALUES) },
  { weight: 1, arbitrary: fc.nat().map(String) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom(300, 2000).map((length) => '9'.repeat(length)) },
);

/** A query string, `?` included when there is one: unknown and repeated keys, odd numbers, raw and encoded. */
export const queryString: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: fc.constant('') },
  {
    weight: 6,
    arbitrary: fc.array(fc.tuple(queryPart, fc.option(queryValue, { nil: undefined }), fc.boolean()), { minLength: 1, maxLength: 4 }).map((pairs) =>
      `?${pairs.map(([key, value, raw]) => {
        // Raw only where the request line can carry it: printable ASCII without space or '#'.
        const write = (text: string) => (raw && /^[!-~]*$/.test(text) && !text.includes('#') ? text : encoded(text));
        return value === undefined ? write(key) : `${write(key)}=${write(value)}`;
      }).join('&')}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('?', '??', '?&&', '?=', '?version=1&version=2', '?limit=1&limit=1000000') },
);

const JSON_TYPES = [
  'application/json', 'Application/JSON', 'application/json ; charset=utf-8', 'application/json;charset=UTF-8',
  'APPLICATION/JSON;  charset="utf-8"', 'application/json; charset=utf-16', 'application/json; charset=latin1',
  'application/vnd.api+json', 'application/json, text/plain', ' application/json', 'application/jsonx', 'text/json',
];
const BUNDLE_TYPES = ['application/octet-stream', 'application/gzip', 'Application/Octet-Stream', 'application/x-gzip; name="b.tgz"', 'application/x-tar'];
const IMAGE_TYPES = ['image/png', 'image/jpeg', 'IMAGE/PNG', 'image/jpg', 'image/png ; q=1', 'image/gif', 'image/webp'];
const OTHER_TYPES = ['text/plain', 'application/x-www-form-urlencoded', ';;;', 'a/b/c', 'multipart/mixed; boundary=b', 'application/xml', '*/*', ''];

const multipartTypes = (boundary: string) => [
  `multipart/form-data; boundary=${boundary}`, `Multipart/Form-Data; Boundary=${boundary}`, `multipart/form-data ; boundary="${boundary}"`,
  'multipart/form-data', 'multipart/form-data; boundary=other', `multipart/form-data; boundary=${boundary}; charset=utf-8`,
];

/** The plain spelling of the content type a body of the given form is sent with. */
export function plainContentType(form: BodyForm, boundary = 'fuzzboundary'): string | undefined {
  switch (form) {
    case 'json': return 'application/json';
    case 'multipart': return `multipart/form-data; boundary=${boundary}`;
    case 'image': return 'image/png';
    case 'empty': return undefined;
    default: return 'application/octet-stream';
  }
}

/** Content types for a body of the given form: mostly the fitting one in some spelling, sometimes any, sometimes none. */
export function contentType(form: BodyForm, boundary = 'fuzzboundary'): fc.Arbitrary<string | undefined> {
  const fitting = form === 'json' ? JSON_TYPES : form === 'multipart' ? multipartTypes(boundary) : form === 'bundle' ? BUNDLE_TYPES : form === 'image' ? IMAGE_TYPES : OTHER_TYPES;
  return fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...fitting) },
    { weight: 2, arbitrary: fc.constantFrom(...JSON_TYPES, ...BUNDLE_TYPES, ...IMAGE_TYPES, ...OTHER_TYPES, ...multipartTypes(boundary)) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

const IF_MATCH = ['"1"', '"2"', 'W/"1"', '1', '"abc"', '*', ' * ', '""', '"0"', '"99999999999999999999"', ' "1" ', '"1","2"', 'W/"1", "1"', '"1', ',', 'W/'];

export const ifMatch: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.constantFrom(...IF_MATCH) },
  { weight: 1, arbitrary: fc.constantFrom(50, 500).map((count) => Array.from({ length: count }, (_, i) => `"${i + 1}"`).join(', ')) },
);

/** Header values Node will put on the wire: printable Latin-1 and tabs, no line breaks. */
const headerText = (maxLength: number) => fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff })).map((code) => String.fromCharCode(code)), maxLength });

/** An Authorization header: a real caller's, one bent out of shape, garbage, or none. */
export function authorization(world: FuzzWorld): fc.Arbitrary<string | undefined> {
  const real = fc.constantFrom(...world.credentials);
  const noneJwt = `Bearer ${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sub":"olive","iss":"urn:mlhub:local-issuer","aud":"mlhub-local","token_use":"id","exp":9999999999}').toString('base64url')}.`;
  return fc.oneof(
    { weight: 14, arbitrary: real },
    { weight: 2, arbitrary: fc.constant(undefined) },
    {
      weight: 2,
      arbitrary: fc.tuple(real, fc.constantFrom('lower scheme', 'upper scheme', 'double space', 'tab', 'flipped', 'cut', 'twice')).map(([value, bend]) => {
        const token = value.slice('Bearer '.length);
        switch (bend) {
          case 'lower scheme': return `bearer ${token}`;
          case 'upper scheme': return `BEARER ${token}`;
          case 'double space': return `Bearer  ${token}`;
          case 'tab': return `Bearer\t${token}`;
          case 'flipped': return `Bearer ${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
          case 'cut': return `Bearer ${token.slice(0, Math.floor(token.length / 2))}`;
          default: return `${value}, ${value}`;
        }
      }),
    },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constantFrom('Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer a.b.c', 'Bearer mlh_', `Bearer mlh_0000000000000000_${'A'.repeat(43)}`, noneJwt, `Bearer ${'a'.repeat(6000)}`, 'Digest x'),
        headerText(200),
      ),
    },
  );
}

const EXTRA_HEADER_NAMES = [
  'accept', 'accept-encoding', 'content-encoding', 'range', 'x-forwarded-for', 'cookie', 'origin', 'if-none-match',
  'x-http-method-override', 'x-amz-security-token', 'Content-Type', 'AUTHORIZATION', 'If-Match',
];

/** Headers beyond the ones that matter, in odd case and size: up to a few KB, well inside Node's 16 KB header cap. */
export const extraHeaders: fc.Arbitrary<[string, string][]> = fc.array(
  fc.tuple(
    fc.oneof(fc.constantFrom(...EXTRA_HEADER_NAMES), fc.stringMatching(/^x-[a-z0-9-]{1,20}$/)),
    fc.oneof(
      { weight: 4, arbitrary: headerText(64) },
      { weight: 2, arbitrary: fc.constantFrom('gzip', 'identity', 'br, gzip', 'bytes=0-0', 'bytes=-1', 'bytes=5-1', '*/*', 'application/json', '') },
      { weight: 1, arbitrary: fc.constantFrom(1000, 4000).map((length) => 'h'.repeat(length)) },
    ),
  ),
  { maxLength: 3 },
);

/** How a header name is spelled on the wire: HTTP names are case-insensitive, so any spelling must do. */
export const headerSpelling = fc.constantFrom('lower', 'Title', 'UPPER').map((spelling) => (name: string) =>
  spelling === 'lower' ? name : spelling === 'UPPER' ? name.toUpperCase() : name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase()));
