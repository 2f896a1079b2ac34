import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { BodyKind } from '../../../functions/routes/route-table';
import type { FuzzAssets, Sample } from './fuzz-assets';

/** What a body is meant to look like: the content types worth sending with it follow from this. */
export type BodyForm = 'empty' | 'json' | 'multipart' | 'bundle' | 'image' | 'bytes';

export interface FuzzBody {
  readonly form: BodyForm;
  readonly bytes: Buffer;
  /** How the body was made, for the failure report. */
  readonly label: string;
  /** The boundary a multipart body was written with. */
  readonly boundary?: string;
}

/**
 * The fields of MLHub's JSON documents, in the groups that travel together (a model record, access
 * settings, a token request, an upload request, prediction input), plus near misses. Not tied to
 * any route: generated documents draw from a group so that they get past "unknown field" and
 * reach the checks behind it.
 */
const FIELD_GROUPS = [
  ['model', 'type', 'meta', 'meta_data', 'description', 'reference', 'discipline', 'owner', 'revision', 'latest_version', 'versions', 'created'],
  ['visibility', 'grants', 'model', 'owner'],
  ['name', 'scope', 'expires_in_days'],
  ['size', 'sha256', 'filename'],
  ['input', 'inputs', 'values'],
] as const;

const FIELDS = [...new Set([...FIELD_GROUPS.flat(), 'user', 'role', 'version', 'parts', 'Type', 'visiblity', '__proto__', 'constructor', ''])];

const VALUES = [
  '"onnx"', '"ONNX"', '"tensorflow"', '"pytorch"', '"sklearn"', '"public"', '"private"', '"read"', '"write"', '"admin"',
  '"rita"', '"will"', '"olive"', '"sam"', '"bundle.tar.gz"', '"../../x"', '""', '" "', '"\\u0000"', '"\\ud800"', '"\\udfff\\ud800"',
  '[]', '{}', '[{"user":"rita","role":"read"}]', '[{"user":"will","role":"write"},{"user":"will","role":"read"}]', '{"x":[[1,2]]}',
] as const;

const NUMBERS = [
  '0', '-0', '1', '-1', '1.5', '0.1', '100', '1e3', '1E+2', '1e308', '1e309', '-1e400', '1e-400', '4.9e-324', '9007199254740991',
  '9007199254740993', '-9007199254740993', '18446744073709551616', '123456789012345678901234567890123456789012', '3.4028235e38',
  '3.4028236e38', '1e39', '-1e39', '0.000000000000000000000000000000000000000000001', '1.0000000000000000000000000000000000000001',
] as const;

const numberText = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NUMBERS) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 45n), max: 10n ** 45n }).map(String) },
);

const stringText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }).map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9a-f]{64}$/).map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.constantFrom(1025, 2048, 10_001, 70_000).map((length) => JSON.stringify('s'.repeat(length))) },
);

const keyText = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...FIELDS) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('k'.repeat(256), 'k'.repeat(2048), 'a.b', '$set', 'PK', 'SK') },
).map((key) => JSON.stringify(key));

const objectText = (entries: readonly (readonly [string, string])[]) => `{${entries.map(([key, value]) => `${key}:${value}`).join(',')}}`;

/** JSON text, written by hand so it can hold what JSON.stringify never writes: duplicate keys, huge literals. */
const { value: jsonValueText, object: jsonObjectText } = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 3, arbitrary: numberText },
    { weight: 3, arbitrary: stringText },
    { weight: 3, arbitrary: fc.constantFrom(...VALUES) },
    { weight: 1, arbitrary: fc.constantFrom('true', 'false', 'null') },
    { weight: 2, arbitrary: tie('array') },
    { weight: 2, arbitrary: tie('object') },
  ),
  array: fc.array(tie('value'), { maxLength: 5 }).map((items) => `[${items.join(',')}]`),
  object: fc.array(fc.tuple(keyText, tie('value')), { maxLength: 5 }).map(objectText),
}));

const USERS = ['"rita"', '"will"', '"sam"', '"olive"', '""', '" "', '"RITA"', JSON.stringify('u'.repeat(300)), '1', 'null'];
const ROLES = ['"read"', '"write"', '"owner"', '"READ"', '""', '1', 'null'];

