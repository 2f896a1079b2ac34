import { ROUTES } from '../routes/route-table';
import type { EventTrigger, FunctionTrigger } from './function-triggers';

/** Layers a function may need at run time, by name; the stack owns the layer versions. */
export type FunctionLayer = 'onnx-runtime';

/** A function run by an event rather than an HTTP request, as the catalogue writes it under its id. */
export interface CatalogueFunctionDefinition {
  /** Module under `functions/handlers/` exporting `handler`. */
  readonly handler: string;
  readonly trigger: EventTrigger;
  readonly memoryMb: number;
  /** Lambda's limit is 900. */
  readonly timeoutSeconds: number;
  readonly summary: string;
  /** None by default. */
  readonly layers?: readonly FunctionLayer[];
  /** Checks bundles' contents, so is told the bundle limits (lib/functions/catalogue-functions.ts). */
  readonly checksBundles?: boolean;
}

/** A catalogue function with its id, which names its Lambda function and its access (lib/access/event-access.ts). */
export interface CatalogueFunction extends CatalogueFunctionDefinition {
  readonly id: string;
}

/**
 * Every Lambda function that is not behind an HTTP route, by id, with what invokes it (the
 * HTTP routes are in functions/routes/route-table.ts; `everyFunction` lists both). The CDK stack
 * builds each with its trigger, access, environment and layers from this; the local runtime's
 * event dispatcher delivers each its events. Keyed so that a function id is a type
 * (CatalogueFunctionId): the tables kept per function elsewhere (its IAM, its local interval) are
 * records over it and fail to compile when one lacks an entry.
 */
export const FUNCTION_DEFINITIONS = {
  finalizeUpload: {
    handler: 'finalize-upload',
    trigger: { kind: 's3', bucket: 'bundle-bucket', events: ['s3:ObjectCreated:*'], prefix: 'models/', suffix: '/bundle.tar.gz' },
    memoryMb: 2048, timeoutSeconds: 900, checksBundles: true,
    summary: 'Checks each bundle a presigned upload stored, and makes its version ready or rejected',
  },
  finalizeDataset: {
    handler: 'finalize-dataset',
    trigger: { kind: 's3', bucket: 'bundle-bucket', events: ['s3:ObjectCreated:*'], prefix: 'datasets/', suffix: '/data' },
    memoryMb: 2048, timeoutSeconds: 900,
    summary: 'Inspects each dataset a presigned upload stored (schema, row count, the plain copy of a gzip upload), and makes it ready or rejected',
  },
  sweepVersions: {
    handler: 'sweep-versions',
    trigger: { kind: 'schedule', rateMinutes: 5 },
    // As much memory and time as the finalizer: a run may check bundles nobody checked.
    memoryMb: 2048, timeoutSeconds: 900, checksBundles: true,
    summary: 'Ends pending versions and datasets past their expiry (aborted, bytes retired) and checks stored bundles and datasets nobody checked',
  },
  registerDois: {
    handler: 'register-dois',
    // Up to 8 tries a few minutes apart (DataCite's 429 and 5xx), then the dead-letter queue.
    trigger: { kind: 'queue', queue: 'doi-registrations', batchSize: 5, maxReceiveCount: 8, visibilityTimeoutSeconds: 180 },
    memoryMb: 512, timeoutSeconds: 120,
    summary: "Registers published versions' DOIs and their models' concept DOIs with the DOI provider",
  },
  indexModels: {
    handler: 'index-models',
    // Every change of a model's collection (record, versions, grants, usage); never the search
    // log's own partition, which the indexer writes. One reader at a time, a batch at most 1 s old.
    trigger: { kind: 'table-stream', events: ['INSERT', 'MODIFY', 'REMOVE'], keyPrefixes: [{ partitionKey: 'MODEL#' }], batchSize: 100, retryAttempts: 10, batchingWindowSeconds: 1, parallelizationFactor: 1 },
    // The whole index lives in memory (issue 13: 441 MB of heap at 100k models).
    memoryMb: 1536, timeoutSeconds: 300,
    summary: 'Keeps the search index: records each changed model in the search change log, and writes snapshots of the index to S3',
  },
  // Batch jobs (issue 15): the job state machine's tasks (the Distributed Map runs runJobChunk per
  // manifest line); locally the job runner (local/jobs/) runs them through the event dispatcher.
  // Each takes and gives ids, keys and counts only (Step Functions' 256 KB payloads).
  planJob: {
    handler: 'plan-job',
    trigger: { kind: 'state-machine-task' },
    // It predicts the first rows, to fix the output columns: the model's memory and layer.
    memoryMb: 2048, timeoutSeconds: 300, layers: ['onnx-runtime'],
    summary: "Plans a batch job: reads the dataset's layout, writes the chunk manifest and the plan, fixes the output columns, and starts the job running",
  },
  runJobChunk: {
    handler: 'run-job-chunk',
    trigger: { kind: 'state-machine-task' },
    // A chunk (MLHUB_JOB_CHUNK_ROWS, 50,000 rows) takes seconds to a few minutes: 10 minutes leaves
    // room under Lambda's 15 for a slow backend, and the state machine's retries start afresh.
    memoryMb: 3008, timeoutSeconds: 600, layers: ['onnx-runtime'],
    summary: 'Runs one chunk of a batch job: ranged reads of the dataset, predictions in batches, its part and error part written, the chunk counted once',
  },
  finalizeJob: {
    handler: 'finalize-job',
    trigger: { kind: 'state-machine-task' },
    // Multipart copy moves the bytes inside S3; a streamed join holds 4 parts of 5 MiB.
    memoryMb: 1024, timeoutSeconds: 900,
    summary: "Ends a batch job: assembles its parts into results and errors files in input order, and decides whether it succeeded",
  },
} as const satisfies Record<string, CatalogueFunctionDefinition>;

