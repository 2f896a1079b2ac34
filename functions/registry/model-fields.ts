import * as z from 'zod/mini';
import { invalid } from '../errors/app-error';
import { normaliseModelType, type ModelType } from './model-type';

/**
 * The fields a client may write, whether creating or updating a model. `null` clears an
 * optional text field (it reads back as `null`); `meta: null` clears meta to `{}`.
 */
export interface ModelFields {
  readonly type?: ModelType;
  readonly meta?: Record<string, unknown>;
  readonly description?: string | null;
  readonly reference?: string | null;
  readonly discipline?: string | null;
}

/**
 * Fields the service owns. A client that sends back a record it read (`GET /model/{name}`) may
 * include them; they are ignored. `visibility` is not among them: see ParsedModelDocument.
 */
const READ_ONLY_FIELDS = ['owner', 'created', 'updated', 'revision', 'latest_version', 'versions', 'grants', 'user', 'version', 'bundle'] as const;

const text = (max: number) => z.optional(z.nullable(z.string({ error: 'must be a string or null' }).check(z.maxLength(max, `must be at most ${max} characters`))));
const metaObject = z.optional(z.nullable(z.record(z.string(), z.unknown(), { error: 'must be a JSON object or null' })));

const modelDocument = z.strictObject({
  model: z.optional(z.string({ error: 'must be a string' })),
  type: z.optional(z.nullable(z.string({ error: 'must be a string' }))),
  meta: metaObject,
  // The original MLHub called it meta_data; both are accepted.
  meta_data: metaObject,
  description: text(10_000),
  reference: text(2_000),
  discipline: text(200),
  visibility: z.optional(z.enum(['private', 'public'], { error: "must be 'private' or 'public'" })),
  ...Object.fromEntries(READ_ONLY_FIELDS.map((field) => [field, z.optional(z.unknown())])),
});

const ALLOWED_FIELDS = ['model', 'type', 'meta (or meta_data)', 'description', 'reference', 'discipline', 'visibility'].join(', ');

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
  /**
   * The visibility the body asks for, if any. Creating applies it; an update applies nothing
   * here and refuses a change (sharing settings live at `/model/{name}/access`).
   */
  readonly visibility?: 'private' | 'public';
  /** `type: null` was sent: the type is required and cannot be cleared. */
  readonly clearsType: boolean;
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
  if (doc.type !== undefined && doc.type !== null) fields.type = normaliseModelType(doc.type);
  const meta = doc.meta !== undefined ? doc.meta : doc.meta_data;
  if (meta !== undefined) fields.meta = meta ?? {};
  if (doc.description !== undefined) fields.description = doc.description;
  if (doc.reference !== undefined) fields.reference = doc.reference;
  if (doc.discipline !== undefined) fields.discipline = doc.discipline;
  return {
    ...(doc.model === undefined ? {} : { name: doc.model }),
    ...(doc.visibility === undefined ? {} : { visibility: doc.visibility }),
    clearsType: doc.type === null,
    fields,
  };
}
