import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageInput } from '../../../functions/inference/predict-input';
import { encodeJpeg, encodePng, patternImage } from '../../support/inference/images';
import { startProtocolServer, type ProtocolServer, type ReceivedRequest, type Reply } from '../../support/inference/protocol-server';
import { jsonBody, remoteFixture, type RemoteFixture } from '../../support/inference/remote-models';

/**
 * A TorchServe stand-in: `POST /predictions/{model}[/{version}]`. For an image it answers as the
 * stock image classifier does, a `{class: probability}` map of the top classes (here derived
 * from the image's size, so the test can check the bytes arrived whole); for a JSON row it
 * answers what a simple regression handler would, the row doubled.
 */
function torchserve(request: ReceivedRequest): Reply {
  const type = request.headers['content-type'] ?? '';
  if (type.startsWith('image/')) {
    const share = (request.body.length % 50) / 100;
    return { json: { tabby: 0.5 + share, tiger_cat: 0.45 - share, lynx: 0.05 } };
  }
  const row = jsonBody(request.body) as number[];
  return { json: row.map((value) => value * 2) };
}

describe('TorchServe adapter', () => {
  let server: ProtocolServer;
  let fixture: RemoteFixture;

  beforeAll(async () => {
    server = await startProtocolServer(torchserve);
    fixture = await remoteFixture();
  });

  afterAll(async () => {
    await server.close();
    await fixture.remove();
  });

  it('posts an image\'s own bytes, as curl -T does, and reads the classifier\'s top label', async () => {
    for (const [bytes, type] of [[encodePng(patternImage(9, 7, 3)), 'image/png'], [encodeJpeg(patternImage(9, 7, 3)), 'image/jpeg']] as const) {
      const result = await fixture.predict({ kind: 'torchserve', url: server.url, model: 'densenet161' }, parseImageInput(bytes, type, fixture.config.limits), 'PyTorch');
      const request = server.requests[server.requests.length - 1]!;
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/predictions/densenet161');
      expect(request.headers['content-type']).toBe(type);
      expect(request.body.equals(bytes)).toBe(true);
      const share = (bytes.length % 50) / 100;
      expect(result.predictions).toEqual([{ output: { tabby: 0.5 + share, tiger_cat: 0.45 - share, lynx: 0.05 }, label: 'tabby', probability: 0.5 + share }]);
    }
  });

  it('sends each row of a batch as its own JSON request to the pinned version, keeping the order', async () => {
    const before = server.requests.length;
    const rows = [[1, 2], [3, 4], [5, 6]];
    const result = await fixture.predict({ kind: 'torchserve', url: server.url, model: 'regressor', version: '2.0' }, fixture.json({ input: rows }), 'PyTorch');
    const sent = server.requests.slice(before);
    expect(sent).toHaveLength(3);
    sent.forEach((request) => {
      expect(request.path).toBe('/predictions/regressor/2.0');
      expect(request.headers['content-type']).toBe('application/json');
    });
    expect(sent.map((request) => jsonBody(request.body)).sort()).toEqual(rows);
    expect(result.predictions).toEqual(rows.map((row) => ({ output: row.map((value) => value * 2) })));
  });
});
