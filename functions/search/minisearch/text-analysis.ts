/**
 * How text becomes index terms, the same way for documents and for `q`, and how a field's text is
 * highlighted with the terms a search matched in it.
 *
 * - Words are runs of letters and digits: hyphens, underscores, dots and other punctuation split
 *   them, so `mnist-cnn` is found by `mnist` and by `cnn`.
 * - A word joined by `-`, `_` or `.` (`resnet_50`, `mnist-cnn`) is also indexed whole without its
 *   joiners (`resnet50`), so a query that writes it either way finds it. Only documents get the
 *   joined form: a query `resnet-50` asks for `resnet` and `50`, which the document has too.
 * - Letters carry their combining marks (`cafe\u0301` is one word, marked whole in a highlight).
 * - Terms are folded as Elasticsearch's ICU and ASCII folding filters fold, for the Latin script:
 *   lowercased, Unicode NFKD (compatibility forms such as `ﬁ` and full-width letters to plain
 *   ones, accents split from their letters), Latin diacritics (U+0300-U+036F) removed, the Latin
 *   letters with no decomposition spelled in ASCII (`ß` ss, `æ` ae, `ø` o, `ł` l…), then composed
 *   again (NFC), so `café`, `cafe\u0301` and `cafe` are one term, `résumé` is `resume` and
 *   `Dvořák` is `dvorak`; other scripts' marks (a Japanese dakuten, an Indic vowel sign) stay.
 * - Terms are then reduced by the S-stemmer (Harman 1991, "How effective is
 *   suffixing?", JASIS 42(1)): English plurals only (`models` → `model`, `libraries` → `library`).
 *   No stemming library is installed, and a full Porter stemmer over-conflates names and
 *   identifiers that are most of what a model registry holds; prefix search covers the rest
 *   (`classif` finds `classifier` and `classification`).
 */

/** Any code point outside ASCII: text without one is already NFKC, and is not run through it (most of what is indexed). */
const NON_ASCII = /[\u0080-\uffff]/;

/** Unicode NFKC (UAX #15): compatibility forms (`ﬁ`, full-width letters) to their plain ones, and every character composed. */
export const normalizeUnicode = (text: string): string => (NON_ASCII.test(text) ? text.normalize('NFKC') : text);

/** A letter or digit, then letters, digits and the combining marks that belong to them. */
const WORD = /[\p{L}\p{N}][\p{L}\p{M}\p{N}]*/gu;
/** What joins the words of one identifier: `resnet_50`, `mnist-cnn`, `v1.2`. */
const JOINERS = new Set(['-', '_', '.']);

/**
 * The words of `text` with their offsets, and the joined words (two or more words each followed
 * by a single joiner and the next word), in one pass over the words. A regex for joined words
 * restarted at every letter of a long word and ran to its end: quadratic in the word's length
 * (one 10,000-letter word took 1.3 s to tokenize, and as long per highlight: review 13c F5).
 */
function wordsOf(text: string): { words: RegExpMatchArray[]; joined: { from: number; to: number }[] } {
  const words = [...text.matchAll(WORD)];
  const joined: { from: number; to: number }[] = [];
  let first = 0;
  for (let i = 1; i <= words.length; i += 1) {
    const previous = words[i - 1] as RegExpMatchArray;
    const end = (previous.index as number) + previous[0].length;
    const next = words[i];
    if (next && next.index === end + 1 && JOINERS.has(text.charAt(end))) continue;
    if (i - 1 > first) joined.push({ from: (words[first] as RegExpMatchArray).index as number, to: end });
    first = i;
  }
  return { words, joined };
}
/** The Combining Diacritical Marks block: the accents NFKD splits from Latin (and Greek, Cyrillic) letters. */
const LATIN_DIACRITICS = /[\u0300-\u036f]/g;
/** Lowercase Latin letters that carry a stroke or are ligatures, with no decomposition to strip (Lucene's ASCIIFoldingFilter spells them so). */
const LATIN_LETTERS: Readonly<Record<string, string>> = { 'ß': 'ss', 'æ': 'ae', 'œ': 'oe', 'ø': 'o', 'ł': 'l', 'đ': 'd', 'ð': 'd', 'þ': 'th', 'ı': 'i', 'ħ': 'h', 'ŧ': 't' };
const LATIN_LETTER = /[ßæœøłđðþıħŧ]/g;

