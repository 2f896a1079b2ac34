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

export type Verdict =
  | { readonly ok: true; readonly accessKeyId: string }
  | { readonly ok: false; readonly code: 'AccessDenied' | 'SignatureDoesNotMatch' | 'InvalidAccessKeyId' | 'AuthorizationQueryParametersError'; readonly message: string };

const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
const ALLOWED_CLOCK_SKEW_MS = 15 * 60 * 1000;

const deny = (code: Extract<Verdict, { ok: false }>['code'], message: string): Verdict => ({ ok: false, code, message });

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

/**
 * Verifies AWS Signature Version 4 on requests to the local S3 server, which itself checks only the
 * access key. A presigned URL that was tampered with or has expired fails here as it would on AWS.
 * The signature is recomputed with the SDK's own signer from the request as received.
 */
export class SigV4Verifier {
  constructor(private readonly secrets: ReadonlyMap<string, string>, private readonly now: () => Date = () => new Date()) {}

  async verify(request: IncomingSignedRequest): Promise<Verdict | undefined> {
    const url = new URL(request.url, 'http://placeholder');
    if (url.searchParams.has('X-Amz-Signature')) return this.verifyPresigned(request, url);
    const authorization = headerValue(request.headers, 'authorization');
    if (authorization?.startsWith('AWS4-HMAC-SHA256 ')) return this.verifyHeaderSigned(request, url, authorization);
    // Anonymous or legacy requests are left to the S3 server's own rules.
    return undefined;
  }

  private async verifyPresigned(request: IncomingSignedRequest, url: URL): Promise<Verdict> {
    const query = url.searchParams;
    if (query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return deny('AuthorizationQueryParametersError', 'X-Amz-Algorithm must be AWS4-HMAC-SHA256');
    const scope = parseCredential(query.get('X-Amz-Credential') ?? undefined);
    const signedAt = parseAmzDate(query.get('X-Amz-Date') ?? undefined);
    const expiresIn = Number(query.get('X-Amz-Expires'));
    if (!scope || !signedAt || !Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_SECONDS) {
      return deny('AuthorizationQueryParametersError', 'The presigned URL is missing or has malformed X-Amz-* parameters');
    }
    const now = this.now().getTime();
    if (now > signedAt.getTime() + expiresIn * 1000) return deny('AccessDenied', 'Request has expired');
    if (now < signedAt.getTime() - ALLOWED_CLOCK_SKEW_MS) return deny('AccessDenied', 'Request is not yet valid');
    const secret = this.secrets.get(scope.accessKeyId);
    if (!secret) return deny('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');

    const signedHeaders = (query.get('X-Amz-SignedHeaders') ?? '').split(';').filter(Boolean);
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
    const signer = new SignatureV4({ service: scope.service, region: scope.region, credentials: { accessKeyId: scope.accessKeyId, secretAccessKey: secret }, sha256: Hash.bind(null, 'sha256'), uriEscapePath: false, applyChecksum: false });
    const presigned = await signer.presign(unsigned, {
      signingDate: signedAt,
      expiresIn,
      unsignableHeaders: new Set(['x-amz-content-sha256']),
      unhoistableHeaders: new Set(['x-amz-content-sha256', ...signedHeaders]),
    });
    const expected = String(presigned.query?.['X-Amz-Signature'] ?? '');
    return sameSignature(expected, query.get('X-Amz-Signature') ?? '')
      ? { ok: true, accessKeyId: scope.accessKeyId }
      : deny('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  }

  private async verifyHeaderSigned(request: IncomingSignedRequest, url: URL, authorization: string): Promise<Verdict> {
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
    if (Math.abs(this.now().getTime() - signedAt.getTime()) > ALLOWED_CLOCK_SKEW_MS) {
      return deny('AccessDenied', 'The difference between the request time and the current time is too large.');
    }
    const secret = this.secrets.get(scope.accessKeyId);
    if (!secret) return deny('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');

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
        'x-amz-content-sha256': headerValue(request.headers, 'x-amz-content-sha256') ?? UNSIGNED_PAYLOAD,
      },
    });
    const signer = new SignatureV4({ service: scope.service, region: scope.region, credentials: { accessKeyId: scope.accessKeyId, secretAccessKey: secret }, sha256: Hash.bind(null, 'sha256'), uriEscapePath: false, applyChecksum: false });
    const signed = await signer.sign(toSign, {
      signingDate: signedAt,
      signableHeaders: new Set(signedHeaders),
      unsignableHeaders: new Set(['x-amz-content-sha256'].filter((name) => !signedHeaders.includes(name))),
    });
    const expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization ?? ''))?.[1] ?? '';
    return sameSignature(expected, fields.Signature)
      ? { ok: true, accessKeyId: scope.accessKeyId }
      : deny('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  }
}
