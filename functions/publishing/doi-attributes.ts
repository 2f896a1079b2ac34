import type { VersionRecord } from '../versions/version-records';
import { dataciteAttributes } from './datacite-metadata';
import type { Publication } from './publication';

/** What a DOI record says of where it resolves and who publishes it. */
export interface DoiRecordContext {
  /** DataCite's `publisher`: who makes the models available. */
  readonly publisher: string;
  /** The landing page a DOI resolves to: a version's, or the model's (for its concept DOI). */
  readonly landingUrl: (name: string, version?: number) => string;
}

/** A withdrawn publication's Withdrawn date and reason, as its DOI record states them. */
export const withdrawalOf = (publication: Publication): { date: string; reason: string } | undefined =>
  publication.state === 'withdrawn' && publication.withdrawnAt ? { date: publication.withdrawnAt, reason: publication.withdrawalReason ?? 'Withdrawn' } : undefined;

/** The DataCite attributes of a version's DOI: its frozen snapshot, issued when publishing was asked for. */
export function versionDoiAttributes(publication: Publication, context: DoiRecordContext): Record<string, unknown> {
  const { snapshot } = publication;
  return dataciteAttributes(snapshot, {
    doi: publication.doi, url: context.landingUrl(snapshot.name, snapshot.version), publisher: context.publisher,
    issued: publication.requestedAt, conceptDoi: publication.conceptDoi, withdrawn: withdrawalOf(publication),
  });
}

/**
 * The DataCite attributes of a model's concept DOI. It describes the newest version still
 * published (`including`, the one being registered, counts as published) and resolves to the
 * model's page; it lists every version DOI that resolves, withdrawn ones too, as `HasVersion`.
 * With none left published it describes the newest withdrawn one and is withdrawn itself.
 */
export function conceptDoiAttributes(all: readonly VersionRecord[], context: DoiRecordContext, including?: Publication): { attributes: Record<string, unknown>; withdrawn: boolean } {
  const resolving = all
    .map((version) => (including && version.publication?.doi === including.doi ? including : version.publication))
    .filter((candidate): candidate is Publication => candidate !== undefined && (candidate === including || candidate.state === 'published' || candidate.state === 'withdrawn'))
    .sort((a, b) => a.snapshot.version - b.snapshot.version);
  if (including && !resolving.includes(including)) resolving.push(including);
  // One being published counts as live: its registration writes the concept DOI too, and must not find it withdrawn.
  const beingPublished = all.map((version) => version.publication)
    .filter((candidate): candidate is Publication => candidate?.state === 'publishing' && !resolving.some((listed) => listed.doi === candidate.doi));
  const live = [...resolving.filter((candidate) => candidate.state !== 'withdrawn'), ...beingPublished].sort((a, b) => a.snapshot.version - b.snapshot.version);
  const newest = live.at(-1) ?? resolving.at(-1) ?? (including as Publication);
  const lastWithdrawn = resolving.map(withdrawalOf).filter((withdrawal) => withdrawal !== undefined).sort((a, b) => a.date.localeCompare(b.date)).at(-1);
  const withdrawn = live.length === 0 ? lastWithdrawn : undefined;
  const attributes = dataciteAttributes(newest.snapshot, {
    doi: newest.conceptDoi, url: context.landingUrl(newest.snapshot.name), publisher: context.publisher,
    issued: resolving[0]?.requestedAt ?? newest.requestedAt, withdrawn,
  });
  const related = (attributes.relatedIdentifiers as Record<string, unknown>[]) ?? [];
  return {
    withdrawn: withdrawn !== undefined,
    attributes: {
      ...attributes,
      version: undefined,
      relatedIdentifiers: [...related, ...resolving.map((version) => ({ relatedIdentifier: version.doi, relatedIdentifierType: 'DOI', relationType: 'HasVersion' }))],
    },
  };
}
