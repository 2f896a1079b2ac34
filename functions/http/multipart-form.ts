import Busboy from '@fastify/busboy';
import { invalid, type AppError } from '../errors/app-error';

/** A file field of a form, whole in memory (request bodies are bounded by the route's limit). */
export interface FormFile {
  readonly filename: string;
  readonly mimetype: string;
  readonly encoding: string;
  readonly content: Buffer;
}

/** Each field's value; a field sent more than once, or named `x[]`, holds them all in order. */
export type FormFields = Record<string, string | FormFile | (string | FormFile)[]>;

const ARRAY_FIELD = /^(.+)\[\]$/;

const malformed = (reason: string): AppError => invalid('invalid_multipart', `The request body is not valid multipart/form-data: ${reason}`);

function add(fields: FormFields, name: string, value: string | FormFile): void {
  const arrayName = ARRAY_FIELD.exec(name)?.[1];
  const key = arrayName ?? name;
  const known = fields[key];
  if (known === undefined) fields[key] = arrayName === undefined ? value : [value];
  else fields[key] = Array.isArray(known) ? [...known, value] : [known, value];
}

/**
 * Reads a multipart/form-data body. Busboy reports a body that ends inside a part as an error
 * on that part's stream as well as on the parser; every stream here has a listener, because an
 * error event nobody listens to ends the whole process (the Lambda environment, or the local
 * runtime with every request it is serving), which middy's multipart parser let happen.
 */
export function parseMultipartForm(body: Buffer, contentType: string): Promise<FormFields> {
  return new Promise((resolve, reject) => {
    const fields: FormFields = {};
    let settled = false;
    let finished = false;
    let openFiles = 0;
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      reject(malformed(reason));
    };
    const succeedWhenDone = () => {
      if (settled || !finished || openFiles > 0) return;
      settled = true;
      resolve(fields);
    };

    let parser: ReturnType<typeof Busboy>;
    try {
      parser = Busboy({ headers: { 'content-type': contentType } });
    } catch (error) {
      fail((error as Error).message);
      return;
    }
    parser.on('file', (name, stream, filename, encoding, mimetype) => {
      openFiles += 1;
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error: Error) => fail(error.message));
      stream.on('end', () => {
        openFiles -= 1;
        add(fields, name, { filename, mimetype, encoding, content: Buffer.concat(chunks) });
        succeedWhenDone();
      });
    });
    parser.on('field', (name, value: string) => add(fields, name, value));
    parser.on('error', (error: Error) => fail(error.message));
    parser.on('finish', () => {
      finished = true;
      succeedWhenDone();
    });
    parser.end(body);
  });
}
