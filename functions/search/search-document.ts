import type { Grant } from '../access/access-settings';
import type { ModelRecord } from '../registry/model-records';
import { publishedDois } from '../registry/model-views';
import { GRANT_SORT_PREFIX, META_SORT_KEY, USAGE_SORT_KEY, VERSION_SORT_PREFIX } from '../registry/table-keys';
import { stripKeys, type Item } from '../store/dynamo-items';
import { TABLE_DESIGN } from '../store/table-design';
import type { VersionRecord } from '../versions/version-records';
import { searchFramework } from './detected-framework';
import type { SearchDocument } from './search-engine';

/** The usage counters' item (PK=MODEL#<name>, SK=USAGE): numbers the download and predict handlers ADD to. */
interface UsageItem {
  readonly downloads?: number;
  readonly predictions?: number;
}

/** A counter as stored: a missing or unreadable one counts as 0. */
const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0);

/**
 * A model's item collection (every item of its partition, MODEL#<name>: META, VER#…, GRANT#…,
 * USAGE, UPLOAD#…, in any order) as the search index holds it, or undefined when the model is
 * not searchable: no record, or a record `deleting`, `deleted` or `withdrawn` (the states in which
 * authorize() shows it to nobody as a model; a withdrawn tombstone is a 410 page, not a hit).
 *
 * `published`, `hasDoi`, `doi` and `conceptDoi` are what the model's page says of its DOIs
 * (publishedDois in functions/registry/model-views.ts). Grantees are the users with a grant of any
 * role (read suffices to see a model: functions/access/access-policy.ts). `framework` is the one
 * detected in the newest ready bundle, else the declared `type` (detected-framework.ts).
 */
export function searchDocumentOf(items: readonly Item[]): SearchDocument | undefined {
  let model: ModelRecord | undefined;
  const versions: VersionRecord[] = [];
  const grantees: string[] = [];
  let usage: UsageItem = {};
  for (const item of items) {
    const sortKey = String(item[TABLE_DESIGN.sortKey]);
    if (sortKey === META_SORT_KEY) model = stripKeys<ModelRecord>(item);
    else if (sortKey.startsWith(VERSION_SORT_PREFIX)) versions.push(stripKeys<VersionRecord>(item));
    else if (sortKey.startsWith(GRANT_SORT_PREFIX)) grantees.push(stripKeys<Grant>(item).user);
    else if (sortKey === USAGE_SORT_KEY) usage = item as UsageItem;
  }
  if (!model || model.state !== 'active') return undefined;
  const dois = publishedDois(versions);
  return {
    name: model.name,
    ...(model.title ? { title: model.title } : {}),
    ...(model.description ? { description: model.description } : {}),
    keywords: model.keywords ?? [],
    authors: (model.authors ?? []).map((author) => ({ name: author.name, ...(author.orcid ? { orcid: author.orcid } : {}) })),
    // Records stored before discipline was trimmed on input are trimmed here, as the filter trims its value.
    ...(model.discipline?.trim() ? { discipline: model.discipline.trim() } : {}),
    ...(model.task ? { task: model.task } : {}),
    ...(model.license ? { license: model.license } : {}),
    type: model.type,
    framework: searchFramework(model.type, versions),
    owner: model.owner,
    visibility: model.visibility,
    grantees: [...new Set(grantees)].sort(),
    published: dois.doi !== null,
    hasDoi: dois.concept_doi !== null,
    ...(dois.doi !== null ? { doi: dois.doi } : {}),
    ...(dois.concept_doi !== null ? { conceptDoi: dois.concept_doi } : {}),
    ...(model.latestVersion !== undefined ? { latestVersion: model.latestVersion } : {}),
    createdAt: model.createdAt,
    updatedAt: model.updatedAt,
    downloads: count(usage.downloads),
    predictions: count(usage.predictions),
  };
}
