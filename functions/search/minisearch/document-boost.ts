import type { SearchDocument } from '../search-engine';

/**
 * How much a model's own qualities raise its relevance, multiplied into its text score (BM25+
 * from MiniSearch, with field weights): so they reorder models that match `q` about equally well
 * and never make a model match. Issue 13, "Relevance": published models and fuller metadata rank
 * up, and so does use.
 *
 *   boost = published × completeness × usage
 *   published    = 1.25 when a version is published (its DOI resolves), else 1
 *   completeness = 0.75 + 0.5 × (filled / 5), over title, authors, license, keywords, description:
 *                  0.75 with none of them, 1.25 with all
 *   usage        = 1 + 0.1 × log10(1 + downloads) + 0.05 × log10(1 + predictions):
 *                  log-scaled so that a model with a million downloads gains 1.6×, not a million
 *
 * A published model with full metadata and no use gets 1.56; a bare one 0.75: a factor of about 2,
 * less than the weight of one field over the next (SEARCH_BOOSTS), so a match in the name still
 * beats a match in the description of a better-documented model.
 */
export function documentBoost(document: SearchDocument): number {
  const filled = [document.title, document.license, document.description].filter((text) => text !== undefined && text.trim() !== '').length
    + (document.authors.length > 0 ? 1 : 0)
    + (document.keywords.length > 0 ? 1 : 0);
  const published = document.published ? 1.25 : 1;
  const completeness = 0.75 + 0.5 * (filled / 5);
  const usage = 1 + 0.1 * Math.log10(1 + Math.max(0, document.downloads)) + 0.05 * Math.log10(1 + Math.max(0, document.predictions));
  return published * completeness * usage;
}
