import { randomBytes } from 'node:crypto';
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

/** The item with every string in it (names and dates included) passed through `change`. */
function mapStrings<T>(value: T, change: (text: string) => string): T {
  if (typeof value === 'string') return change(value) as T;
  if (Array.isArray(value)) return value.map((entry: unknown) => mapStrings(entry, change)) as T;
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, mapStrings(entry, change)])) as T;
  return value;
}

/**
 * Text as plugin-bibtex must see it to write it literally. It reads CSL values as rich text, and
 * turns `<b>`, `<i>`, `<sup>`… into `\textbf{`… (an unclosed one leaves an unbalanced brace, and
 * the entry no longer parses); the fullwidth `＜` `＞` match no tag, and its ASCII-only writer
 * normalizes them (NFKD) back to `<` `>` and writes `\textless{}` `\textgreater{}`.
 */
const literalForBibtex = (text: string): string => text.replaceAll('<', '\uFF1C').replaceAll('>', '\uFF1E');

/** LaTeX's escapes for the characters BibTeX and LaTeX read as syntax. */
const TEX_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\textbackslash{}', '{': '\\{', '}': '\\}', '~': '\\textasciitilde{}', '^': '\\textasciicircum{}',
  '<': '\\textless{}', '>': '\\textgreater{}', '%': '\\%', '#': '\\#', '&': '\\&', '$': '\\$', '_': '\\_',
};

/**
 * The item as plugin-bibtex must see it to write an entry that parses back: every string through
 * literalForBibtex, and a name given whole (CSL `literal`, an organization) escaped for LaTeX
 * first, since plugin-bibtex writes such a name as it is, in braces (a `}` in it would close the
 * field and open forged ones, a `%` start a comment), while it escapes every other value itself.
 */
function forBibtex(item: CslItem): CslItem {
  const escapeName = (name: unknown) => {
    if (name === null || typeof name !== 'object' || typeof (name as { literal?: unknown }).literal !== 'string') return name;
    const { literal } = name as { literal: string };
    return { ...name, literal: literal.replace(/[\\{}~^<>%#&$_]/g, (character) => TEX_ESCAPES[character] ?? character) };
  };
  const named = Array.isArray(item.author) ? { ...item, author: item.author.map(escapeName) } : item;
  return mapStrings(named, literalForBibtex);
}

/**
 * Text as one RIS value: RIS is one tag per line (a value's newline could start a forged
 * `ER  - ` / `TY  - ` record), so line breaks and other control characters become spaces; and
 * runs of spaces become one, so that no piece of a value, wherever plugin-ris wraps it, reads as
 * a tag (`XX  - `, with two spaces) once unwrapRis looks at it.
 */
const oneRisLine = (text: string): string => text.replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, ' ');

/** A RIS line is `XX  - value`: any other line is plugin-ris's hard wrap of the line before (at 70 characters), joined back. */
function unwrapRis(ris: string): string {
  const lines: string[] = [];
  for (const line of ris.split('\n')) {
    if (lines.length > 0 && line !== '' && !/^[A-Z][A-Z0-9] {2}- /.test(line)) lines[lines.length - 1] += line;
    else lines.push(line);
  }
  const text = lines.join('\n').trimEnd();
  return `${text}\n`;
}

/**
 * A keyword list as BibLaTeX's `keywords`, a comma-separated list: a comma inside a keyword is
 * written `{,}`, which BibLaTeX's list parsing (etoolbox's \docsvlist) does not split at.
 * plugin-bibtex escapes braces in values, so the comma goes through it as a token of letters
 * (nothing it escapes) made afresh for each process, and becomes `{,}` after.
 */
const KEYWORD_COMMA = `mlhubcomma${randomBytes(6).toString('hex').replace(/\d/g, (digit) => String.fromCharCode(103 + Number(digit)))}`;

/** RIS, with one `KW  - ` line per keyword before the end of the record. */
function withRisKeywords(ris: string, keywords: readonly string[]): string {
  if (keywords.length === 0) return ris;
  const end = ris.lastIndexOf('\nER  -') + 1;
  return `${ris.slice(0, end)}${keywords.map((keyword) => `KW  - ${oneRisLine(keyword)}\n`).join('')}${ris.slice(end)}`;
}

/**
 * One item through citation-js's output plugins: `biblatex` or `ris`. `keywords` replaces the
 * item's CSL `keyword` string, which plugin-ris and plugin-bibtex would split at every comma,
 * commas inside a keyword included.
 */
export function formatItem(item: CslItem, format: 'biblatex' | 'ris', keywords: readonly string[] = []): string {
  const { keyword: _joined, ...rest } = item;
  if (format === 'ris') return withRisKeywords(unwrapRis(new Cite([mapStrings(rest, oneRisLine)]).format('ris')), keywords);
  const listed = keywords.length > 0 ? { keyword: keywords.map((keyword) => keyword.replaceAll(',', KEYWORD_COMMA)).join(', ') } : {};
  return new Cite([{ ...forBibtex(rest), ...mapStrings(listed, literalForBibtex) }]).format(format).replaceAll(KEYWORD_COMMA, '{,}');
}

/** BibTeX's month macros, which every BibTeX style defines (and citation-js reads back). */
const MONTH_MACROS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] as const;

/**
 * One item as a BibTeX entry. BibTeX's entry types have no version field and citation-js leaves
 * the CSL `version` out; the entry gets it as `version`, the field Zenodo's and GitHub's BibTeX
 * for software carry, which BibTeX styles ignore and BibLaTeX and citation-js read. BibTeX has no
 * day either: the month is the month macro (`month = nov`), as Zenodo and DataCite write it,
 * not citation-js's `{nov 30}`.
 */
export function formatBibtex(item: CslItem): string {
  let entry = new Cite([forBibtex(item)]).format('bibtex');
  const month = (item.issued as { 'date-parts'?: number[][] } | undefined)?.['date-parts']?.[0]?.[1];
  if (typeof month === 'number' && month >= 1 && month <= 12) entry = entry.replace(/^\tmonth = \{[^}\n]*\},$/m, `\tmonth = ${MONTH_MACROS[month - 1]},`);
  if (typeof item.version !== 'string' || !/^[\w.-]+$/.test(item.version)) return entry;
  const close = entry.lastIndexOf('}');
  return `${entry.slice(0, close)}\tversion = {${item.version}},\n${entry.slice(close)}`;
}

/**
 * One item as a CITATION.cff 1.2.0 file (YAML), with `message` (CFF's required note to the
 * reader), the keywords as a list (plugin-cff splits CSL's keyword string at commas), and,
 * since plugin-cff maps no licence, the SPDX id as CFF's `license`.
 */
export function formatCff(item: CslItem, message: string, license: string | undefined, keywords: readonly string[] = []): string {
  const { keyword: _joined, ...rest } = item;
  const cff = new Cite([rest]).format('cff', { type: 'object', message }) as unknown as Record<string, unknown>;
  return plugins.output.format('yaml', { ...cff, ...(keywords.length > 0 ? { keywords: [...keywords] } : {}), ...(license ? { license } : {}) });
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
