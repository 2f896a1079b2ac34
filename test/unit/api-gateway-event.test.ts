import { describe, expect, it } from 'vitest';
import { toApiGatewayEvent } from '../../local/api-gateway-event';

const base = { method: 'POST', sourceIp: '127.0.0.1', localPort: 8083 };

describe('toApiGatewayEvent (payload format 2.0)', () => {
  it('keeps the raw path and query, joins repeated parameters, and lowercases headers', () => {
    const event = toApiGatewayEvent(
      { ...base, url: '/model/m%20x?limit=5&tag=a&tag=b', headers: { 'Content-Type': 'application/json', 'X-Thing': ['1', '2'] }, body: Buffer.from('{"a":1}') },
      { routeKey: 'POST /model/{name}', pathParameters: { name: 'm x' } },
      'req-1',
      new Date(Date.UTC(2020, 2, 12, 19, 3, 58)),
    );
    expect(event.rawPath).toBe('/model/m%20x');
    expect(event.rawQueryString).toBe('limit=5&tag=a&tag=b');
    expect(event.queryStringParameters).toEqual({ limit: '5', tag: 'a,b' });
    expect(event.headers['content-type']).toBe('application/json');
    expect(event.headers['x-thing']).toBe('1,2');
    expect(event.pathParameters).toEqual({ name: 'm x' });
    expect(event.body).toBe('{"a":1}');
    expect(event.isBase64Encoded).toBe(false);
    expect(event.requestContext.requestId).toBe('req-1');
    expect(event.requestContext.routeKey).toBe('POST /model/{name}');
    expect(event.requestContext.time).toBe('12/Mar/2020:19:03:58 +0000');
    expect(event.requestContext.http).toMatchObject({ method: 'POST', path: '/model/m%20x', sourceIp: '127.0.0.1' });
  });

  it('base64-encodes binary bodies and any body with a content encoding', () => {
    const gz = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff]);
    const binary = toApiGatewayEvent({ ...base, url: '/x', headers: { 'content-type': 'application/octet-stream' }, body: gz }, { routeKey: '$default' }, 'r');
    expect(binary.isBase64Encoded).toBe(true);
    expect(Buffer.from(binary.body ?? '', 'base64')).toEqual(gz);
    const encodedJson = toApiGatewayEvent({ ...base, url: '/x', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gz }, { routeKey: '$default' }, 'r');
    expect(encodedJson.isBase64Encoded).toBe(true);
  });

  it('base64-encodes a text body that is not valid UTF-8, so its bytes reach the handler as sent', () => {
    const latin1 = Buffer.from('{"d":"caf\u00e9"}', 'latin1');
    const event = toApiGatewayEvent({ ...base, url: '/x', headers: { 'content-type': 'Application/JSON' }, body: latin1 }, { routeKey: '$default' }, 'r');
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64')).toEqual(latin1);
  });

  it('splits cookies out of the headers and omits absent parts', () => {
    const event = toApiGatewayEvent({ ...base, method: 'GET', url: '/status', headers: { cookie: 'a=1; b=2' }, body: Buffer.alloc(0) }, { routeKey: 'GET /status' }, 'r');
    expect(event.cookies).toEqual(['a=1', 'b=2']);
    expect(event.headers.cookie).toBeUndefined();
    expect(event.body).toBeUndefined();
    expect(event.queryStringParameters).toBeUndefined();
    expect(event.isBase64Encoded).toBe(false);
  });
});
