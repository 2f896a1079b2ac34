import * as z from 'zod/mini';
import { DEPLOYABLE_FRAMEWORKS } from '../frameworks/serving-path';
import { OIP_DATATYPES } from '../signatures/model-signature';

/**
 * The shapes of MLHub's answers, as registered OpenAPI components (`id`). Each mirrors the view
 * function that writes it (functions/registry/model-views.ts, functions/versions/upload-views.ts,
 * functions/tokens/token-service.ts); the integration tests hold every real answer to them.
 */

export function component<S extends z.ZodMiniType>(schema: S, id: string, description: string): S {
  z.globalRegistry.add(schema, { id, description });
  return schema;
}

export const timestamp = z.string().register(z.globalRegistry, { description: 'RFC 3339 date-time, UTC', format: 'date-time' });
export const sha256 = z.string().check(z.regex(/^[0-9a-f]{64}$/));

const author = z.strictObject({
  name: z.string(),
  name_type: z.optional(z.enum(['Personal', 'Organizational'])),
  orcid: z.optional(z.string()),
  affiliation: z.optional(z.strictObject({ name: z.string(), ror: z.optional(z.string()) })),
  role: z.string(),
});

export const tombstone = component(z.strictObject({
  model: z.string(),
  version: z.nullable(z.int()).register(z.globalRegistry, { description: 'The withdrawn version; null for a withdrawn model' }),
  title: z.nullable(z.string()),
  authors: z.array(author),
  doi: z.nullable(z.string()).register(z.globalRegistry, { description: "The version's DOI, or the model's concept DOI: it still resolves, here" }),
  doi_url: z.nullable(z.string()),
  concept_doi: z.nullable(z.string()),
  sha256: z.nullable(z.string()).register(z.globalRegistry, { description: "The withdrawn bundle's digest, as published" }),
  withdrawn: z.nullable(z.string().register(z.globalRegistry, { description: 'RFC 3339 date-time, UTC', format: 'date-time' })),
  reason: z.nullable(z.string()),
  versions: z.array(z.strictObject({ version: z.int(), doi: z.string() })).register(z.globalRegistry, { description: "A withdrawn model's versions that had DOIs; empty for a version" }),
}), 'Tombstone', 'What stays readable, by anyone, of a withdrawn version or model: the metadata it was published with, its DOIs, and when and why it was withdrawn');

export const errorBody = component(z.strictObject({
  tombstone: z.optional(tombstone),
  error: z.strictObject({
    code: z.string().register(z.globalRegistry, { description: 'A stable code from the error catalogue' }),
    message: z.string().register(z.globalRegistry, { description: 'What went wrong, naming the field at fault' }),
  }),
}), 'Error', 'Every error: a stable code and a message for people; a 410 for a withdrawn record also carries its tombstone');

const builtinRuntime = z.union([
  z.strictObject({ runnable: z.literal(true), model_file: z.nullable(z.string()) }),
  z.strictObject({ runnable: z.literal(false), reason: z.string() }),
]).register(z.globalRegistry, {
  description: "Whether predict can run the bundle in MLHub's built-in ONNX Runtime: `runnable` with the .onnx file it runs, or not with the `reason`, such as no .onnx file, or model files larger than the predict function holds, compared with its model cache size as set when the version is read (then deploy the model to a SageMaker endpoint and name it in meta.backend; predict answers 409 model_too_large). Says nothing of models served by another backend",
});

const serving = z.nullable(z.strictObject({
  path: z.enum(['builtin', 'deployable', 'remote', 'none']),
  framework: z.optional(z.enum(DEPLOYABLE_FRAMEWORKS)),
  reason: z.optional(z.string()),
  warning: z.optional(z.string()),
})).register(z.globalRegistry, {
  description: "The path this version's predictions take: `builtin` (MLHub's ONNX Runtime runs it, no deploy step), `deployable` with its `framework` (POST …/versions/{n}/deploy gives it a SageMaker endpoint running MLHub's inference script; a `warning` when its scikit-learn pickle was written by another scikit-learn than the endpoints run), `remote` (the model's meta.backend names its backend), or `none` with the `reason` nothing can serve it; null while the bundle is unchecked",
});

const tensorSpec = z.strictObject({
  name: z.string(),
  datatype: z.nullable(z.enum(OIP_DATATYPES)).register(z.globalRegistry, {
    description: "The Open Inference Protocol's tensor datatype; null for a value that is no tensor (a sequence or map) or of a type the protocol does not name (complex, bfloat16, float8), or when params.json names the tensor without its type",
  }),
  shape: z.nullable(z.array(z.union([z.int(), z.string(), z.null()]))).register(z.globalRegistry, {
    description: "One entry per dimension: its size; a symbolic name (ONNX's dim_param, such as a batch size `N`) for a size chosen per request; or null when nothing is said of it. Null when the rank is unknown",
  }),
});

