import type { CitationContext } from '../../../functions/citations/cited-work';
import { snapshotOf, type Publication } from '../../../functions/publishing/publication';
import type { ModelRecord } from '../../../functions/registry/model-records';
import type { VersionRecord } from '../../../functions/versions/version-records';

/** A model record as the registry stores it, with full scholarly metadata. */
export const MODEL: ModelRecord = {
  name: 'digits',
  type: 'ONNX',
  meta: {},
  description: 'A multilayer perceptron that reads handwritten digits.',
  discipline: 'Computer vision',
  owner: 'user-ada',
  visibility: 'public',
  createdAt: '2025-03-01T10:00:00.000Z',
  updatedAt: '2026-02-14T09:30:00.000Z',
  revision: 4,
  versionCounter: 3,
  latestVersion: 3,
  state: 'active',
  title: 'Digits MLP',
  authors: [
    { name: 'Lovelace, Ada', orcid: '0000-0002-1825-0097', affiliation: { name: 'Analytical Engines Ltd', ror: 'https://ror.org/02mhbdp94' }, role: 'creator' },
    { name: 'Charles Babbage', role: 'creator' },
    { name: 'Mary Somerville', role: 'DataCurator' },
  ],
  license: 'MIT',
  keywords: ['digits', 'mlp'],
};

export const CONTEXT: CitationContext = { publisher: 'MLHub Test', landingBaseUrl: 'https://hub.example.org/', now: '2026-11-30T12:00:00.000Z' };

const version = (n: number, extra: Partial<VersionRecord> = {}): VersionRecord => ({
  name: 'digits', version: n, status: 'ready', bundleKey: `bundles/digits/${n}`, sha256: `${n}`.repeat(64), size: 1000 * n,
  createdAt: `2025-0${n + 3}-01T10:00:00.000Z`, createdBy: 'user-ada', ...extra,
});

const publication = (n: number, extra: Partial<Publication> = {}): Publication => ({
  state: 'published',
  doi: `10.5072/mlhub.digits/v${n}`,
  conceptDoi: '10.5072/mlhub.digits',
  requestedAt: `2025-0${n + 3}-02T08:00:00.000Z`,
  requestedBy: 'user-ada',
  publishedAt: `2025-0${n + 3}-02T08:00:05.000Z`,
  snapshot: snapshotOf(MODEL, version(n)),
  ...extra,
});

/** v1 published then withdrawn, v2 published, v3 ready without a DOI. */
export const VERSIONS: readonly VersionRecord[] = [
  version(1, { status: 'deleted', endedAt: '2025-09-01T00:00:00.000Z', publication: publication(1, { state: 'withdrawn', withdrawnAt: '2025-09-01T00:00:00.000Z', withdrawalReason: 'Trained on mislabelled data' }) }),
  version(2, { publication: publication(2) }),
  version(3),
];

/** The same model before anything was published. */
export const UNPUBLISHED_VERSIONS: readonly VersionRecord[] = [version(3)];
