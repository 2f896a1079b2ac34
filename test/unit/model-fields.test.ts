import { describe, expect, it } from 'vitest';
import { modelDocument } from '../../functions/contracts/model-contracts';
import { parseRequestPart } from '../../functions/contracts/request-errors';
import { modelFieldsOf } from '../../functions/registry/model-fields';
import type { ModelRecord } from '../../functions/registry/model-records';
import { modelView } from '../../functions/registry/model-views';

/** A create or update body as the route reads it: validated by its contract, then normalised. */
const parseModelDocument = (body: unknown) => modelFieldsOf(parseRequestPart('body', modelDocument, body));

describe('the model document: its contract, then modelFieldsOf', () => {
  it('reads the seed body', () => {
    expect(parseModelDocument({ model: 'mnist', type: 'TensorFlow', meta: {} })).toEqual({ name: 'mnist', clearsType: false, fields: { type: 'TensorFlow', meta: {} } });
  });

  it("accepts the original MLHub's meta_data, description, reference and discipline", () => {
    const parsed = parseModelDocument({ type: 'sklearn', meta_data: { k: 1 }, description: 'd', reference: 'doi:10.1/x', discipline: 'HEP' });
    expect(parsed.fields).toEqual({ type: 'ScikitLearn', meta: { k: 1 }, description: 'd', reference: 'doi:10.1/x', discipline: 'HEP' });
  });

  it('trims discipline as it trims keywords, and refuses one of spaces only (review 13c F2)', () => {
    expect(parseModelDocument({ type: 'onnx', discipline: '  High-energy physics  ' }).fields.discipline).toBe('High-energy physics');
    expect(() => parseModelDocument({ type: 'onnx', discipline: '   ' })).toThrow(/discipline.*must not be empty/);
    expect(parseModelDocument({ type: 'onnx', discipline: null }).fields.discipline).toBeNull();
  });

  it('rejects meta and meta_data that disagree', () => {
    expect(() => parseModelDocument({ meta: { a: 1 }, meta_data: { a: 2 } })).toThrow(/either 'meta' or 'meta_data'/);
  });

  it('names unknown fields and lists the allowed ones', () => {
    expect(() => parseModelDocument({ type: 'onnx', colour: 'red' })).toThrow(/unknown field\(s\) 'colour'; allowed: model, type/);
  });

  it('ignores the read-only fields of a record sent back', () => {
    expect(parseModelDocument({ type: 'onnx', owner: 'x', versions: [], revision: 3 }).fields).toEqual({ type: 'ONNX' });
  });

  it('ignores grants and every other field of a GET answer; reads visibility for the caller to decide', () => {
    const sentBack = {
      model: 'm', type: 'ONNX', meta: { k: 1 }, description: null, reference: null, discipline: null, owner: 'a', visibility: 'private',
      created: 't', updated: 't', revision: 2, latest_version: null, grants: [{ user: 'b', role: 'read' }], versions: [],
    };
    expect(parseModelDocument(sentBack)).toEqual({
      name: 'm', visibility: 'private', clearsType: false, fields: { type: 'ONNX', meta: { k: 1 }, description: null, reference: null, discipline: null },
    });
  });

  it('accepts every field modelView shows, so any GET answer can be sent back', () => {
    const record = {
      name: 'm', type: 'ONNX', meta: { k: 1 }, owner: 'olive', visibility: 'public', createdAt: 't', updatedAt: 't', revision: 3,
      versionCounter: 0, state: 'active',
    } as unknown as ModelRecord;
    const view = modelView(record, [], { level: 'owner', grants: [{ user: 'rita', role: 'read', grantedAt: 't', grantedBy: 'olive' }] });
    expect(Object.keys(view)).toEqual(expect.arrayContaining(['grants', 'versions', 'latest_version']));
    // The scholarly fields come back as the view shows them: empty, and written as empty.
    expect(parseModelDocument(JSON.parse(JSON.stringify(view))).fields).toEqual({
      type: 'ONNX', meta: { k: 1 }, description: null, reference: null, discipline: null,
      title: null, authors: [], license: null, keywords: [], task: null, related_identifiers: [], funding: [],
    });
  });

  it('reads null as clearing: meta to {}, text fields to null, and flags a cleared type', () => {
    expect(parseModelDocument({ meta: null, description: null }).fields).toEqual({ meta: {}, description: null });
    expect(parseModelDocument({ meta_data: null }).fields).toEqual({ meta: {} });
    expect(parseModelDocument({ type: null }).clearsType).toBe(true);
    expect(() => parseModelDocument({ visibility: 'secret' })).toThrow(/visibility must be 'private' or 'public'/);
  });

  it.each([
    ['an array', []],
    ['a string', 'mnist'],
    ['null', null],
  ])('rejects %s as the body', (_label, body) => {
    expect(() => parseModelDocument(body)).toThrow(/must be a JSON object/);
  });

  it('says which field has the wrong type', () => {
    expect(() => parseModelDocument({ meta: [1, 2] })).toThrow(/meta must be a JSON object/);
    expect(() => parseModelDocument({ type: 5 })).toThrow(/type must be a string/);
  });
});
