import { Cite, plugins, type CslItem } from '@citation-js/core';
import '@citation-js/plugin-bibtex';
import '@citation-js/plugin-cff';
import '@citation-js/plugin-csl';
import '@citation-js/plugin-ris';
import chicagoAuthorDate from './styles/chicago-author-date.json' with { type: 'json' };
import ieee from './styles/ieee.json' with { type: 'json' };

/**
 * citation-js with the plugins MLHub cites with (BibTeX and BibLaTeX, RIS, CFF, CSL), and the CSL
 * styles plugin-csl does not ship registered with it (functions/citations/styles/README.md says
 * where they come from, and their licence).
 *
 * citation-js's CommonJS parts require Node built-ins (child_process among them, for its fetch
 * fallback): the ESM handler bundles carry a createRequire banner for them
 * (lib/functions/handler-bundling.ts).
 */

const csl = plugins.config.get('@csl');
for (const style of [chicagoAuthorDate, ieee]) {
  if (!csl.styles.has(style.id)) csl.styles.add(style.id, style.xml);
}

/** The CSL template names citation-js formats with: plugin-csl's own, and the ones registered above. */
export const CSL_TEMPLATES = ['apa', 'chicago-author-date', 'harvard1', 'ieee', 'vancouver'] as const;
export type CslTemplate = (typeof CSL_TEMPLATES)[number];

/** One item through citation-js's output plugins: `biblatex` or `ris`. */
export function formatItem(item: CslItem, format: 'biblatex' | 'ris'): string {
  return new Cite([item]).format(format);
}

/**
 * One item as a BibTeX entry. BibTeX's entry types have no version field and citation-js leaves
 * the CSL `version` out; the entry gets it as `version`, the field Zenodo's and GitHub's BibTeX
 * for software carry, which BibTeX styles ignore and BibLaTeX and citation-js read.
 */
export function formatBibtex(item: CslItem): string {
  const entry = new Cite([item]).format('bibtex');
  if (typeof item.version !== 'string' || !/^[\w.-]+$/.test(item.version)) return entry;
  const close = entry.lastIndexOf('}');
  return `${entry.slice(0, close)}\tversion = {${item.version}},\n${entry.slice(close)}`;
}

/**
 * One item as a CITATION.cff 1.2.0 file (YAML), with `message` (CFF's required note to the
 * reader) and, since plugin-cff maps no licence, the SPDX id as CFF's `license`.
 */
export function formatCff(item: CslItem, message: string, license: string | undefined): string {
  const cff = new Cite([item]).format('cff', { type: 'object', message }) as unknown as Record<string, unknown>;
  return plugins.output.format('yaml', license ? { ...cff, license } : cff);
}

/** One item as a bibliography entry in a CSL style, US English, as plain text or HTML. */
export function formatBibliography(item: CslItem, template: CslTemplate, format: 'text' | 'html'): string {
  return new Cite([item]).format('bibliography', { template, format, lang: 'en-US' });
}

/**
 * The first formatted citation compiles the style and the locale (about 650 ms on this machine,
 * later ones about 6 ms): done once when the module loads, which a Lambda function does in its
 * init phase, not on a caller's request.
 */
export function warmCitationEngine(): void {
  const item: CslItem = { id: 'warm-up', type: 'software', title: 'Warm-up', author: [{ family: 'Warm', given: 'Up' }], issued: { 'date-parts': [[2000]] } };
  for (const template of CSL_TEMPLATES) formatBibliography(item, template, 'text');
  for (const format of ['biblatex', 'ris'] as const) formatItem(item, format);
  formatBibtex(item);
  formatCff(item, 'Warm-up', undefined);
}