const grantsText = fc.array(
  fc.tuple(fc.constantFrom(...USERS), fc.constantFrom(...ROLES), fc.boolean()).map(([user, role, extra]) => `{"user":${user},"role":${role}${extra ? ',"until":1' : ''}}`),
  { maxLength: 4 },
).map((grants) => `[${grants.join(',')}]`);

const nestedNumbers = fc.letrec<{ tensor: string }>((tie) => ({
  tensor: fc.oneof({ depthSize: 'small' }, numberText, fc.array(tie('tensor'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`)),
})).tensor;

/** Values of the kind each field holds, bent at the edges. */
const FIELD_VALUES: Readonly<Record<string, fc.Arbitrary<string>>> = {
  type: fc.constantFrom('"onnx"', '"ONNX"', '"tensorflow"', '"pytorch"', '"sklearn"', '"keras"', '"Onnx "'),
  meta: jsonObjectText,
  meta_data: jsonObjectText,
  visibility: fc.constantFrom('"public"', '"private"', '"Public"', '"unlisted"'),
  grants: grantsText,
  scope: fc.constantFrom('"read"', '"write"', '"admin"', '"Read"'),
  expires_in_days: numberText,
  size: numberText,
  revision: numberText,
  sha256: fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/).map((hex) => JSON.stringify(hex)), fc.constantFrom('"ABC"', JSON.stringify('F'.repeat(64)))),
  input: nestedNumbers,
  values: nestedNumbers,
  inputs: fc.array(fc.tuple(keyText, nestedNumbers), { maxLength: 3 }).map(objectText),
};

/** A value for a field: usually of its kind, sometimes any JSON value. */
const fieldValue = (field: string): fc.Arbitrary<string> => {
  // Own keys only: '__proto__' and 'constructor' are fields the fuzzer sends too.
  const fitting = Object.hasOwn(FIELD_VALUES, field) ? FIELD_VALUES[field] as fc.Arbitrary<string> : stringText;
  return fc.oneof({ weight: 4, arbitrary: fitting }, { weight: 1, arbitrary: jsonValueText });
};

/** An object made of one group's fields, sometimes with a stray field from elsewhere. */
const groupDocument = fc.tuple(fc.constantFrom(...FIELD_GROUPS), fc.option(fc.constantFrom(...FIELDS), { freq: 4, nil: undefined })).chain(([group, stray]) =>
  fc.subarray([...group], { minLength: 1, maxLength: Math.min(4, group.length) }).chain((fields) => {
    const chosen = stray === undefined ? fields : [...fields, stray];
    return fc.tuple(...chosen.map((field) => fieldValue(field).map((value) => [JSON.stringify(field), value] as const)));
  }).map(objectText));

/** A top-level document, usually an object made of MLHub's own field names. */
const documentText = fc.oneof(
  { weight: 8, arbitrary: groupDocument },
  { weight: 6, arbitrary: fc.array(fc.tuple(keyText, jsonValueText), { minLength: 1, maxLength: 5 }).map(objectText) },
  { weight: 1, arbitrary: fc.array(fc.tuple(keyText, jsonValueText), { minLength: 1, maxLength: 3 }).map((entries) => objectText([...entries, ...entries])) },
  { weight: 1, arbitrary: jsonValueText },
);

const nestedText = fc.tuple(fc.constantFrom(31, 32, 33, 64, 500, 5000), fc.constantFrom('array', 'object', 'meta', 'input')).map(([depth, shape]) => {
  switch (shape) {
    case 'array': return `${'['.repeat(depth)}${']'.repeat(depth)}`;
    case 'object': return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    case 'meta': return `{"type":"onnx","meta":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
    default: return `{"input":${'['.repeat(depth)}1${']'.repeat(depth)}}`;
  }
});

/** The demo model's real input with one number replaced: reaches the model, then bends one value. */
const digitText = (digitJson: string) => {
  const numbers = digitJson.slice(digitJson.indexOf('[') + 1, digitJson.lastIndexOf(']')).split(',');
  return fc.tuple(fc.nat({ max: numbers.length - 1 }), fc.oneof(numberText, fc.constantFrom('NaN', 'Infinity', '"1"', 'null', '[1]', '{}', 'true'))).map(([at, replacement]) =>
    `{"input":[${numbers.map((number, i) => (i === at ? replacement : number)).join(',')}]}`);
};

const manyNumbers = fc.constantFrom(1000, 100_000).map((count) => `{"input":[${'0.5,'.repeat(count - 1)}0.5]}`);

const INVALID_UTF8 = ['ff', 'c0af', 'eda080', 'f4908080', 'c3', 'e282', 'fe', '80'].map((hex) => Buffer.from(hex, 'hex'));

/** Byte-level damage to a JSON text: encoding errors and truncation, the cases a parser must refuse cleanly. */
const jsonBytes = (text: fc.Arbitrary<string>) => fc.tuple(text, fc.nat(), fc.constantFrom(...INVALID_UTF8), fc.oneof(
  { weight: 8, arbitrary: fc.constant('as is') },
  { weight: 1, arbitrary: fc.constant('truncated') },
  { weight: 2, arbitrary: fc.constant('invalid utf-8') },
  { weight: 1, arbitrary: fc.constant('byte order mark') },
  { weight: 1, arbitrary: fc.constant('utf-16') },
  { weight: 1, arbitrary: fc.constant('trailing garbage') },
)).map(([text, at, bad, damage]): FuzzBody => {
  const bytes = Buffer.from(text, 'utf8');
  const cut = bytes.length === 0 ? 0 : at % bytes.length;
  const label = `json, ${damage}`;
  switch (damage) {
    case 'truncated': return { form: 'json', label, bytes: bytes.subarray(0, cut) };
    case 'invalid utf-8': {
      // Inside a string literal when there is one, where a lenient decoder would turn it into U+FFFD.
      const quote = bytes.indexOf(0x22, cut);
      const inside = quote === -1 ? cut : quote + 1;
      return { form: 'json', label, bytes: Buffer.concat([bytes.subarray(0, inside), bad, bytes.subarray(inside)]) };
    }
    case 'byte order mark': return { form: 'json', label, bytes: Buffer.concat([Buffer.from('efbbbf', 'hex'), bytes]) };
    case 'utf-16': return { form: 'json', label, bytes: Buffer.from(text, 'utf16le') };
    case 'trailing garbage': return { form: 'json', label, bytes: Buffer.concat([bytes, Buffer.from('}\u0000x')]) };
    default: return { form: 'json', label, bytes };
  }
});

const randomBytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((bytes) => Buffer.from(bytes));

const pick = (samples: readonly Sample[]) => fc.constantFrom(...samples);

/** A real file, as is, cut short, with one byte flipped, or with garbage after its magic number. */
const bentSample = (samples: readonly Sample[], form: BodyForm) => fc.tuple(pick(samples), fc.nat(), randomBytes(512), fc.constantFrom('as is', 'truncated', 'flipped byte', 'garbage after magic')).map(([sample, at, garbage, bend]): FuzzBody => {
  const { bytes } = sample;
  const label = `${sample.label}, ${bend}`;
  const index = at % Math.max(bytes.length, 1);
  switch (bend) {
    case 'truncated': return { form, label, bytes: bytes.subarray(0, index) };
    case 'flipped byte': {
      const copy = Buffer.from(bytes);
      if (copy.length > 0) copy[index] = (copy[index] ?? 0) ^ 0xff;
      return { form, label, bytes: copy };
    }
    case 'garbage after magic': return { form, label, bytes: Buffer.concat([bytes.subarray(0, Math.min(8, bytes.length)), garbage]) };
    default: return { form, label, bytes };
  }
});

const gzipGarbage = fc.oneof(
  randomBytes(2048).map((bytes): FuzzBody => ({ form: 'bundle', label: 'gzip header then random bytes', bytes: Buffer.concat([Buffer.from('1f8b0800000000000003', 'hex'), bytes]) })),
  randomBytes(2048).map((bytes): FuzzBody => ({ form: 'bundle', label: 'gzip of random bytes', bytes: gzipSync(bytes) })),
);

const bundleBody = (assets: FuzzAssets) => fc.oneof({ weight: 3, arbitrary: bentSample(assets.bundles, 'bundle') }, { weight: 1, arbitrary: gzipGarbage });
const imageBody = (assets: FuzzAssets) => bentSample(assets.images, 'image');

const FIELD_NAMES = ['file', 'image', 'input', 'FILE', 'file[]', '', 'a"b'];
const FILE_NAMES = [undefined, 'bundle.tar.gz', 'digit.png', '', '../../etc/passwd', 'ü ñ.png', 'a\\b.tar.gz', 'x'.repeat(300)];
const PART_TYPES = [undefined, 'application/octet-stream', 'image/png', 'image/jpeg', 'IMAGE/PNG', 'text/plain', 'image/gif', 'application/json'];

/** multipart/form-data, well formed or not: part payloads are bundles, images or bytes. */
const multipartBody = (assets: FuzzAssets) => {
  const part = fc.record({
    field: fc.constantFrom(...FIELD_NAMES),
    filename: fc.constantFrom(...FILE_NAMES),
    type: fc.constantFrom(...PART_TYPES),
    payload: fc.oneof(bundleBody(assets), imageBody(assets), randomBytes(256).map((bytes): FuzzBody => ({ form: 'bytes', label: 'random bytes', bytes }))),
  });
  return fc.tuple(
    fc.constantFrom('fuzzboundary', '----WebKitFormBoundary7MA4YWxkTrZu0gW', 'b', 'x'.repeat(70)),
    fc.array(part, { maxLength: 3 }),
    fc.constantFrom('well formed', 'no closing boundary', 'bare newlines', 'truncated', 'preamble garbage'),
    fc.nat(),
  ).map(([boundary, parts, flaw, at]): FuzzBody => {
    const newline = flaw === 'bare newlines' ? '\n' : '\r\n';
    const chunks: Buffer[] = [];
    if (flaw === 'preamble garbage') chunks.push(Buffer.from(`garbage${newline}`));
    for (const { field, filename, type, payload } of parts) {
      const disposition = `form-data; name="${field}"${filename === undefined ? '' : `; filename="${filename}"`}`;
      chunks.push(Buffer.from(`--${boundary}${newline}Content-Disposition: ${disposition}${newline}${type ? `Content-Type: ${type}${newline}` : ''}${newline}`, 'utf8'), payload.bytes, Buffer.from(newline));
    }
    if (flaw !== 'no closing boundary') chunks.push(Buffer.from(`--${boundary}--${newline}`));
    let bytes = Buffer.concat(chunks);
    if (flaw === 'truncated') bytes = bytes.subarray(0, at % Math.max(bytes.length, 1));
    const label = `multipart (${flaw}) of ${parts.map((p) => `${p.field}: ${p.payload.label}`).join('; ') || 'no parts'}`;
    return { form: 'multipart', label, bytes, boundary };
  });
};

/** Just over the route's body limit, to check the refusal is a clean 413. */
const oversized = (limit: number) => fc.constant<FuzzBody>({ form: 'json', label: `${limit + 1} bytes, one over the limit`, bytes: Buffer.alloc(limit + 1, 0x20) });

const jsonBody = (assets: FuzzAssets) => jsonBytes(fc.oneof(
  { weight: 8, arbitrary: documentText },
  { weight: 1, arbitrary: nestedText },
  { weight: 2, arbitrary: digitText(assets.digitJson) },
  { weight: 1, arbitrary: manyNumbers },
));

/**
 * A body for a route, weighted toward the form the route reads but with every other form too:
 * a route must refuse what it does not read as cleanly as it reads what it does.
 */
export function bodyArbitrary(kind: BodyKind, limit: number, assets: FuzzAssets): fc.Arbitrary<FuzzBody> {
  const empty = fc.constant<FuzzBody>({ form: 'empty', label: 'no body', bytes: Buffer.alloc(0) });
  const bytes = randomBytes(1024).map((random): FuzzBody => ({ form: 'bytes', label: 'random bytes', bytes: random }));
  const weights: Record<BodyForm, number> = {
    empty: kind === 'none' ? 10 : 1,
    json: kind === 'json' ? 12 : kind === 'predict' ? 8 : 2,
    multipart: kind === 'bundle' || kind === 'predict' ? 4 : 1,
    bundle: kind === 'bundle' ? 10 : 1,
    image: kind === 'predict' ? 5 : 1,
    bytes: 1,
  };
  const forms: Record<BodyForm, fc.Arbitrary<FuzzBody>> = {
    empty, json: jsonBody(assets), multipart: multipartBody(assets), bundle: bundleBody(assets), image: imageBody(assets), bytes,
  };
  const choices = (Object.keys(forms) as BodyForm[]).map((form) => ({ weight: weights[form], arbitrary: forms[form] }));
  // Sending several megabytes many times would spend the time box on the loopback copy, so rarely.
  if (limit > 0) choices.push({ weight: limit > 1024 * 1024 ? 1 : 2, arbitrary: oversized(limit) });
  return fc.oneof(...choices);
}
