/**
 * HTML written by template literals with every interpolated value escaped (HTML Living Standard,
 * "Serializing HTML fragments": `&`, `<`, `>`, `"` and `'` as character references), so that a
 * model's title or a reason for withdrawal is text, whatever it holds; markup already made by
 * `html` passes through unescaped.
 */

/** Markup made by `html` (or trusted on purpose): interpolated as it is. */
export class Markup {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/**
 * Text as HTML character data: the five syntax characters as references, and the characters an
 * HTML document may not hold (HTML Living Standard §13.2.3.5, "control-character-in-input-stream"
 * and "noncharacter-in-input-stream": C0 controls but tab, line feed, form feed and carriage
 * return; DEL and the C1 controls; noncharacters; lone surrogates) as U+FFFD, which is what a
 * parser makes of a NUL, so a record holding them still gives a valid page.
 */
const notInHtml = (character: string): boolean => {
  const code = character.codePointAt(0) ?? 0;
  return (code <= 0x1f && !'\t\n\f\r'.includes(character)) || (code >= 0x7f && code <= 0x9f)
    || (code >= 0xfdd0 && code <= 0xfdef) || (code & 0xfffe) === 0xfffe || (code >= 0xd800 && code <= 0xdfff);
};

export const escapeHtml = (text: string): string => text
  .replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`)
  // Every code point (lone surrogates included, as `u` reads them one by one) the page may not hold.
  .replace(/[\p{Cc}\p{Cs}\p{Cn}]/gu, (character) => (notInHtml(character) ? '\uFFFD' : character));

type Interpolated = Markup | string | number | null | undefined | false | readonly Interpolated[];

function render(value: Interpolated): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** A template of markup: strings are escaped, lists joined, `null`, `undefined` and `false` left out. */
export function html(strings: TemplateStringsArray, ...values: Interpolated[]): Markup {
  return new Markup(strings.reduce((out, part, index) => out + part + (index < values.length ? render(values[index] as Interpolated) : ''), ''));
}

/** A character as JSON's `\u` escapes, one per UTF-16 code unit (two for a character beyond the BMP). */
const jsonEscape = (character: string): string => character.split('').map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');

/**
 * JSON for a `<script type="application/ld+json">` data block: `<`, `>` and `&` as JSON's
 * `\u` escapes, so that no string in it can close the element (`</script>`) or open a comment;
 * and the characters an HTML document may not hold (escapeHtml) as `\u` escapes too, which keeps
 * them in the JSON a reader parses.
 */
export const jsonForScript = (value: unknown): Markup => new Markup(JSON.stringify(value, null, 2)
  .replace(/[<>&]/g, jsonEscape)
  .replace(/[\p{Cc}\p{Cs}\p{Cn}]/gu, (character) => (notInHtml(character) ? jsonEscape(character) : character)));