export const signature = component(z.strictObject({
  source: z.enum(['onnx', 'params.json']).register(z.globalRegistry, { description: "Where it was read: the ONNX model file's graph (the file predict's built-in runtime would run), or the bundle's params.json declarations" }),
  inputs: z.array(tensorSpec).register(z.globalRegistry, { description: "What to send: the graph's inputs, less the initializers (weights) some exporters also list as inputs" }),
  outputs: z.array(tensorSpec),
}), 'Signature', "A model's inputs and outputs, by name, Open Inference Protocol datatype and shape, read once when its bundle was checked");

export const versionStatus = z.enum(['pending', 'ready', 'rejected', 'aborted', 'deleted']);

export const publication = component(z.strictObject({
  state: z.enum(['publishing', 'published', 'publish_failed', 'withdrawn']),
  doi_state: z.nullable(z.enum(['findable', 'registered'])).register(z.globalRegistry, {
    description: "The DOI's state at the registration agency, in DataCite's terms: findable once published; registered (still resolving, out of search) once a withdrawal hid it; null while the agency's answer is awaited, after a failure, or for a version withdrawn before its DOI was ever registered",
  }),
  doi: z.string().register(z.globalRegistry, { description: "The version's DOI, named when publishing began and never another" }),
  doi_url: z.string().register(z.globalRegistry, { description: 'Where the DOI resolves: https://doi.org/<doi>' }),
  concept_doi: z.string().register(z.globalRegistry, { description: "The model's concept DOI, which resolves to its newest published version" }),
  requested: timestamp,
  requested_by: z.string(),
  published: z.nullable(timestamp),
  reason: z.nullable(z.string()).register(z.globalRegistry, { description: "Why registration failed (publish_failed), in the registration agency's words; publish again to retry" }),
  withdrawn: z.nullable(timestamp),
  withdrawal_reason: z.nullable(z.string()),
}), 'Publication', "A version's publication with a DOI: publishing while the DOIs are registered, then published, or publish_failed; withdrawn once the version is deleted");

export const version = component(z.strictObject({
  version: z.int().check(z.minimum(1)),
  status: versionStatus,
  sha256: z.nullable(sha256),
  size: z.int().check(z.minimum(0)).register(z.globalRegistry, { description: 'Bytes of the .tar.gz bundle' }),
  created: timestamp,
  created_by: z.string(),
  filename: z.nullable(z.string()),
  framework: z.nullable(z.string()),
  file_count: z.nullable(z.int()),
  unpacked_bytes: z.nullable(z.int()),
  builtin_runtime: z.nullable(builtinRuntime),
  serving,
  signature: z.nullable(signature),
  signature_reason: z.nullable(z.string()).register(z.globalRegistry, {
    description: "Why a checked bundle has no signature (no ONNX model file and no declaration in params.json, an unreadable or oversized graph, or a check made before signatures were recorded); null when it has one, or is not checked yet",
  }),
  reason: z.optional(z.nullable(z.string())),
  ended: z.optional(timestamp),
  ended_by: z.optional(z.nullable(z.string())),
  publication: z.nullable(publication),
}), 'Version', 'One version of a model: its status, bytes and what the check found in them');

export const modelVersion = component(z.strictObject({ model: z.string(), ...version.def.shape }), 'ModelVersion', 'A version, with the name of its model');

export const visibility = z.enum(['private', 'public']);

export const grant = component(z.strictObject({
  user: z.string(),
  role: z.enum(['read', 'write']),
  granted: timestamp,
  granted_by: z.string(),
}), 'Grant', 'A user given a role on a model');

const summaryShape = {
  model: z.string(),
  type: z.string(),
  meta: z.record(z.string(), z.unknown()),
  description: z.nullable(z.string()),
  reference: z.nullable(z.string()),
  discipline: z.nullable(z.string()),
  title: z.nullable(z.string()),
  authors: z.array(author),
  license: z.nullable(z.string()),
  keywords: z.array(z.string()),
  task: z.nullable(z.string()),
  related_identifiers: z.array(z.strictObject({ identifier: z.string(), identifier_type: z.string(), relation_type: z.string() })),
  funding: z.array(z.strictObject({ funder_name: z.string(), funder_identifier: z.optional(z.string()), award_number: z.optional(z.string()), award_title: z.optional(z.string()) })),
  owner: z.string(),
  visibility,
  created: timestamp,
  updated: timestamp,
  revision: z.int(),
  latest_version: z.nullable(z.int()),
};

export const modelSummary = component(z.strictObject(summaryShape), 'ModelSummary', 'A model record, as listings show it');

const facetCounts = z.array(z.strictObject({ value: z.string(), count: z.int().check(z.minimum(1)) }));

