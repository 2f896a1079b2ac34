import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { timingSafeEqual } from 'node:crypto';

export interface IncomingSignedRequest {
  readonly method: string;
  /** Path and query exactly as received, e.g. `/bucket/key?X-Amz-Signature=...`. */
  readonly url: string;
  /** Lowercased header names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * `signedBy` says where the signature was: in the query (a presigned URL, whose body is never
 * signed) or in the Authorization header (whose `x-amz-content-sha256` says what the body is).
 */
export type Verdict =
  | { readonly ok: true; readonly accessKeyId: string; readonly signedBy: 'query' | 'header' }
  | { readonly ok: false; readonly code: 'AccessDenied' | 'SignatureDoesNotMatch' | 'InvalidAccessKeyId' | 'AuthorizationQueryParametersError'; readonly message: string; readonly detail?: Readonly<Record<string, string>> };

/** The HTTP status S3 answers each refusal with (S3 API Reference, "Error responses"). */
export const VERDICT_STATUS: Readonly<Record<Extract<Verdict, { ok: false }>['code'], number>> = {
  AccessDenied: 403,
  SignatureDoesNotMatch: 403,
  InvalidAccessKeyId: 403,
  AuthorizationQueryParametersError: 400,
};

const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
const ALLOWED_CLOCK_SKEW_MS = 15 * 60 * 1000;

const deny = (code: Extract<Verdict, { ok: false }>['code'], message: string, detail?: Record<string, string>): Verdict => ({ ok: false, code, message, ...(detail ? { detail } : {}) });

/** SigV4 encodes the path a second time for every service but S3 (as the SDK's signers do). */
const escapesPathTwice = (scope: Scope): boolean => scope.service !== 's3';

const serviceRefusal = (scope: Scope, options: VerifyOptions): Verdict | undefined =>
  options.service !== undefined && scope.service !== options.service
    ? deny('SignatureDoesNotMatch', `Credential should be scoped to correct service: '${options.service}'.`)
    : undefined;

/**
 * S3 refuses a signed request carrying `x-amz-*` headers outside its signature, so none can be
 * added on the way (e.g. `x-amz-meta-*`, or a different `x-amz-content-sha256`).
 */
function unsignedAmzHeaders(headers: IncomingSignedRequest['headers'], signedHeaders: readonly string[]): Verdict | undefined {
  const unsigned = Object.keys(headers).filter((name) => name.startsWith('x-amz-') && !signedHeaders.includes(name));
  return unsigned.length ? deny('AccessDenied', 'There were headers present in the request which were not signed', { HeadersNotSigned: unsigned.join(', ') }) : undefined;
}

function parseAmzDate(value: string | undefined): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

function headerValue(headers: IncomingSignedRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function sameSignature(expected: string, provided: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(provided);
  return a.length === b.length && timingSafeEqual(a, b);
}

interface Scope {
  readonly accessKeyId: string;
  readonly region: string;
  readonly service: string;
}

function parseCredential(credential: string | undefined): Scope | undefined {
  const parts = (credential ?? '').split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') return undefined;
  return { accessKeyId: parts[0] as string, region: parts[2] as string, service: parts[3] as string };
}

/** What a service adds to the check of a request's signature. */
export interface VerifyOptions {
  /** The service the credential must be scoped to (`s3`, `lambda`): a signature for another service is refused. */
  readonly service?: string;
  /**
   * The SHA-256 (hex) of the body as received, for a service that reads the whole body before it
   * acts (Lambda): the signature must cover exactly that body, whether `x-amz-content-sha256` was
   * sent or not. Without it, the body is taken as `x-amz-content-sha256` says (S3, which holds the
   * body to it as it streams).
   */
  readonly payloadSha256?: string;
}

/**
 * Verifies AWS Signature Version 4 on every request to the local S3 server (which itself checks
 * only the access key) and the local Lambda endpoint: a request that is unsigned, signed with
 * another secret or for another service, altered on the way or expired fails here as it would on
 * AWS. The signature is recomputed with the SDK's own signer from the request as received. For
 * S3 the body is held to a signed `x-amz-content-sha256` separately, as it streams (see
 * s3-payload.ts); for Lambda its hash is given (VerifyOptions.payloadSha256).
 */
export class SigV4Verifier {
  constructor(private readonly secrets: ReadonlyMap<string, string>, private readonly now: () => Date = () => new Date()) {}

  /**
   * Every request must carry a valid signature, in the query or in the Authorization header: an
   * anonymous one is refused with 403 AccessDenied, as S3 refuses it on a private bucket, and so
   * is the older Signature Version 2.
   */
  async verify(request: IncomingSignedRequest, options: VerifyOptions = {}): Promise<Verdict> {
    const url = new URL(request.url, 'http://placeholder');
    const authorization = headerValue(request.headers, 'authorization');
    if (url.searchParams.has('X-Amz-Signature')) {
      if (authorization !== undefined) return deny('AccessDenied', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified');
      return this.verifyPresigned(request, url, options);
    }
    if (authorization?.startsWith('AWS4-HMAC-SHA256 ')) return this.verifyHeaderSigned(request, url, authorization, options);
    if (authorization !== undefined || url.searchParams.has('Signature')) return deny('AccessDenied', 'Only AWS Signature Version 4 (AWS4-HMAC-SHA256) is accepted');
    return deny('AccessDenied', 'Access Denied');
  }

  private async verifyPresigned(request: IncomingSignedRequest, url: URL, options: VerifyOptions): Promise<Verdict> {
    const query = url.searchParams;
    if (query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return deny('AuthorizationQueryParametersError', 'X-Amz-Algorithm must be AWS4-HMAC-SHA256');
    const scope = parseCredential(query.get('X-Amz-Credential') ?? undefined);
    const signedAt = parseAmzDate(query.get('X-Amz-Date') ?? undefined);
    const expiresIn = Number(query.get('X-Amz-Expires'));
    if (!scope || !signedAt || !Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_SECONDS) {
      return deny('AuthorizationQueryParametersError', 'The presigned URL is missing or has malformed X-Amz-* parameters');
    }
    const wrongService = serviceRefusal(scope, options);
    if (wrongService) return wrongService;
    const now = this.now().getTime();
    if (now > signedAt.getTime() + expiresIn * 1000) return deny('AccessDenied', 'Request has expired');
    if (now < signedAt.getTime() - ALLOWED_CLOCK_SKEW_MS) return deny('AccessDenied', 'Request is not yet valid');
    const secret = this.secrets.get(scope.accessKeyId);
    if (!secret) return deny('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');

    const signedHeaders = (query.get('X-Amz-SignedHeaders') ?? '').split(';').filter(Boolean);
    const extra = unsignedAmzHeaders(request.headers, signedHeaders);
    if (extra) return extra;
    const unsigned = new HttpRequest({
      method: request.method,
      protocol: 'http:',
      hostname: 'placeholder',
      path: url.pathname,
      query: Object.fromEntries([...query.entries()].filter(([name]) => name !== 'X-Amz-Signature')),
      headers: {
        ...Object.fromEntries(signedHeaders.map((name) => [name, headerValue(request.headers, name) ?? ''])),
        'x-amz-content-sha256': UNSIGNED_PAYLOAD,
      },
    });
    const signer = new SignatureV4({ service: scope.service, region: scope.region, credentials: { accessKeyId: scope.accessKeyId, secretAccessKey: secret }, sha256: Hash.bind(null, 'sha256'), uriEscapePath: escapesPathTwice(scope), applyChecksum: false });
    const presigned = await signer.presign(unsigned, {
      signingDate: signedAt,
      expiresIn,
      unsignableHeaders: new Set(['x-amz-content-sha256']),
      unhoistableHeaders: new Set(['x-amz-content-sha256', ...signedHeaders]),
    });
    const expected = String(presigned.query?.['X-Amz-Signature'] ?? '');
    return sameSignature(expected, query.get('X-Amz-Signature') ?? '')
      ? { ok: true, accessKeyId: scope.accessKeyId, signedBy: 'query' }
      : deny('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  }

  private async verifyHeaderSigned(request: IncomingSignedRequest, url: URL, authorization: string, options: VerifyOptions): Promise<Verdict> {
    const fields = Object.fromEntries(
      authorization.slice('AWS4-HMAC-SHA256 '.length).split(',').map((part) => {
        const [key, ...rest] = part.trim().split('=');
        return [key, rest.join('=')];
      }),
    ) as Record<string, string | undefined>;
    const scope = parseCredential(fields.Credential);
    const signedHeaders = (fields.SignedHeaders ?? '').split(';').filter(Boolean);
    const signedAt = parseAmzDate(headerValue(request.headers, 'x-amz-date'));
    if (!scope || !signedAt || !fields.Signature || !signedHeaders.includes('host')) {
      return deny('AccessDenied', 'The Authorization header is malformed');
    }
    const wrongService = serviceRefusal(scope, options);
    if (wrongService) return wrongService;
    if (Math.abs(this.now().getTime() - signedAt.getTime()) > ALLOWED_CLOCK_SKEW_MS) {
      return deny('AccessDenied', 'The difference between the request time and the current time is too large.');
    }
    const secret = this.secrets.get(scope.accessKeyId);
    if (!secret) return deny('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    const extra = unsignedAmzHeaders(request.headers, signedHeaders);
    if (extra) return extra;

    const query: Record<string, string | string[]> = {};
    for (const [name, value] of url.searchParams.entries()) {
      const existing = query[name];
      query[name] = existing === undefined ? value : ([] as string[]).concat(existing, value);
    }
    const toSign = new HttpRequest({
      method: request.method,
      protocol: 'http:',
      hostname: 'placeholder',
      path: url.pathname,
      query,
      headers: {
        ...Object.fromEntries(signedHeaders.map((name) => [name, headerValue(request.headers, name) ?? ''])),
        'x-amz-content-sha256': options.payloadSha256 ?? headerValue(request.headers, 'x-amz-content-sha256') ?? UNSIGNED_PAYLOAD,
      },
    });
    const signer = new SignatureV4({ service: scope.service, region: scope.region, credentials: { accessKeyId: scope.accessKeyId, secretAccessKey: secret }, sha256: Hash.bind(null, 'sha256'), uriEscapePath: escapesPathTwice(scope), applyChecksum: false });
    const signed = await signer.sign(toSign, {
      signingDate: signedAt,
      signableHeaders: new Set(signedHeaders),
      unsignableHeaders: new Set(['x-amz-content-sha256'].filter((name) => !signedHeaders.includes(name))),
    });
    const expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization ?? ''))?.[1] ?? '';
    return sameSignature(expected, fields.Signature)
      ? { ok: true, accessKeyId: scope.accessKeyId, signedBy: 'header' }
      : deny('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  }
}
