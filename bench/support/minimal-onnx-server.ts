/**
 * The baseline for `npm run bench:predict`: the least an HTTP server can do to serve the same
 * ONNX model. It parses {"input": [...]}, runs one shared session, and answers the outputs.
 * Usage: tsx bench/support/minimal-onnx-server.ts <model.onnx>; prints its URL.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import ort from 'onnxruntime-node';

const modelPath = process.argv[2];
if (!modelPath) throw new Error('usage: minimal-onnx-server <model.onnx>');
const session = await ort.InferenceSession.create(modelPath);
const inputName = session.inputNames[0] as string;
const outputName = session.outputNames[0] as string;

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const { input } = JSON.parse(Buffer.concat(chunks).toString()) as { input: number[] };
    const tensor = new ort.Tensor('float32', Float32Array.from(input), [1, 1, 28, 28]);
    session.run({ [inputName]: tensor }).then((results) => {
      const body = JSON.stringify({ predictions: [{ output: Array.from(results[outputName]?.data as Float32Array) }] });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(body);
    }, (error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