export type CatalogueFunctionId = keyof typeof FUNCTION_DEFINITIONS;

/** The ids of the catalogue functions whose trigger is of one kind: `FunctionIdOfKind<'schedule'>` is `'sweepVersions'`. */
export type FunctionIdOfKind<Kind extends EventTrigger['kind']> = {
  [Id in CatalogueFunctionId]: (typeof FUNCTION_DEFINITIONS)[Id]['trigger']['kind'] extends Kind ? Id : never;
}[CatalogueFunctionId];

/** The catalogue in its order, each function with its id. */
export const CATALOGUE_FUNCTIONS: readonly CatalogueFunction[] = (Object.keys(FUNCTION_DEFINITIONS) as CatalogueFunctionId[])
  .map((id) => ({ id, ...(FUNCTION_DEFINITIONS[id] as CatalogueFunctionDefinition) }));

/** A catalogue function whose trigger is of one kind, with the trigger narrowed. */
export type CatalogueFunctionOf<Kind extends EventTrigger['kind']> = CatalogueFunction & { readonly trigger: Extract<EventTrigger, { kind: Kind }> };

/** The functions of `functions` (the catalogue by default) that a trigger of `kind` invokes. */
export function functionsTriggeredBy<Kind extends EventTrigger['kind']>(kind: Kind, functions: readonly CatalogueFunction[] = CATALOGUE_FUNCTIONS): CatalogueFunctionOf<Kind>[] {
  return functions.filter((candidate): candidate is CatalogueFunctionOf<Kind> => candidate.trigger.kind === kind);
}

/** One catalogue function by id; throws for an id the catalogue does not hold. */
export function catalogueFunction(id: string, functions: readonly CatalogueFunction[] = CATALOGUE_FUNCTIONS): CatalogueFunction {
  const found = functions.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`No function with id '${id}' in the function catalogue (functions/catalogue/function-catalogue.ts)`);
  return found;
}

/** Every Lambda function MLHub deploys but the fallback: one per route, then the catalogue's, with what invokes each. */
export function everyFunction(): readonly { readonly id: string; readonly handler: string; readonly trigger: FunctionTrigger }[] {
  return [
    ...ROUTES.map((route) => ({ id: route.id, handler: route.handler, trigger: { kind: 'http', route: route.id } as const })),
    ...CATALOGUE_FUNCTIONS,
  ];
}
