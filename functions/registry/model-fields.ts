import type { ModelDocument } from '../contracts/model-contracts';
import { SCHOLARLY_KEYS, type ScholarlyMetadata } from '../contracts/scholarly-metadata';
import { invalid } from '../errors/app-error';
import { normaliseModelType, type ModelType } from './model-type';

/**
 * The fields a client may write, whether creating or updating a model. `null` clears an
 * optional text field (it reads back as `null`); `meta: null` clears meta to `{}`.
 */
export interface ModelFields extends ScholarlyMetadata {
  readonly type?: ModelType;
  readonly meta?: Record<string, unknown>;
  readonly description?: string | null;
  readonly reference?: string | null;
  readonly discipline?: string | null;
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

/**
 * Normalises a create or update body, as its contract validated it (ModelDocument), to the
 * fields MLHub stores: the type's canonical spelling, meta from either of its names.
 */
export function modelFieldsOf(doc: ModelDocument): ParsedModelDocument {
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
  const scholarly = fields as Record<string, unknown>;
  for (const key of SCHOLARLY_KEYS) if (doc[key] !== undefined) scholarly[key] = doc[key];
  return {
    ...(doc.model === undefined ? {} : { name: doc.model }),
    ...(doc.visibility === undefined ? {} : { visibility: doc.visibility }),
    clearsType: doc.type === null,
    fields,
  };
}
