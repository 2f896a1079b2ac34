import { describe, expect, it } from 'vitest';
import { parseMultipartForm } from '../../functions/http/multipart-form';

const form = (boundary: string, parts: string[], closing = `--${boundary}--\r\n`) =>
  Buffer.from(parts.map((part) => `--${boundary}\r\n${part}\r\n`).join('') + closing);

const filePart = (name: string, content: string, extra = '') =>
  `Content-Disposition: form-data; name="${name}"; filename="b.tar.gz"\r\n${extra}\r\n${content}`;

describe('multipart forms', () => {
  it('read files and fields, with the boundary quoted and the type in any case', async () => {
    const body = form('x y', [filePart('file', 'bytes', 'Content-Type: application/gzip\r\n'), 'Content-Disposition: form-data; name="note"\r\n\r\nhello']);
    const fields = await parseMultipartForm(body, 'Multipart/Form-Data ; Boundary="x y"');
    expect(fields.file).toEqual({ filename: 'b.tar.gz', mimetype: 'application/gzip', encoding: '7bit', content: Buffer.from('bytes') });
    expect(fields.note).toBe('hello');
  });

  it('keep every value of a repeated field', async () => {
    const fields = await parseMultipartForm(form('b', [filePart('file', '1'), filePart('file', '2'), 'Content-Disposition: form-data; name="tag[]"\r\n\r\nx']), 'multipart/form-data; boundary=b');
    expect((fields.file as { content: Buffer }[]).map((file) => file.content.toString())).toEqual(['1', '2']);
    expect(fields.tag).toEqual(['x']);
  });

  // Found by the route fuzzer: a body ending inside a file part made busboy emit an error on the
  // part's stream, which nothing listened to, and the process died.
  it.each([
    ['a file part with no closing boundary', form('b', [filePart('file', 'abc')], '')],
    ['a file part cut short', Buffer.from(`--b\r\n${filePart('image', 'abc')}`)],
    ['a part with no headers end', Buffer.from('--b\r\nContent-Disposition: form-data; name="file"; filename="x"')],
    ['no parts and no closing boundary', Buffer.from('--b\r\n')],
    ['nothing', Buffer.alloc(0)],
  ])('refuse %s with invalid_multipart, and nothing escapes', async (_case, body) => {
    await expect(parseMultipartForm(body, 'multipart/form-data; boundary=b')).rejects.toMatchObject({ code: 'invalid_multipart', kind: 'invalid' });
    // Errors busboy emits on later ticks would surface here as an unhandled error and fail the run.
    await new Promise((resolve) => setTimeout(resolve, 20));
  });

  it('refuse a multipart type without a boundary', async () => {
    await expect(parseMultipartForm(form('b', []), 'multipart/form-data')).rejects.toMatchObject({ code: 'invalid_multipart' });
  });
});
