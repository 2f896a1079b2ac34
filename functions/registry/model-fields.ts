import * as z from 'zod/mini';
import { invalid } from '../errors/app-error';
import { normaliseModelType, type ModelType } from './model-type';

/** The fields a client may write, whether creating or updating a model. */
export interface ModelFields {
  readonly type?: ModelType;
  readonly meta?: Record<string, unknown>;
  readonly description?: string;
  readonly reference?: string;
  readonly discipline?: string;
}

/** Fields the service owns. A client that sends back a record it read may include them; they are ignored. */
const READ_ONLY_FIELDS = ['owner', 'visibility', 'created', 'updated', 'revision', 'latest_version', 'versions', 'user', 'version', 'bundle'] as const;

const text = (max: number) => z.optional(z.string({ error: 'must be a string' }).check(z.maxLength(max, `must be at most ${max} characters`)));
const metaObject = z.optional(z.record(z.string(), z.unknown(), { error: 'must be a JSON object' }));

const modelDocument = z.strictObject({
  model: z.optional(z.string({ error: 'must be a string' })),
  type: z.optional(z.string({ error: 'must be a string' })),
  meta: metaObject,
  // The original MLHub called it meta_data; both are accepted.
  meta_data: metaObject,
  description: text(10_000),
  reference: text(2_000),
  discipline: text(200),
  ...Object.fromEntries(READ_ONLY_FIELDS.map((field) => [field, z.optional(z.unknown())])),
});

const ALLOWED_FIELDS = ['model', 'type', 'meta (or meta_data)', 'description', 'reference', 'discipline'].join(', ');

function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}; allowed: ${ALLOWED_FIELDS}`;
      const where = issue.path.length > 0 ? issue.path.join('.') : 'body';
      return `${where} ${issue.message}`;
    })
    .join('; ');
}

export interface ParsedModelDocument {
  /** The `model` field, if the body named the model. */
  readonly name?: string;
  readonly fields: ModelFields;
}

/** Validates a create or update body and normalises it to the fields MLHub stores. */
export function parseModelDocument(body: unknown): ParsedModelDocument {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('invalid_body', 'The request body must be a JSON object');
  }
  const parsed = modelDocument.safeParse(body);
  if (!parsed.success) throw invalid('invalid_body', `Invalid model document: ${describeIssues(parsed.error)}`);
  const doc = parsed.data;
  if (doc.meta !== undefined && doc.meta_data !== undefined && JSON.stringify(doc.meta) !== JSON.stringify(doc.meta_data)) {
    throw invalid('invalid_body', "Send either 'meta' or 'meta_data', not two different values");
  }
  const fields: { -readonly [K in keyof ModelFields]: ModelFields[K] } = {};
  if (doc.type !== undefined) fields.type = normaliseModelType(doc.type);
  const meta = doc.meta ?? doc.meta_data;
  if (meta !== undefined) fields.meta = meta;
  if (doc.description !== undefined) fields.description = doc.description;
  if (doc.reference !== undefined) fields.reference = doc.reference;
  if (doc.discipline !== undefined) fields.discipline = doc.discipline;
  return doc.model === undefined ? { fields } : { name: doc.model, fields };
}