export const searchHit = component(z.strictObject({
  model: z.string(),
  type: z.string().register(z.globalRegistry, { description: 'The model type its owner declared' }),
  framework: z.string().register(z.globalRegistry, { description: 'The framework the framework filter and facet go by: detected in the newest ready version\'s bundle (ONNX when the built-in runtime runs it, else the deployable framework), or the declared type when none is' }),
  title: z.nullable(z.string()),
  authors: z.array(z.strictObject({ name: z.string(), orcid: z.optional(z.string()) })),
  description: z.nullable(z.string()),
  keywords: z.array(z.string()),
  license: z.nullable(z.string()),
  task: z.nullable(z.string()),
  discipline: z.nullable(z.string()),
  owner: z.string(),
  visibility,
  created: timestamp,
  updated: timestamp,
  latest_version: z.nullable(z.int()),
  doi: z.nullable(z.string()).register(z.globalRegistry, { description: 'The DOI of the newest published version' }),
  concept_doi: z.nullable(z.string()).register(z.globalRegistry, { description: "The model's concept DOI, once a version is published" }),
  published: z.boolean().register(z.globalRegistry, { description: 'A version of it is published' }),
  downloads: z.int().check(z.minimum(0)).register(z.globalRegistry, { description: 'Bundle downloads served, all versions' }),
  predictions: z.int().check(z.minimum(0)).register(z.globalRegistry, { description: 'Successful predictions, all versions' }),
  score: z.optional(z.number()).register(z.globalRegistry, { description: 'Relevance to q, higher first (only with q)' }),
  highlights: z.optional(z.record(z.string(), z.string())).register(z.globalRegistry, {
    description: 'Only with q: for each field q matched (name, title, keywords, authors, discipline, description), its text with each match wrapped in <mark>…</mark>, the rest HTML-escaped',
  }),
}), 'SearchHit', "A model found by a search: its summary without meta (GET /model/{name} has the whole record), its DOIs, usage counters and, with q, its score and highlights");

export const searchResult = component(z.strictObject({
  hits: z.array(searchHit),
  total: z.int().check(z.minimum(0)).register(z.globalRegistry, { description: 'Models matching the search that the caller may see, all pages' }),
  facets: z.strictObject({
    author: facetCounts, owner: facetCounts, framework: facetCounts, task: facetCounts, license: facetCounts, keyword: facetCounts, discipline: facetCounts,
  }).register(z.globalRegistry, { description: 'Per filter field, its values over the whole result (not the page) and how many models have each, most frequent first, at most 20' }),
  next_cursor: z.nullable(z.string()).register(z.globalRegistry, { description: 'The cursor of the next page, or null on the last' }),
}), 'SearchResult', 'One page of a search over the models the caller may see, with the total and facet counts of the whole result');

export const model = component(z.strictObject({
  ...summaryShape,
  grants: z.optional(z.array(grant)),
  versions: z.array(version),
  doi: z.nullable(z.string()).register(z.globalRegistry, { description: 'The DOI of the newest published version' }),
  concept_doi: z.nullable(z.string()).register(z.globalRegistry, { description: "The model's concept DOI, once a version is published" }),
}), 'Model', 'A model record with its versions; grants only for its owner and writers');

export const access = component(z.strictObject({
  model: z.string(),
  owner: z.string(),
  visibility,
  grants: z.array(grant),
}), 'Access', "A model's privacy settings");

const uploadSessionShape = {
  upload_id: z.string(),
  model: z.string(),
  version: z.int(),
  state: z.enum(['open', 'completed', 'aborted']),
  size: z.int(),
  sha256: z.nullable(sha256),
  filename: z.nullable(z.string()),
  mode: z.enum(['single', 'multipart']),
  part_size: z.int(),
  part_count: z.int(),
  created: timestamp,
  created_by: z.string(),
  expires: timestamp,
  status_url: z.string(),
  complete_url: z.string(),
};

export const uploadSession = component(z.strictObject(uploadSessionShape), 'UploadSession', 'An upload session: where the bytes go and until when');

/** What every upload's status shows of its transfer (functions/uploads/upload-transfer.ts transferView): the parts S3 holds, and URLs for the next ones. */
export const transferPartsShape = {
  received: z.array(z.strictObject({ part: z.int(), size: z.int(), etag: z.nullable(z.string()) })),
  urls: z.array(z.strictObject({
    part: z.int(),
    size: z.int().register(z.globalRegistry, { description: 'The exact bytes this URL takes' }),
    method: z.literal('PUT'),
    url: z.string(),
    headers: z.record(z.string(), z.string()).register(z.globalRegistry, { description: 'Headers the PUT must carry, as signed into the URL' }),
  })),
};

export const uploadStatus = component(z.strictObject({
  ...uploadSessionShape,
  ...transferPartsShape,
}), 'UploadStatus', 'An upload session, the parts received so far, and presigned URLs for parts still to send');

export const token = component(z.strictObject({
  id: z.string(),
  name: z.string(),
  scope: z.enum(['read', 'write']),
  created: timestamp,
  expires: timestamp,
}), 'AccessToken', 'A personal access token, never with its secret');

export const prediction = component(z.strictObject({
  model: z.string(),
  version: z.int(),
  predictions: z.array(z.strictObject({
    output: z.optional(z.unknown()),
    outputs: z.optional(z.record(z.string(), z.unknown())),
    label: z.optional(z.string()),
    probability: z.optional(z.number()),
  })),
}), 'Prediction', 'One prediction per input row: `output` (one output) or `outputs` by name, and the top label with its probability when the model has labels');