/**
 * The longest term, in UTF-16 code units, before and after folding: a longer word is cut there
 * (Lucene's StandardTokenizer cuts at its maxTokenLength, 255, likewise). NFKD expands a character
 * up to 18 (U+FDFA), so without the cut one 10,000-character word became a 180,000-character term.
 */
export const MAX_TERM_LENGTH = 255;

/** `text` cut to `MAX_TERM_LENGTH` code units, never between the halves of a surrogate pair. */
function capped(text: string): string {
  if (text.length <= MAX_TERM_LENGTH) return text;
  const last = text.charCodeAt(MAX_TERM_LENGTH - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? MAX_TERM_LENGTH - 1 : MAX_TERM_LENGTH);
}

/** A word folded (see above), not stemmed, at most MAX_TERM_LENGTH long; ASCII words are only lowercased. */
export function foldWord(raw: string): string {
  const word = capped(raw);
  if (!NON_ASCII.test(word)) return word.toLowerCase();
  return capped(word.normalize('NFKD').replace(LATIN_DIACRITICS, '').toLowerCase().replace(LATIN_LETTER, (letter) => LATIN_LETTERS[letter] as string).normalize('NFC'));
}
const JOINER = /[-_.]/g;

/** The S-stemmer's three rules, first match wins; words of three letters or fewer stay as they are. */
export function stem(term: string): string {
  if (term.length <= 3) return term;
  if (term.endsWith('ies') && !term.endsWith('eies') && !term.endsWith('aies')) return `${term.slice(0, -3)}y`;
  if (term.endsWith('es') && !term.endsWith('aes') && !term.endsWith('ees') && !term.endsWith('oes')) return term.slice(0, -1);
  if (term.endsWith('s') && !term.endsWith('us') && !term.endsWith('ss')) return term.slice(0, -1);
  return term;
}

/** One raw word as an index term: folded, then stemmed. */
export const processTerm = (word: string): string => stem(foldWord(word));

/** The words of a query. */
export const tokenizeQuery = (text: string): string[] => text.match(WORD) ?? [];

/** The words of a document's field, with each joined word also whole (see above). */
export function tokenizeDocument(text: string): string[] {
  const { words, joined } = wordsOf(text);
  return [...words.map((word) => word[0]), ...joined.map(({ from, to }) => text.slice(from, to).replace(JOINER, ''))];
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] as string);

/**
 * `text` HTML-escaped, with every word (or joined word) whose index term is in `terms` wrapped in
 * `<mark>…</mark>`; undefined when none is, so a field matched only through a joined form that
 * this text lacks shows no highlight rather than an unmarked one.
 */
export function highlight(text: string, terms: ReadonlySet<string>): string | undefined {
  // Words first; a joined word is marked whole only where none of its words is (`resnet50` finds `resnet_50`).
  const { words, joined } = wordsOf(text);
  const ranges: [number, number][] = [];
  for (const match of words) {
    const from = match.index as number;
    if (terms.has(processTerm(match[0]))) ranges.push([from, from + match[0].length]);
  }
  // Both lists are in text order: one cursor over the word ranges finds those inside a joined word.
  let cursor = 0;
  const wordRanges = ranges.length;
  for (const { from, to } of joined) {
    while (cursor < wordRanges && (ranges[cursor] as [number, number])[0] < from) cursor += 1;
    if (cursor < wordRanges && (ranges[cursor] as [number, number])[0] < to) continue;
    if (terms.has(processTerm(text.slice(from, to).replace(JOINER, '')))) ranges.push([from, to]);
  }
  if (ranges.length === 0) return undefined;
  ranges.sort((a, b) => a[0] - b[0]);
  let out = '';
  let at = 0;
  for (const [from, to] of ranges) {
    out += `${escapeHtml(text.slice(at, from))}<mark>${escapeHtml(text.slice(from, to))}</mark>`;
    at = to;
  }
  return out + escapeHtml(text.slice(at));
}
